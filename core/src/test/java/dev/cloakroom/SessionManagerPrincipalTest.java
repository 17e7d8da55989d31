package dev.cloakroom;

import dev.cloakroom.memory.MemorySessionStore;
import dev.cloakroom.spi.RecordPage;
import dev.cloakroom.spi.RecordSummary;
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
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Sessions by user: the principal's validation, how commit writes it, and listing and revoking a user's sessions. */
@Tag("unit")
class SessionManagerPrincipalTest {
    private static final Duration IDLE = Duration.ofMinutes(30);
    private static final Duration ABSOLUTE = Duration.ofHours(8);

    private final MutableClock clock = new MutableClock();
    private final MemorySessionStore store = new MemorySessionStore();
    private final List<String> events = new ArrayList<>();
    private final SessionManager manager = managerWith(SessionManager.builder(store));

    private SessionManager managerWith(SessionManager.Builder builder) {
        return builder.config(CloakroomConfig.builder().idleTimeout(IDLE).absoluteTimeout(ABSOLUTE).build())
                .clock(clock)
                .sweeping(false)
                .listener(new SessionListener() {
                    @Override
                    public void sessionDestroyed(SessionKey key, Map<String, Object> attributes, Reason reason) {
                        events.add(reason + " " + key.value() + " " + attributes);
                    }
                })
                .build();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private Session signedIn(String user) {
        Session session = manager.create();
        session.setAttribute("cart", List.of("apple"));
        session.setPrincipal(user);
        manager.commit(session);
        return session;
    }

    @Test
    void setPrincipalWhenNameInvalidThenRefusedWithAMessageAndNothingChanges() {
        Session session = manager.create();
        session.setPrincipal("alice");

        assertThatThrownBy(() -> session.setPrincipal(" \t")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("blank");
        assertThatThrownBy(() -> session.setPrincipal("")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("blank");
        assertThatThrownBy(() -> session.setPrincipal("al\nice")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("control").hasMessageContaining("U+000A");
        assertThatThrownBy(() -> session.setPrincipal("al\u0085ice")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("control");
        assertThatThrownBy(() -> session.setPrincipal("al\uD800ice")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lone surrogate");
        assertThatThrownBy(() -> session.setPrincipal("x\uDC00")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lone surrogate");
        // 129 two-byte characters: 258 bytes, though only 129 chars
        assertThatThrownBy(() -> session.setPrincipal("é".repeat(129))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at most 256 bytes").hasMessageContaining("258");

        assertThat(session.principal()).contains("alice");
    }

    @Test
    void setPrincipalWhenAtTheBoundOrAPairedSurrogateThenAccepted() {
        Session session = manager.create();
        session.setPrincipal("é".repeat(128));
        assertThat(session.principal()).contains("é".repeat(128));
        session.setPrincipal("\uD83D\uDE00 smile@example.org");
        assertThat(session.principal()).contains("\uD83D\uDE00 smile@example.org");
        session.setPrincipal(null);
        assertThat(session.principal()).isEmpty();
    }

    @Test
    void commitWhenPrincipalSetThenStoredWithTheAttributesAndLoadedBack() {
        Session session = signedIn("alice");

        assertThat(store.load(session.key()).orElseThrow().principal()).isEqualTo("alice");
        assertThat(store.load(session.key()).orElseThrow().version()).isEqualTo(1);
        assertThat(manager.find(session.id()).orElseThrow().principal()).contains("alice");
    }

    @Test
    void commitWhenOnlyThePrincipalChangedThenWrittenAndWhenClearedThenUnindexed() {
        Session session = manager.create();
        session.setAttribute("a", 1);
        manager.commit(session);

        Session next = manager.find(session.id()).orElseThrow();
        next.setPrincipal("alice");
        assertThat(manager.commit(next)).isEqualTo(CommitOutcome.SAVED);
        assertThat(manager.sessionsOf("alice")).extracting(SessionInfo::key).containsExactly(session.key());

        Session third = manager.find(session.id()).orElseThrow();
        third.setPrincipal(null);
        assertThat(manager.commit(third)).isEqualTo(CommitOutcome.SAVED);
        assertThat(manager.sessionsOf("alice")).isEmpty();
        assertThat(store.holdsPrincipalIndexFor("alice")).isFalse();
    }

    @Test
    void commitWhenANewSessionHoldsOnlyAPrincipalThenItIsStored() {
        Session session = manager.create();
        session.setPrincipal("alice");

        assertThat(manager.commit(session)).isEqualTo(CommitOutcome.SAVED);
        assertThat(manager.sessionsOf("alice")).hasSize(1);
    }

    @Test
    void commitWhenAnotherRequestDidNotSeeTheLoginThenThePrincipalStays() {
        Session session = manager.create();
        session.setAttribute("a", 1);
        manager.commit(session);
        Session before = manager.find(session.id()).orElseThrow();
        Session login = manager.find(session.id()).orElseThrow();
        login.setPrincipal("alice");
        manager.commit(login);

        before.setAttribute("b", 2);
        manager.commit(before);

        assertThat(store.load(session.key()).orElseThrow().principal()).isEqualTo("alice");
    }

    @Test
    void changeIdWhenSignedInThenThePrincipalMovesWithTheSession() {
        Session session = signedIn("alice");
        SessionKey old = session.key();
        Session next = manager.find(session.id()).orElseThrow();
        next.changeId();
        manager.commit(next);

        assertThat(manager.sessionsOf("alice")).extracting(SessionInfo::key).containsExactly(next.key()).doesNotContain(old);
    }

    @Test
    void principalResolverWhenItNamesAnotherUserThenThePrincipalFollowsAndNullClearsIt() {
        try (SessionManager resolving = managerWith(SessionManager.builder(store)
                .principalResolver(s -> (String) s.getAttribute("user")))) {
            Session session = resolving.create();
            session.setAttribute("user", "bob");
            resolving.commit(session);
            assertThat(store.load(session.key()).orElseThrow().principal()).isEqualTo("bob");

            Session next = resolving.find(session.id()).orElseThrow();
            next.removeAttribute("user");
            resolving.commit(next);
            assertThat(store.load(session.key()).orElseThrow().principal()).isNull();
            assertThat(resolving.sessionsOf("bob")).isEmpty();
        }
    }

    @Test
    void principalResolverWhenTheNameCannotBeIndexedThenThePrincipalIsClearedAndTheCommitGoesOn() {
        try (SessionManager resolving = managerWith(SessionManager.builder(store)
                .principalResolver(s -> (String) s.getAttribute("user")))) {
            Session session = resolving.create();
            session.setAttribute("user", "bob");
            resolving.commit(session);
            Session next = resolving.find(session.id()).orElseThrow();
            next.setAttribute("user", "x".repeat(300));

            assertThat(resolving.commit(next)).isEqualTo(CommitOutcome.SAVED);
            assertThat(store.load(session.key()).orElseThrow().principal()).isNull();
            assertThat(store.load(session.key()).orElseThrow().attributes()).containsKey("user");
        }
    }

    @Test
    void sessionsOfWhenSomeExpiredThenOnlyLiveOnesMostRecentFirstWithTheirDeadlines() {
        Session first = signedIn("alice");
        clock.advance(Duration.ofMinutes(20));
        Session second = signedIn("alice");
        signedIn("bob");
        clock.advance(Duration.ofMinutes(15)); // first is idle for 35 minutes: expired

        List<SessionInfo> sessions = manager.sessionsOf("alice");

        assertThat(sessions).extracting(SessionInfo::key).containsExactly(second.key());
        SessionInfo info = sessions.get(0);
        assertThat(info.principal()).isEqualTo("alice");
        assertThat(info.createdAt()).isEqualTo(second.createdAt());
        assertThat(info.lastAccessedAt()).isEqualTo(second.createdAt());
        assertThat(info.idleDeadline()).isEqualTo(second.createdAt().plus(IDLE));
        assertThat(info.absoluteDeadline()).isEqualTo(second.createdAt().plus(ABSOLUTE));
        assertThat(info.expiresAt()).isEqualTo(info.idleDeadline());
        assertThat(info.sizeInBytes()).isEqualTo(store.load(second.key()).orElseThrow().sizeInBytes());
        assertThat(info.toString()).doesNotContain(second.id());
        assertThat(first.key()).isNotEqualTo(second.key());
    }

    @Test
    void sessionsOfWhenNameInvalidThenIllegalArgument() {
        assertThatThrownBy(() -> manager.sessionsOf(" ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> manager.revokeAll("a\u0000")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void revokeWhenLiveThenDeletedAndListenersToldRevokedOnceAndTheRequestFindsItEnded() {
        Session session = signedIn("alice");
        Session inFlight = manager.find(session.id()).orElseThrow();

        assertThat(manager.revoke(session.key())).isTrue();
        assertThat(manager.revoke(session.key())).isFalse();

        assertThat(events).containsExactly("REVOKED " + session.key().value() + " {cart=[apple]}");
        assertThat(manager.find(session.id())).isEmpty();
        inFlight.setAttribute("late", 1);
        assertThat(manager.commit(inFlight)).isEqualTo(CommitOutcome.ENDED);
        assertThat(store.holdsPrincipalIndexFor("alice")).isFalse();
    }

    @Test
    void revokeWhenExpiredThenFalseAndLeftToTheSweeper() {
        Session session = signedIn("alice");
        clock.advance(IDLE.plusSeconds(1));

        assertThat(manager.revoke(session.key())).isFalse();
        assertThat(events).isEmpty();
        assertThat(manager.sweeper().runOnce()).isEqualTo(1);
        assertThat(events).containsExactly("EXPIRED " + session.key().value() + " {cart=[apple]}");
        assertThat(store.holdsPrincipalIndexFor("alice")).isFalse();
    }

    @Test
    void revokeAllWhenAUserHasSessionsThenEveryOneEndsAndOtherUsersKeepTheirs() {
        List<Session> alices = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            alices.add(signedIn("alice"));
        }
        Session bobs = signedIn("bob");

        assertThat(manager.revokeAll("alice")).isEqualTo(5);

        assertThat(manager.sessionsOf("alice")).isEmpty();
        assertThat(alices).allSatisfy(s -> assertThat(manager.find(s.id())).isEmpty());
        assertThat(events).hasSize(5).allSatisfy(e -> assertThat(e).startsWith("REVOKED "));
        assertThat(manager.find(bobs.id())).isPresent();
        assertThat(manager.revokeAll("alice")).isZero();
        assertThat(store.holdsPrincipalIndexFor("alice")).isFalse();
    }

    @Test
    void revokeAllWhenMoreThanOneRoundThenEveryOneEnds() {
        int count = SessionManager.MAX_SESSIONS_PER_PRINCIPAL + 7;
        for (int i = 0; i < count; i++) {
            signedIn("carol");
        }

        assertThat(manager.sessionsOf("carol")).hasSize(SessionManager.MAX_SESSIONS_PER_PRINCIPAL);
        assertThat(manager.revokeAll("carol")).isEqualTo(count);
        assertThat(store.holdsPrincipalIndexFor("carol")).isFalse();
    }

    @Test
    void invalidateWhenSignedInThenTheIndexHoldsNothing() {
        Session session = signedIn("alice");
        manager.find(session.id()).orElseThrow().invalidate();

        assertThat(manager.sessionsOf("alice")).isEmpty();
        assertThat(store.holdsPrincipalIndexFor("alice")).isFalse();
    }

    /** A third-party store without an index: everything but {@code findByPrincipal}, which keeps its default. */
    private static final class ScanOnlyStore implements SessionStore {
        final MemorySessionStore memory = new MemorySessionStore();
        int listings;

        @Override public Optional<SessionRecord> load(SessionKey key) { return memory.load(key); }
        @Override public WriteResult write(SessionWrite write) { return memory.write(write); }
        @Override public WriteResult move(SessionKey from, SessionWrite write) { return memory.move(from, write); }
        @Override public boolean delete(SessionKey key) { return memory.delete(key); }
        @Override public int sweep(Instant now, int limit, Consumer<SessionRecord> deleted) { return memory.sweep(now, limit, deleted); }
        @Override public RecordPage list(String cursor, int limit) {
            listings++;
            return memory.list(cursor, limit);
        }
        @Override public String describe() { return "scan only"; }
        @Override public void close() { }
    }

    @Test
    void findByPrincipalWhenTheStoreKeepsNoIndexThenTheDefaultScansEveryPageAndKeepsTheLatestExpiries() {
        ScanOnlyStore scanOnly = new ScanOnlyStore();
        try (SessionManager scanning = managerWith(SessionManager.builder(scanOnly))) {
            List<SessionKey> alices = new ArrayList<>();
            for (int i = 0; i < SessionStore.PRINCIPAL_SCAN_PAGE + 50; i++) {
                Session session = scanning.create();
                session.setAttribute("n", i);
                session.setPrincipal(i % 100 == 0 ? "alice" : "bob");
                scanning.commit(session);
                if (i % 100 == 0) {
                    alices.add(0, session.key());
                }
                clock.advance(Duration.ofMillis(1));
            }

            assertThat(scanOnly.findByPrincipal("alice", 3)).extracting(RecordSummary::key).containsExactlyElementsOf(alices.subList(0, 3));
            assertThat(scanOnly.listings).isEqualTo(2);
            assertThat(scanning.sessionsOf("alice")).hasSize(alices.size());
            assertThat(scanning.revokeAll("alice")).isEqualTo(alices.size());
            assertThat(scanOnly.findByPrincipal("alice", 100)).isEmpty();
            assertThat(scanOnly.findByPrincipal("bob", 2000)).hasSize(SessionStore.PRINCIPAL_SCAN_PAGE + 50 - alices.size());
        }
    }
}
