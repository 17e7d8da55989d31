package dev.cloakroom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloakroom.file.FileSessionStore;
import dev.cloakroom.spi.SweepLease;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each {@link SessionMetrics} callback fires exactly when its event happens, and only then. */
@Tag("unit")
class SessionMetricsTest {
    private static final Duration IDLE = Duration.ofMinutes(30);
    private static final Duration RETRY = Duration.ofSeconds(5);

    private final MutableClock clock = new MutableClock();
    private final RecordingMetrics metrics = new RecordingMetrics();
    private final SwitchableStore store = new SwitchableStore();
    private final SessionManager manager = SessionManager.builder(store)
            .config(CloakroomConfig.builder().idleTimeout(IDLE).storeRetryInterval(RETRY).build())
            .clock(clock)
            .sweeping(false)
            .metrics(metrics)
            .build();

    @AfterEach
    void close() {
        manager.close();
    }

    private Session stored() {
        Session session = manager.create();
        session.setAttribute("user", "ada");
        manager.commit(session);
        metrics.take();
        return session;
    }

    @Test
    void commitWhenNewSessionHoldsDataThenCreatedOnceAndEmptyOneNothing() {
        manager.commit(manager.create());
        assertThat(metrics.take()).isEmpty();

        Session session = manager.create();
        session.setAttribute("user", "ada");
        manager.commit(session);
        assertThat(metrics.take()).containsExactly("call WRITE", "created");
    }

    @Test
    void findWhenLiveThenLoadedAndWhenMalformedUnknownOrExpiredThenRejected() {
        Session session = stored();
        assertThat(manager.find(session.id())).isPresent();
        assertThat(metrics.take()).containsExactly("call LOAD", "loaded");

        assertThat(manager.find("../../etc/passwd")).isEmpty();
        assertThat(metrics.take()).containsExactly("rejected MALFORMED");

        assertThat(manager.find(manager.create().id())).isEmpty();
        assertThat(metrics.take()).containsExactly("call LOAD", "rejected UNKNOWN");

        clock.advance(IDLE.plusSeconds(1));
        assertThat(manager.find(session.id())).isEmpty();
        assertThat(metrics.take()).containsExactly("call LOAD", "rejected UNKNOWN");
    }

    @Test
    void commitWhenChangedThenSavedWhenUnchangedThenNothingWhenTouchDueThenTouched() {
        Session session = manager.find(stored().id()).orElseThrow();
        metrics.take();
        manager.commit(session);
        assertThat(metrics.take()).isEmpty();

        session.setAttribute("user", "grace");
        manager.commit(session);
        assertThat(metrics.take()).containsExactly("call WRITE", "saved");

        clock.advance(IDLE.minusMinutes(1));
        Session later = manager.find(session.id()).orElseThrow();
        metrics.take();
        manager.commit(later);
        assertThat(metrics.take()).containsExactly("call WRITE", "touched");
    }

    @Test
    void changeIdAndInvalidateWhenStoredThenIdChangedAndInvalidatedOnce() {
        Session session = stored();
        session.changeId();
        manager.commit(session);
        assertThat(metrics.take()).containsExactly("call MOVE", "id changed");

        session.invalidate();
        assertThat(metrics.take()).containsExactly("call DELETE", "invalidated");

        Session unstored = manager.create();
        unstored.invalidate();
        assertThat(metrics.take()).containsExactly("invalidated");
    }

    @Test
    void updateWhenAnotherProcessWroteMeanwhileThenOneConflictThenSaved() {
        Session stored = stored();
        Session first = manager.find(stored.id()).orElseThrow();
        try (SessionManager otherNode = SessionManager.builder(store).clock(clock).sweeping(false).build()) {
            Session second = otherNode.find(stored.id()).orElseThrow();
            second.setAttribute("user", "grace");
            otherNode.commit(second);
        }
        metrics.take();

        first.update("count", (Integer n) -> n == null ? 1 : n + 1);
        assertThat(metrics.take()).containsExactly("call WRITE", "conflict", "call LOAD", "call WRITE", "saved");
    }

