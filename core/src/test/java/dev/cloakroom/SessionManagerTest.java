package dev.cloakroom;

import dev.cloakroom.memory.MemorySessionStore;
import dev.cloakroom.spi.RecordPage;
import dev.cloakroom.spi.SessionRecord;
import dev.cloakroom.spi.SessionStore;
import dev.cloakroom.spi.SessionWrite;
import dev.cloakroom.spi.WriteResult;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Policy that lives in the manager, independent of any store. The stores' shared behaviour is in the testkit contract. */
@Tag("unit")
class SessionManagerTest {
    private static final Duration IDLE = Duration.ofMinutes(30);

    private final MutableClock clock = new MutableClock();
    private final CountingStore store = new CountingStore(new MemorySessionStore());
    private final List<String> events = new ArrayList<>();
    private final SessionManager manager = SessionManager.builder(store)
            .config(CloakroomConfig.builder().idleTimeout(IDLE).build())
            .clock(clock)
            .sweeping(false)
            .listener(new SessionListener() {
                @Override
                public void sessionCreated(SessionKey key) {
                    events.add("created " + key.value());
                }

                @Override
                public void sessionDestroyed(SessionKey key, Map<String, Object> attributes, Reason reason) {
                    events.add(reason + " " + key.value() + " " + attributes);
                }
            })
            .build();

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void findWhenIdMalformedThenEmptyWithoutStoreIo() {
        assertThat(manager.find(null)).isEmpty();
        assertThat(manager.find("../../etc/passwd")).isEmpty();
        assertThat(manager.find("x".repeat(10_000))).isEmpty();
        assertThat(manager.find("f44482e5-de8e-4d4d-a1c9-dcf08277957f")).isEmpty();

        assertThat(store.calls.get()).isZero();
    }

    @Test
    void findWhenWellFormedButUnknownThenOneLoadAndEmpty() {
        assertThat(manager.find(new SessionIds().next())).isEmpty();
        assertThat(store.calls.get()).isEqualTo(1);
    }

    // Proves docs/persistence.md#expired-cookie
    @Test
    void expiredIdIsNeverAdoptedANewSessionGetsANewId() {
        Session session = manager.create();
        session.setAttribute("a", 1);
        manager.commit(session);
        clock.advance(IDLE.plusSeconds(1));

        assertThat(manager.find(session.id())).isEmpty();
        Session fresh = manager.create();
        assertThat(fresh.id()).isNotEqualTo(session.id());
    }

    @Test
    void sessionWithoutDataCostsNoStoreIo() {
        Session session = manager.create();
        session.getAttribute("nothing");

        assertThat(manager.commit(session)).isEqualTo(CommitOutcome.NOTHING_TO_STORE);
        assertThat(session.isStored()).isFalse();
        assertThat(store.calls.get()).isZero();
    }

    @Test
    void commitTwiceWritesOnce() {
        Session session = manager.create();
        session.setAttribute("a", 1);
        assertThat(manager.commit(session)).isEqualTo(CommitOutcome.SAVED);
        assertThat(session.isStored()).isTrue();
        int afterFirst = store.calls.get();

        assertThat(manager.commit(session)).isEqualTo(CommitOutcome.UNCHANGED);
        assertThat(store.calls.get()).isEqualTo(afterFirst);
    }

    @Test
    void commitWhenAStoredSessionChangesThenSavedAndItsDeadlineMoves() {
        Session session = manager.create();
        session.setAttribute("a", 1);
        manager.commit(session);
        clock.advance(Duration.ofMinutes(1));

        Session next = manager.find(session.id()).orElseThrow();
        next.setAttribute("a", 2);

        assertThat(manager.commit(next)).isEqualTo(CommitOutcome.SAVED);
        assertThat(next.expiresAt()).isEqualTo(clock.instant().plus(IDLE));
        assertThat(manager.find(session.id()).orElseThrow().getAttribute("a")).isEqualTo(2);
    }

    @Test
    void listenersHearCreationAndInvalidationWithAttributes() {
        Session session = manager.create();
        session.setAttribute("file_contents", List.of("x"));
        manager.commit(session);

        manager.find(session.id()).orElseThrow().invalidate();

        String key = session.key().value();
        assertThat(events).containsExactly("created " + key, "INVALIDATED " + key + " {file_contents=[x]}");
    }

