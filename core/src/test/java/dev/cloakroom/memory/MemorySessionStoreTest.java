package dev.cloakroom.memory;

import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.CommitOutcome;
import dev.cloakroom.MutableClock;
import dev.cloakroom.Session;
import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionLimitExceededException;
import dev.cloakroom.SessionManager;
import dev.cloakroom.spi.SessionWrite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** What the memory store adds to the contract suite (run in the testkit): its cap. */
@Tag("unit")
class MemorySessionStoreTest {
    private static final Duration IDLE = Duration.ofMinutes(30);
    private static final SecureRandom RANDOM = new SecureRandom();

    private static SessionWrite create() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        Instant now = Instant.now();
        return new SessionWrite(new SessionKey("v1" + HexFormat.of().formatHex(bytes)), true, Map.of("a", "1"), Set.of(),
                now, now, IDLE, now.plus(IDLE), SessionWrite.ANY_VERSION, now, SessionWrite.NO_SIZE_LIMIT);
    }

    @Test
    void maxSessionsWhenOnlyExpiredSessionsFillItThenASweepIsRequestedAndMakesRoom() throws InterruptedException {
        MutableClock clock = new MutableClock();
        try (SessionManager manager = SessionManager.builder(new MemorySessionStore(1))
                .config(CloakroomConfig.builder().idleTimeout(IDLE).cleanupInterval(Duration.ofHours(1)).build())
                .clock(clock).sweeping(true).build()) {
            Session old = manager.create();
            old.setAttribute("a", 1);
            manager.commit(old);
            clock.advance(IDLE.plusSeconds(1));
            Session refused = manager.create();
            refused.setAttribute("a", 2);

            // No scheduled run within the hour: only the refusal's request can make room.
            assertThatThrownBy(() -> manager.commit(refused)).isInstanceOf(SessionLimitExceededException.class);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            Session next = manager.create();
            next.setAttribute("a", 3);
            while (true) {
                try {
                    assertThat(manager.commit(next)).isEqualTo(CommitOutcome.SAVED);
                    break;
                } catch (SessionLimitExceededException stillFull) {
                    assertThat(System.nanoTime()).as("room made within 10 s").isLessThan(deadline);
                    Thread.sleep(20);
                }
            }
        }
    }

    @Test
    void maxSessionsWhenManyCreateAtOnceThenTheCapHolds() throws Exception {
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (int round = 0; round < 300; round++) {
                MemorySessionStore store = new MemorySessionStore(1);
                CyclicBarrier start = new CyclicBarrier(threads);
                List<Future<?>> attempts = new ArrayList<>();
                for (int i = 0; i < threads; i++) {
                    attempts.add(pool.submit(() -> {
                        start.await();
                        try {
                            store.write(create());
                        } catch (SessionLimitExceededException refused) {
                            // expected for all but one
                        }
                        return null;
                    }));
                }
                for (Future<?> attempt : attempts) {
                    attempt.get(30, TimeUnit.SECONDS);
                }
                assertThat(store.sweep(Instant.MAX, Integer.MAX_VALUE, record -> { })).as("records held in round " + round).isEqualTo(1);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