    @Test
    void updateWhenAnotherRequestOfThisProcessWroteMeanwhileThenReloadedFirstWithoutAConflict() {
        Session stored = stored();
        Session first = manager.find(stored.id()).orElseThrow();
        Session second = manager.find(stored.id()).orElseThrow();
        second.setAttribute("user", "grace");
        manager.commit(second);
        metrics.take();

        first.update("count", (Integer n) -> n == null ? 1 : n + 1);
        assertThat(metrics.take()).containsExactly("call LOAD", "call WRITE", "saved");
    }

    @Test
    void updateWhenConflictsOutlastStoreTimeoutThenConflictsThenGaveUpAndNothingSaved() {
        SwitchableStore conflicting = new SwitchableStore();
        try (SessionManager impatient = SessionManager.builder(conflicting)
                .config(CloakroomConfig.builder().storeTimeout(Duration.ofMillis(20)).build())
                .sweeping(false).metrics(metrics).build()) {
            Session session = impatient.create();
            session.setAttribute("user", "ada");
            impatient.commit(session);
            conflicting.conflicting = true;
            metrics.take();

            assertThatThrownBy(() -> session.update("count", (Integer n) -> 1)).isInstanceOf(SessionStoreException.class);
            List<String> events = metrics.take();
            assertThat(events).contains("conflict").doesNotContain("saved").last().isEqualTo("gave up");
            assertThat(events.stream().filter("conflict"::equals).count())
                    .isEqualTo(events.stream().filter("call WRITE"::equals).count());
        }
    }

    @Test
    void sweepWhenTwoExpiredThenExpiredTwiceAndLiveOneKept() {
        stored();
        stored();
        clock.advance(IDLE.plusSeconds(1));
        stored();
        assertThat(manager.sweeper().runOnce()).isEqualTo(2);
        assertThat(metrics.take()).containsExactly("call SWEEP_LEASE", "expired", "expired", "call SWEEP");
    }

    @Test
    void storeCallWhenStoreUnavailableThenUnavailableThenCircuitOpenWithoutReachingIt() {
        Session session = stored();
        store.mode = SwitchableStore.Mode.UNAVAILABLE;
        assertThatThrownBy(() -> manager.find(session.id())).isInstanceOf(SessionStoreUnavailableException.class);
        assertThat(metrics.take()).containsExactly("call LOAD", "error LOAD UNAVAILABLE");

        int reached = store.reached.get();
        assertThatThrownBy(session::invalidate).isInstanceOf(SessionStoreUnavailableException.class);
        assertThat(metrics.take()).containsExactly("error DELETE CIRCUIT_OPEN");
        assertThat(store.reached.get()).isEqualTo(reached);
    }

    @Test
    void storeCallWhenStoreAnswersWithErrorOrFullThenOther() {
        Session session = stored();
        store.mode = SwitchableStore.Mode.BROKEN;
        assertThatThrownBy(() -> manager.find(session.id())).isInstanceOf(SessionStoreException.class);
        assertThat(metrics.take()).containsExactly("call LOAD", "error LOAD OTHER");

        store.mode = SwitchableStore.Mode.FULL;
        Session fresh = manager.create();
        fresh.setAttribute("user", "ada");
        assertThatThrownBy(() -> manager.commit(fresh)).isInstanceOf(SessionLimitExceededException.class);
        assertThat(metrics.take()).containsExactly("call WRITE", "error WRITE OTHER");
    }

    @Test
    void everyStoreOperationWhenCalledThenTimedUnderItsName(@TempDir Path dir) {
        RecordingMetrics calls = new RecordingMetrics();
        CircuitBreakingStore breaker = new CircuitBreakingStore(FileSessionStore.builder(dir).build(), RETRY, clock, calls);
        try {
            SessionKey key = SessionKey.of(manager.create().id());
            breaker.load(key);
            breaker.delete(key);
            breaker.list(null, 10);
            breaker.sweep(clock.instant(), 10, record -> { });
            breaker.tryAcquireSweepLease(Duration.ofSeconds(1)).ifPresent(SweepLease::close);
        } finally {
            breaker.close();
        }
        assertThat(calls.take()).containsExactly("call LOAD", "call DELETE", "call LIST", "call SWEEP", "call SWEEP_LEASE");
    }

    @Test
    void metricsWhenNoneGivenThenNoOp() {
        try (SessionManager plain = SessionManager.builder(new SwitchableStore()).sweeping(false).build()) {
            assertThat(plain.metrics()).isSameAs(SessionMetrics.NO_OP);
        }
    }
}