    @Test
    void listenersWhenTwoRequestsInvalidateOneSessionThenToldOnce() {
        Session session = manager.create();
        session.setAttribute("a", 1);
        manager.commit(session);
        Session first = manager.find(session.id()).orElseThrow();
        Session second = manager.find(session.id()).orElseThrow();

        first.invalidate();
        second.invalidate();

        assertThat(events).containsExactly("created " + session.key().value(), "INVALIDATED " + session.key().value() + " {a=1}");
    }

    @Test
    void invalidateWhenAnotherRequestEndsTheSessionDuringTheCallThenOnlyThatOneSaysItEndedIt() {
        Session session = manager.create();
        session.setAttribute("a", 1);
        manager.commit(session);
        Session first = manager.find(session.id()).orElseThrow();
        Session second = manager.find(session.id()).orElseThrow();
        AtomicBoolean secondEndedIt = new AtomicBoolean();
        store.beforeDelete = key -> {
            store.beforeDelete = k -> { };
            secondEndedIt.set(second.invalidate()); // lands between the first one's check and its delete
        };

        assertThat(first.invalidate()).as("the first call found it ended already").isFalse();

        assertThat(secondEndedIt).isTrue();
        assertThat(first.isInvalidated()).isTrue();
        assertThat(events).containsExactly("created " + session.key().value(), "INVALIDATED " + session.key().value() + " {a=1}");
    }

    @Test
    void invalidateWhenTheSessionWasNeverStoredThenThisCallEndedIt() {
        Session session = manager.create();
        session.setAttribute("a", 1);

        assertThat(session.invalidate()).isTrue();
        assertThat(store.calls.get()).isZero();
    }

    @Test
    void listenersWhenASweptSessionIsInvalidatedLaterThenToldOnlyOfTheExpiry() {
        Session session = manager.create();
        session.setAttribute("a", 1);
        manager.commit(session);
        Session slow = manager.find(session.id()).orElseThrow();
        clock.advance(IDLE.plusSeconds(1));
        assertThat(manager.sweeper().runOnce()).isEqualTo(1);

        slow.invalidate();

        assertThat(events).containsExactly("created " + session.key().value(), "EXPIRED " + session.key().value() + " {a=1}");
        assertThat(manager.commit(slow)).isEqualTo(CommitOutcome.ENDED);
    }

    @Test
    void invalidateWhenTheStoreFailsThenTheSessionStaysValidAndCanBeInvalidatedAgain() {
        Session session = manager.create();
        session.setAttribute("user", "alice");
        manager.commit(session);
        Session loggingOut = manager.find(session.id()).orElseThrow();
        store.failDeletes.set(1);

        assertThatThrownBy(loggingOut::invalidate).isInstanceOf(SessionStoreUnavailableException.class);
        assertThat(loggingOut.isInvalidated()).as("the record is still there, so the session is not over").isFalse();
        assertThat(loggingOut.getAttribute("user")).isEqualTo("alice");

        clock.advance(CloakroomConfig.DEFAULT_STORE_RETRY_INTERVAL); // until then, calls fail at once
        loggingOut.invalidate();
        assertThat(manager.commit(loggingOut)).isEqualTo(CommitOutcome.ENDED);
        assertThat(manager.find(session.id())).isEmpty();
    }

