package dev.cloakroom.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionStoreException;
import dev.cloakroom.SessionStoreUnavailableException;
import dev.cloakroom.spi.SessionRecord;
import dev.cloakroom.spi.SessionWrite;
import dev.cloakroom.spi.WriteResult;
import dev.cloakroom.testkit.LocalRedisCluster;
import dev.cloakroom.testkit.RedisServerProcess;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code kill -9} of one master of a 3-master cluster with one replica each, under writes: only the sessions on its
 * slots fail, only until its replica took over, and none of the others sees an error.
 */
@Tag("server")
class RedisClusterFailoverTest {
    private static final String PREFIX = "failover:store:";
    private static final Duration IDLE = Duration.ofMinutes(5);
    private static final int SESSIONS_PER_MASTER = 4;
    /** From the promotion the servers report to the first write served again: Lettuce must learn the new map by then. */
    private static final Duration RECOVERY_AFTER_PROMOTION = Duration.ofMillis(2500);

    /** One session written in a loop by its own thread: the last version acknowledged, and when calls failed. */
    private static final class Writer {
        final SessionKey key;
        final boolean onKilled;
        volatile long acknowledged;
        volatile long firstFailure;
        volatile int failures;
        volatile int otherErrors;
        volatile long recoveredAt;
        volatile boolean failing;
        volatile String firstError;

        Writer(SessionKey key, boolean onKilled) {
            this.key = key;
            this.onKilled = onKilled;
        }
    }

    /**
     * Redis's default {@code cluster-require-full-coverage yes} makes every node answer {@code CLUSTERDOWN} from when
     * the dead master is marked failed until its replica took over; with {@code no}, the other masters go on serving.
     */
    // Proves docs/persistence.md#redis-replicas
    @Test
    void killMasterWhenFullCoverageNotRequiredThenOnlyItsSessionsFailAndOnlyUntilThePromotion() throws Exception {
        try (LocalRedisCluster cluster = LocalRedisCluster.start(3, 1, "--cluster-require-full-coverage", "no",
                "--cluster-node-timeout", "2000");
             RedisSessionStore store = RedisSessionStore.builder(cluster.uri()).keyPrefix(PREFIX)
                     .commandTimeout(Duration.ofSeconds(1)).build()) {
            RedisServerProcess victim = cluster.masters().get(0);
            List<RedisServerProcess> itsReplicas = cluster.replicasOf(victim);
            List<Writer> writers = writers(cluster, victim);
            for (Writer writer : writers) {
                assertThat(store.write(create(writer.key))).isEqualTo(WriteResult.WRITTEN);
            }
            AtomicBoolean stop = new AtomicBoolean();
            ExecutorService pool = Executors.newFixedThreadPool(writers.size());
            List<Future<?>> loops = new ArrayList<>();
            for (Writer writer : writers) {
                loops.add(pool.submit(() -> writeUntil(store, writer, stop)));
            }
            RedisServerProcess.sleep(1500);
            long killedAt = System.nanoTime();
            victim.kill();
            RedisServerProcess promoted = cluster.awaitFailover(victim, itsReplicas, Duration.ofSeconds(30));
            long promotedAt = System.nanoTime();
            long deadline = promotedAt + RECOVERY_AFTER_PROMOTION.toNanos() + Duration.ofSeconds(10).toNanos();
            while (writers.stream().anyMatch(w -> w.onKilled && (w.recoveredAt == 0 || w.failing)) && System.nanoTime() < deadline) {
                RedisServerProcess.sleep(50);
            }
            RedisServerProcess.sleep(1000);
            stop.set(true);
            for (Future<?> loop : loops) {
                loop.get();
            }
            pool.shutdown();

            long lost = 0;
            long acknowledged = 0;
            for (Writer writer : writers) {
                Optional<SessionRecord> stored = store.load(writer.key);
                assertThat(stored).as("session %s", writer.key).isPresent();
                long kept = Long.parseLong(stored.get().attributes().get("n"));
                acknowledged += writer.acknowledged;
                lost += Math.max(0, writer.acknowledged - kept);
            }
            long worstRecovery = writers.stream().filter(w -> w.onKilled).mapToLong(w -> w.recoveredAt - killedAt).max().orElse(0);
            System.out.printf("failover: promotion %d ms after kill -9 (port %d -> %d); sessions on "
                            + "the dead master served again %d ms after the kill; %d acknowledged writes, %d lost; "
                            + "failures per session %s%n",
                    (promotedAt - killedAt) / 1_000_000, victim.port(), promoted.port(), worstRecovery / 1_000_000,
                    acknowledged, lost, writers.stream().map(w -> (w.onKilled ? "killed:" : "other:") + w.failures).toList());
            writers.stream().filter(w -> w.firstError != null)
                    .forEach(w -> System.out.println((w.onKilled ? "killed: " : "other: ") + w.firstError));
            assertThat(writers).allSatisfy(w -> assertThat(w.otherErrors).as("non-transient errors").isZero());
            assertThat(writers.stream().filter(w -> !w.onKilled)).allSatisfy(w ->
                    assertThat(w.failures).as("failures of a session on a live master").isZero());
            assertThat(writers.stream().filter(w -> w.onKilled)).allSatisfy(w -> {
                assertThat(w.failures).as("failures of a session on the killed master").isPositive();
                assertThat(w.firstFailure).isGreaterThanOrEqualTo(killedAt);
                assertThat(Duration.ofNanos(w.recoveredAt - promotedAt)).as("served again after the promotion")
                        .isLessThan(RECOVERY_AFTER_PROMOTION);
            });
        }
    }

