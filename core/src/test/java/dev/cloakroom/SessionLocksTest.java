package dev.cloakroom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class SessionLocksTest {
    private static final SessionKey KEY = SessionKey.of(new SessionIds().next());

    private final SessionLocks locks = new SessionLocks();
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void stopThreads() {
        threads.shutdownNow();
    }

    @Test
    void lockWhenReleasedThenItsEntryIsGone() {
        try (SessionLocks.Held held = locks.acquire(KEY, Duration.ofSeconds(1).toNanos())) {
            assertThat(held).isNotNull();
            assertThat(locks.size()).isEqualTo(1);
        }
        assertThat(locks.size()).isZero();
    }

    @Test
    void lockWhenTheWaitTimesOutThenNullAndOnlyTheHoldersEntryStays() throws Exception {
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Future<?> holder = threads.submit(() -> {
            try (SessionLocks.Held h = locks.acquire(KEY, Duration.ofSeconds(1).toNanos())) {
                held.countDown();
                release.await();
            }
            return null;
        });
        assertThat(held.await(10, TimeUnit.SECONDS)).isTrue();

        long started = System.nanoTime();
        assertThat(locks.acquire(KEY, Duration.ofMillis(100).toNanos())).isNull();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(100));
        assertThat(locks.size()).isEqualTo(1);

        release.countDown();
        holder.get(10, TimeUnit.SECONDS);
        assertThat(locks.size()).isZero();
    }

    @Test
    void writtenSinceWhenAWriteLandedAfterTheStampThenTrueAndTheLastCompareAndSetIsHandedOn() {
        long before = locks.stamp();
        try (SessionLocks.Held held = locks.acquire(KEY, Duration.ofSeconds(1).toNanos())) {
            assertThat(held.writtenSince(before)).isFalse();
            long written = held.wrote(null);
            assertThat(held.writtenSince(before)).isTrue();
            assertThat(held.writtenSince(written)).isFalse();
            assertThat(held.latest()).isNull();
        }
    }

    @Test
    void updateWhenAnotherRequestOfThisProcessWritesTheSessionPastTheStoreTimeoutThenStoreExceptionWithinIt() throws Exception {
        SwitchableStore store = new SwitchableStore();
        Duration timeout = Duration.ofMillis(300);
        try (SessionManager manager = SessionManager.builder(store).sweeping(false)
                .config(CloakroomConfig.builder().storeTimeout(timeout).build()).build()) {
            Session session = manager.create();
            session.setAttribute("n", 1);
            manager.commit(session);
            Session slow = manager.find(session.id()).orElseThrow();
            slow.setAttribute("a", "x");
            CountDownLatch writing = store.holdNextCall();
            Future<?> slowCommit = threads.submit(() -> manager.commit(slow));
            assertThat(writing.await(10, TimeUnit.SECONDS)).isTrue();

            Session waiting = manager.find(session.id()).orElseThrow();
            long started = System.nanoTime();
            assertThatThrownBy(() -> waiting.<Integer>update("n", n -> n + 1))
                    .isInstanceOf(SessionStoreException.class).hasMessageContaining("store timeout of 300 ms");
            Duration waited = Duration.ofNanos(System.nanoTime() - started);

            store.release();
            slowCommit.get(10, TimeUnit.SECONDS);
            assertThat(waited).isBetween(timeout, timeout.plusSeconds(1));
            assertThat(manager.find(session.id()).orElseThrow().getAttribute("n")).isEqualTo(1);
        }
    }
}