    @Test
    void invalidatedSessionRefusesUseAndClearsTheCookie() {
        Session session = manager.create();
        session.setAttribute("a", 1);
        manager.commit(session);
        session.invalidate();

        assertThatThrownBy(() -> session.getAttribute("a")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> session.update("a", (Integer n) -> n + 1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(session::invalidate).isInstanceOf(IllegalStateException.class);
        assertThat(manager.commit(session)).isEqualTo(CommitOutcome.ENDED);
    }

    @Test
    void updateWritesAtOnceAndReturnsTheNewValue() {
        Session session = manager.create();
        session.setAttribute("n", 1);
        manager.commit(session);
        Session request = manager.find(session.id()).orElseThrow();

        assertThat(request.<Integer>update("n", n -> n + 1)).isEqualTo(2);
        assertThat(manager.find(session.id()).orElseThrow().getAttribute("n")).isEqualTo(2);
        assertThat(request.getAttribute("n")).isEqualTo(2);
    }

    @Test
    void updateWritesTheRequestsOtherChangesInTheSameWriteAndCommitHasNothingLeft() {
        Session session = manager.create();
        session.setAttribute("uploads", 1);
        manager.commit(session);
        Session request = manager.find(session.id()).orElseThrow();
        int before = store.calls.get();

        request.setAttribute("file_contents", List.of("new"));
        request.removeAttribute("absent");
        request.<Integer>update("uploads", n -> n + 1);

        assertThat(store.calls.get() - before).as("one atomic write").isEqualTo(1);
        SessionRecord stored = store.delegate.load(session.key()).orElseThrow();
        assertThat(stored.attributes()).containsOnlyKeys("uploads", "file_contents");
        assertThat(stored.version()).isEqualTo(2);
        assertThat(manager.commit(request)).as("saved, by update()").isEqualTo(CommitOutcome.SAVED);
        assertThat(store.calls.get() - before).as("commit wrote nothing more").isEqualTo(1);
        assertThat(manager.commit(request)).isEqualTo(CommitOutcome.UNCHANGED);
    }

    @Test
    void updateWhenAnotherRequestWroteMeanwhileThenRetriesAndKeepsEveryChange() {
        Session session = manager.create();
        session.setAttribute("uploads", 1);
        manager.commit(session);
        Session slow = manager.find(session.id()).orElseThrow();
        Session fast = manager.find(session.id()).orElseThrow();

        slow.setAttribute("file_contents", List.of("slow"));
        fast.setAttribute("theme", "dark");
        fast.<Integer>update("uploads", n -> n + 1);
        assertThat(slow.<Integer>update("uploads", n -> n + 1)).isEqualTo(3);
        manager.commit(slow);
        manager.commit(fast);

        Session after = manager.find(session.id()).orElseThrow();
        assertThat(after.getAttribute("uploads")).isEqualTo(3);
        assertThat(after.getAttribute("file_contents")).isEqualTo(List.of("slow"));
        assertThat(after.getAttribute("theme")).isEqualTo("dark");
        assertThat(slow.getAttribute("theme")).as("the retry refreshed what this request had not touched").isEqualTo("dark");
    }

    @Test
    void updateWhenAnotherRequestInvalidatedTheSessionMeanwhileThenSessionEndedAndNothingWrittenOrRecreated() {
        Session session = manager.create();
        session.setAttribute("uploads", 1);
        manager.commit(session);
        Session upload = manager.find(session.id()).orElseThrow();
        Session logout = manager.find(session.id()).orElseThrow();
        upload.setAttribute("file_contents", List.of("new"));

        logout.invalidate();

        assertThatThrownBy(() -> upload.<Integer>update("uploads", n -> n + 1))
                .isInstanceOf(SessionEndedException.class)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(session.key().toString()).hasMessageNotContaining(session.id());
        assertThat(upload.isInvalidated()).isTrue();
        assertThat(manager.commit(upload)).isEqualTo(CommitOutcome.ENDED);
        assertThat(store.delegate.load(session.key())).as("not recreated").isEmpty();
    }

    @Test
    void updateWhenTheSessionExpiredMeanwhileThenSessionEnded() {
        Session session = manager.create();
        session.setAttribute("uploads", 1);
        manager.commit(session);
        Session upload = manager.find(session.id()).orElseThrow();
        clock.advance(IDLE.plusSeconds(1));

        assertThatThrownBy(() -> upload.<Integer>update("uploads", n -> n + 1)).isInstanceOf(SessionEndedException.class);
        assertThat(manager.find(session.id())).isEmpty();
    }

    @Test
    void updateOnANewSessionStaysLocalUntilCommit() {
        Session session = manager.create();

        assertThat(session.<Integer>update("n", n -> n == null ? 1 : n + 1)).isEqualTo(1);
        assertThat(store.calls.get()).isZero();
        manager.commit(session);
        assertThat(manager.find(session.id()).orElseThrow().getAttribute("n")).isEqualTo(1);
    }

    @Test
    void setAttributeWhenUnsupportedThenFailsAtOnceAndNothingChanges() {
        Session session = manager.create();

        assertThatThrownBy(() -> session.setAttribute("when", Instant.now())).isInstanceOf(UnsupportedAttributeException.class);
        assertThat(session.attributeNames()).isEmpty();
    }

    @Test
    void createWhenTooLargeThenRefusedAndNothingStored() {
        try (SessionManager small = SessionManager.builder(store)
                .config(CloakroomConfig.builder().maxSessionBytes(100).build()).clock(clock).sweeping(false).build()) {
            Session session = small.create();
            session.setAttribute("big", "x".repeat(200));

            assertThatThrownBy(() -> small.commit(session)).isInstanceOf(SessionTooLargeException.class)
                    .hasMessageContaining("limit of 100");
            assertThat(store.delegate.load(session.key())).isEmpty();
        }
    }

    @Test
    void maxInactiveIntervalChangeIsSavedAndUsedForExpiry() {
        Session session = manager.create();
        session.setAttribute("a", 1);
        session.setMaxInactiveInterval(Duration.ofMinutes(5));
        manager.commit(session);

        clock.advance(Duration.ofMinutes(6));

        assertThat(manager.find(session.id())).isEmpty();
    }

    @Test
    void maxInactiveIntervalWhenBeyondTheLongestLifetimeThenRefusedAndUnchanged() {
        Session session = manager.create();

        assertThatThrownBy(() -> session.setMaxInactiveInterval(CloakroomConfig.MAX_LIFETIME.plusSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most " + CloakroomConfig.MAX_LIFETIME);
        assertThat(session.maxInactiveInterval()).isEqualTo(manager.config().idleTimeout());
    }

    @Test
    void changeIdWhenAnotherRequestInvalidatedMeanwhileThenNotResurrectedUnderTheNewId() {
        Session session = manager.create();
        session.setAttribute("user", "alice");
        manager.commit(session);
        Session loggingIn = manager.find(session.id()).orElseThrow();
        manager.find(session.id()).orElseThrow().invalidate();

        loggingIn.changeId();
        loggingIn.setAttribute("role", "admin");

        assertThat(manager.commit(loggingIn)).isEqualTo(CommitOutcome.ENDED);
        assertThat(loggingIn.isStored()).isFalse();
        assertThat(loggingIn.isInvalidated()).isTrue();
        assertThat(manager.find(loggingIn.id())).isEmpty();
        assertThat(store.delegate.load(session.key())).isEmpty();
        assertThat(store.delegate.load(loggingIn.key())).isEmpty();
    }

    @Test
    void changeIdWhenAValueWasChangedInPlaceToSomethingUnstorableThenMovedWithTheOtherChangesAndStoredUnderTheNewId() {
        Session session = manager.create();
        session.setAttribute("lines", new ArrayList<>(List.of("a")));
        manager.commit(session);
        Session loggingIn = manager.find(session.id()).orElseThrow();
        loggingIn.changeId();
        loggingIn.setAttribute("user", "alice");
        @SuppressWarnings("unchecked")
        List<String> lines = (List<String>) loggingIn.getAttribute("lines");
        lines.add("\uD800");

        assertThatThrownBy(() -> manager.commit(loggingIn)).isInstanceOf(UnsupportedAttributeException.class);

        assertThat(loggingIn.isStored()).as("stored under the new id").isTrue();
        assertThat(loggingIn.id()).isNotEqualTo(session.id());
        assertThat(store.delegate.load(session.key())).isEmpty();
        assertThat(store.delegate.load(loggingIn.key()).orElseThrow().attributes())
                .containsEntry("user", "\"alice\"").containsEntry("lines", "[\"a\"]");
    }

    @Test
    void changeIdWhenAnotherRequestInvalidatesJustBeforeTheMoveThenNotResurrectedUnderTheNewId() {
        Session session = manager.create();
        session.setAttribute("user", "alice");
        manager.commit(session);
        Session loggingIn = manager.find(session.id()).orElseThrow();
        Session loggingOut = manager.find(session.id()).orElseThrow();
        loggingIn.changeId();
        store.beforeWrite = write -> loggingOut.invalidate(); // lands just before the move

        assertThat(manager.commit(loggingIn)).isEqualTo(CommitOutcome.ENDED);
        assertThat(manager.find(loggingIn.id())).isEmpty();
        assertThat(store.delegate.load(session.key())).isEmpty();
        assertThat(store.delegate.load(loggingIn.key())).isEmpty();
    }

    @Test
    void changeIdWhenTheSessionExpiredDuringTheRequestThenNotResurrectedUnderTheNewId() {
        Session session = manager.create();
        session.setAttribute("user", "alice");
        manager.commit(session);
        Session slow = manager.find(session.id()).orElseThrow();
        clock.advance(IDLE.plusSeconds(1));

        slow.changeId();

        assertThat(manager.commit(slow)).isEqualTo(CommitOutcome.ENDED);
        assertThat(manager.find(slow.id())).isEmpty();
        assertThat(store.delegate.load(slow.key())).isEmpty();
    }

    @Test
    void changeIdKeepsWhatAConcurrentRequestSavedMeanwhile() {
        Session session = manager.create();
        session.setAttribute("a", 1);
        manager.commit(session);
        Session loggingIn = manager.find(session.id()).orElseThrow();
        Session other = manager.find(session.id()).orElseThrow();
        other.setAttribute("theme", "dark");
        manager.commit(other);

        loggingIn.changeId();
        loggingIn.setAttribute("user", "alice");
        assertThat(manager.commit(loggingIn)).isEqualTo(CommitOutcome.SAVED);

        Session moved = manager.find(loggingIn.id()).orElseThrow();
        assertThat(moved.getAttribute("a")).isEqualTo(1);
        assertThat(moved.getAttribute("user")).isEqualTo("alice");
        assertThat(moved.getAttribute("theme")).isEqualTo("dark");
        assertThat(manager.find(session.id())).isEmpty();
    }

    @Test
    void changeIdWhenCommittedThenOneStoreCall() {
        Session session = manager.create();
        session.setAttribute("user", "alice");
        manager.commit(session);
        Session loggingIn = manager.find(session.id()).orElseThrow();
        int before = store.calls.get();

        loggingIn.changeId();
        loggingIn.setAttribute("role", "admin");
        assertThat(manager.commit(loggingIn)).isEqualTo(CommitOutcome.SAVED);

        assertThat(store.calls.get() - before).as("one move").isEqualTo(1);
        assertThat(store.delegate.load(session.key())).isEmpty();
        assertThat(store.delegate.load(loggingIn.key()).orElseThrow().attributes()).containsOnlyKeys("user", "role");
    }

    @Test
    void changeIdWhenTheMergedRecordWouldExceedTheCapThenTooLargeAndTheOldRecordKept() {
        try (SessionManager small = SessionManager.builder(store)
                .config(CloakroomConfig.builder().idleTimeout(IDLE).maxSessionBytes(1_000).build()).clock(clock).sweeping(false).build()) {
            Session session = small.create();
            session.setAttribute("start", "yes");
            small.commit(session);
            Session loggingIn = small.find(session.id()).orElseThrow();
            Session other = small.find(session.id()).orElseThrow();
            other.setAttribute("other", "x".repeat(600));
            small.commit(other);

            loggingIn.changeId();
            loggingIn.setAttribute("mine", "y".repeat(600));

            assertThatThrownBy(() -> small.commit(loggingIn)).isInstanceOf(SessionTooLargeException.class)
                    .hasMessageContaining("limit of 1000");
            assertThat(store.delegate.load(session.key()).orElseThrow().attributes()).containsOnlyKeys("start", "other");
            assertThat(store.delegate.load(loggingIn.key())).isEmpty();
            assertThat(loggingIn.isStored()).as("not under its new id").isFalse();
            assertThat(loggingIn.isNew()).isFalse();
        }
    }

    @Test
    void commitWhenAnotherRequestFilledTheSessionMeanwhileThenTooLargeAndNothingWritten() {
        try (SessionManager small = SessionManager.builder(store)
                .config(CloakroomConfig.builder().idleTimeout(IDLE).maxSessionBytes(1_000).build()).clock(clock).sweeping(false).build()) {
            Session session = small.create();
            session.setAttribute("start", "yes");
            small.commit(session);
            Session slow = small.find(session.id()).orElseThrow();
            Session other = small.find(session.id()).orElseThrow();
            other.setAttribute("other", "x".repeat(600));
            small.commit(other);

            slow.setAttribute("mine", "y".repeat(600));

            assertThatThrownBy(() -> small.commit(slow)).isInstanceOf(SessionTooLargeException.class)
                    .hasMessageContaining("limit of 1000");
            assertThat(store.delegate.load(session.key()).orElseThrow().attributes()).containsOnlyKeys("start", "other");
        }
    }

    @Test
    void commitWhenAnAttributeWasChangedInPlaceToSomethingUnstorableThenTheOtherChangesAreSavedAndTheBadOneNamed() {
        Session session = manager.create();
        session.setAttribute("lines", new ArrayList<>(List.of("a")));
        session.setAttribute("count", 1);
        manager.commit(session);
        Session request = manager.find(session.id()).orElseThrow();

        @SuppressWarnings("unchecked")
        List<String> lines = (List<String>) request.getAttribute("lines");
        lines.add("half an emoji \uD83D");
        request.setAttribute("count", 2);
        request.setAttribute("theme", "dark");

        assertThatThrownBy(() -> manager.commit(request)).isInstanceOf(UnsupportedAttributeException.class)
                .hasMessageContaining("'lines'").hasMessageContaining("surrogate");
        assertThat(request.isStored()).isTrue();
        SessionRecord stored = store.delegate.load(session.key()).orElseThrow();
        assertThat(stored.attributes()).containsEntry("count", "2").containsEntry("theme", "\"dark\"")
                .containsEntry("lines", "[\"a\"]");
    }

    @Test
    void commitWhenANewSessionHoldsAnUnstorableAttributeThenTheOthersAreStoredAndTheCookieIsStillToBeSet() {
        Session session = manager.create();
        List<String> lines = new ArrayList<>(List.of("a"));
        session.setAttribute("lines", lines);
        session.setAttribute("count", 1);
        lines.add("\uDE00");

        assertThatThrownBy(() -> manager.commit(session)).isInstanceOf(UnsupportedAttributeException.class)
                .hasMessageContaining("'lines'");
        assertThat(store.delegate.load(session.key()).orElseThrow().attributes()).isEqualTo(Map.of("count", "1"));
        assertThat(session.isNew()).isFalse();
        assertThat(session.isStored()).as("stored under the id its cookie is to carry").isTrue();
    }

    @Test
    void commitWhenAValueReturnedByUpdateIsChangedInPlaceAfterwardsThenTheChangeIsSaved() {
        Session session = manager.create();
        session.setAttribute("lines", List.of("a"));
        manager.commit(session);
        Session request = manager.find(session.id()).orElseThrow();

        List<String> held = request.update("lines", (List<String> lines) -> new ArrayList<>(lines));
        held.add("b");
        manager.commit(request);

        assertThat(manager.find(session.id()).orElseThrow().getAttribute("lines")).isEqualTo(List.of("a", "b"));
    }

    @Test
    void commitWhenAValueSavedByAnEarlierCommitIsChangedInPlaceAfterwardsThenTheChangeIsSaved() {
        Session session = manager.create();
        List<String> set = new ArrayList<>(List.of("a"));
        session.setAttribute("set", set);
        manager.commit(session);
        Session request = manager.find(session.id()).orElseThrow();
        request.setAttribute("read", new ArrayList<>(List.of("r")));
        @SuppressWarnings("unchecked")
        List<String> held = (List<String>) request.getAttribute("set");
        held.add("b");
        manager.commit(request); // as at response-commit time; an async part goes on working

        held.add("c");
        @SuppressWarnings("unchecked")
        List<String> readHeld = (List<String>) request.getAttribute("read");
        readHeld.add("s");
        manager.commit(request);

        Session after = manager.find(session.id()).orElseThrow();
        assertThat(after.getAttribute("set")).isEqualTo(List.of("a", "b", "c"));
        assertThat(after.getAttribute("read")).isEqualTo(List.of("r", "s"));
    }

    @Test
    void commitWhenAValueHeldSinceTheLoadIsChangedInPlaceAfterUpdateWroteThenTheChangeIsSaved() {
        Session session = manager.create();
        session.setAttribute("lines", List.of("a"));
        session.setAttribute("n", 0);
        manager.commit(session);
        Session request = manager.find(session.id()).orElseThrow();
        @SuppressWarnings("unchecked")
        List<String> held = (List<String>) request.getAttribute("lines");
        List<String> copy = new ArrayList<>(held);
        request.setAttribute("lines", copy);

        request.<Integer>update("n", n -> n + 1);
        copy.add("b");
        manager.commit(request);

        Session after = manager.find(session.id()).orElseThrow();
        assertThat(after.getAttribute("lines")).isEqualTo(List.of("a", "b"));
        assertThat(after.getAttribute("n")).isEqualTo(1);
    }

    @Test
    void updateWhenItRetriesThenAnAttributeThisRequestOnlyReadFollowsTheStoreAndIsNotWrittenBack() {
        Session session = manager.create();
        session.setAttribute("theme", "light");
        session.setAttribute("uploads", 0);
        manager.commit(session);
        Session slow = manager.find(session.id()).orElseThrow();
        Session fast = manager.find(session.id()).orElseThrow();
        assertThat(slow.getAttribute("theme")).isEqualTo("light");

        fast.setAttribute("theme", "dark");
        manager.commit(fast);
        slow.<Integer>update("uploads", n -> n + 1);
        manager.commit(slow);

        Session after = manager.find(session.id()).orElseThrow();
        assertThat(after.getAttribute("theme")).isEqualTo("dark");
        assertThat(after.getAttribute("uploads")).isEqualTo(1);
    }

    @Test
    void updateWhenEveryAttemptConflictsThenGivesUpAtTheStoreTimeoutSayingHowLongAndHowOften() {
        AtomicInteger conflicts = new AtomicInteger();
        try (SessionManager contended = SessionManager.builder(store)
                .config(CloakroomConfig.builder().idleTimeout(IDLE).storeTimeout(Duration.ofMillis(200)).build())
                .clock(clock).sweeping(false).build()) {
            Session session = contended.create();
            session.setAttribute("n", 0);
            contended.commit(session);
            Session request = contended.find(session.id()).orElseThrow();
            Session rival = contended.find(session.id()).orElseThrow();
            store.beforeWrite = write -> {
                if (write.expectedVersion() != SessionWrite.ANY_VERSION) {
                    // another request writes between this one's read and its compare-and-set, every time
                    rival.setAttribute("rival", conflicts.incrementAndGet());
                    contended.commit(rival);
                }
            };

            assertThatThrownBy(() -> request.<Integer>update("n", n -> n + 1)).isInstanceOf(SessionStoreException.class)
                    .hasMessageContaining("store timeout of 200 ms")
                    .satisfies(e -> assertThat(e.getMessage()).contains(conflicts.get() + " conflicting writes"));
        } finally {
            store.beforeWrite = write -> { };
        }
    }

    /** A real store, with every call counted: how the tests see "no store I/O". */
    static final class CountingStore implements SessionStore {
        final MemorySessionStore delegate;
        final AtomicInteger calls = new AtomicInteger();
        /** Runs before each write reaches the store: where a test lets another request act. */
        volatile Consumer<SessionWrite> beforeWrite = write -> { };
        /** Runs before each delete reaches the store: where a test lets another request act. */
        volatile Consumer<SessionKey> beforeDelete = key -> { };
        /** How many of the next deletes fail as if the store were down. */
        final AtomicInteger failDeletes = new AtomicInteger();

        CountingStore(MemorySessionStore delegate) {
            this.delegate = delegate;
        }

        @Override
        public Optional<SessionRecord> load(SessionKey key) {
            calls.incrementAndGet();
            return delegate.load(key);
        }

        @Override
        public WriteResult write(SessionWrite write) {
            calls.incrementAndGet();
            beforeWrite.accept(write);
            return delegate.write(write);
        }

        @Override
        public WriteResult move(SessionKey from, SessionWrite write) {
            calls.incrementAndGet();
            beforeWrite.accept(write);
            return delegate.move(from, write);
        }

        @Override
        public boolean delete(SessionKey key) {
            calls.incrementAndGet();
            beforeDelete.accept(key);
            if (failDeletes.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new SessionStoreUnavailableException("simulated outage");
            }
            return delegate.delete(key);
        }

        @Override
        public RecordPage list(String cursor, int limit) {
            calls.incrementAndGet();
            return delegate.list(cursor, limit);
        }

        @Override
        public int sweep(Instant now, int limit, Consumer<SessionRecord> deleted) {
            calls.incrementAndGet();
            return delegate.sweep(now, limit, deleted);
        }

        @Override
        public String describe() {
            return "counting " + delegate.describe();
        }

        @Override
        public void close() {
            delegate.close();
        }
    }
}