    private static void writeUntil(RedisSessionStore store, Writer writer, AtomicBoolean stop) {
        for (long n = 1; !stop.get(); n++) {
            try {
                WriteResult result = store.write(change(writer.key, n));
                if (result == WriteResult.WRITTEN) {
                    writer.acknowledged = n;
                    if (writer.failing) {
                        writer.failing = false;
                        writer.recoveredAt = System.nanoTime();
                    }
                } else {
                    writer.otherErrors++;
                }
            } catch (SessionStoreUnavailableException e) {
                long now = System.nanoTime();
                if (writer.failures++ == 0) {
                    writer.firstFailure = now;
                    writer.firstError = e.toString();
                }
                writer.failing = true;
                RedisServerProcess.sleep(20);
            } catch (SessionStoreException e) {
                writer.otherErrors++;
                System.out.println("error writing " + writer.key + ": " + e);
            }
        }
    }

    private static List<Writer> writers(LocalRedisCluster cluster, RedisServerProcess victim) {
        RedisClusterClient client = RedisClusterClient.create(RedisURI.create("redis://127.0.0.1:" + victim.port()));
        try {
            KeyLayout layout = new KeyLayout(PREFIX);
            List<Writer> writers = new ArrayList<>();
            for (RedisServerProcess master : cluster.masters()) {
                int found = 0;
                while (found < SESSIONS_PER_MASTER) {
                    SessionKey key = TestKeys.random();
                    if (client.getPartitions().getMasterBySlot(TestKeys.slot(layout, key)).getUri().getPort() == master.port()) {
                        writers.add(new Writer(key, master == victim));
                        found++;
                    }
                }
            }
            return writers;
        } finally {
            client.shutdown();
        }
    }

    private static SessionWrite create(SessionKey key) {
        Instant now = Instant.now();
        return new SessionWrite(key, true, Map.of("n", "0"), Set.of(), now, now, IDLE, now.plus(IDLE),
                SessionWrite.ANY_VERSION, now, SessionWrite.NO_SIZE_LIMIT);
    }

    private static SessionWrite change(SessionKey key, long n) {
        Instant now = Instant.now();
        return new SessionWrite(key, false, Map.of("n", Long.toString(n)), Set.of(), now, now, IDLE, now.plus(IDLE),
                SessionWrite.ANY_VERSION, now, SessionWrite.NO_SIZE_LIMIT);
    }
}
