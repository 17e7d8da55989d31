package dev.cloakroom.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionStoreUnavailableException;
import dev.cloakroom.spi.SessionWrite;
import dev.cloakroom.spi.WriteResult;
import dev.cloakroom.testkit.LocalRedisCluster;
import dev.cloakroom.testkit.RedisServerProcess;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@link RedisSessionStore.Builder#waitForReplicas}: a write is acknowledged only once a replica confirmed it, on a
 * private master with one replica, and on a private cluster where only the master whose replica is paused fails.
 */
@Tag("server")
class RedisReplicaWaitTest {
    private static final Duration IDLE = Duration.ofMinutes(5);
    private static final Duration WAIT = Duration.ofMillis(500);
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(2);
    private static final String PREFIX = "failover:wait:";

    // Proves docs/persistence.md#redis-replicas
    @Test
    void writeWhenReplicaConfirmsThenWrittenAndOnTheReplica() {
        try (RedisServerProcess master = RedisServerProcess.start(RedisServerProcess.freePort());
             RedisServerProcess replica = replicaOf(master);
             RedisSessionStore store = waitingStore("redis://127.0.0.1:" + master.port())) {
            SessionKey key = TestKeys.random();
            assertThat(store.write(create(key))).isEqualTo(WriteResult.WRITTEN);
            // WAIT counted the replica's acknowledgement of this write's offset, so it is there without any delay
            assertThat(replica.cli("exists", new KeyLayout(PREFIX).sessionKey(key)).trim()).isEqualTo("1");
            assertThat(store.delete(key)).isTrue();
            assertThat(replica.cli("exists", new KeyLayout(PREFIX).sessionKey(key)).trim()).isEqualTo("0");
        }
    }

    // Proves docs/persistence.md#redis-replicas
    @Test
    void writeWhenReplicaPausedThenUnavailableWithinTheWaitAndBackOnceItResumes() {
        try (RedisServerProcess master = RedisServerProcess.start(RedisServerProcess.freePort());
             RedisServerProcess replica = replicaOf(master);
             RedisSessionStore store = waitingStore("redis://127.0.0.1:" + master.port())) {
            SessionKey key = TestKeys.random();
            assertThat(store.write(create(key))).isEqualTo(WriteResult.WRITTEN);
            replica.pause();
            try {
                long start = System.nanoTime();
                assertThatThrownBy(() -> store.write(change(key)))
                        .isInstanceOf(SessionStoreUnavailableException.class)
                        .hasMessageContaining("0 of 1 replicas confirmed");
                Duration took = Duration.ofNanos(System.nanoTime() - start);
                assertThat(took).isBetween(WAIT, COMMAND_TIMEOUT);
                assertThatThrownBy(() -> store.delete(key)).isInstanceOf(SessionStoreUnavailableException.class);
            } finally {
                replica.resume();
            }
            // an unconfirmed write is reported failed, yet it stands on the master: the delete took effect there
            assertThat(store.load(key)).isEmpty();
            assertThat(store.write(create(TestKeys.random()))).isEqualTo(WriteResult.WRITTEN);
        }
    }

    // Proves docs/persistence.md#redis-replicas
    @Test
    void clusterWriteWhenOneReplicaPausedThenOnlyItsMastersSessionsFail() {
        try (LocalRedisCluster cluster = LocalRedisCluster.start(3, 1);
             RedisSessionStore store = waitingStore(cluster.uri())) {
            RedisServerProcess lagging = cluster.masters().get(0);
            List<RedisServerProcess> replicas = cluster.replicasOf(lagging);
            assertThat(replicas).hasSize(1);
            SessionKey onLagging = keyServedBy(cluster, lagging, true);
            SessionKey elsewhere = keyServedBy(cluster, lagging, false);
            assertThat(store.write(create(onLagging))).isEqualTo(WriteResult.WRITTEN);
            assertThat(store.write(create(elsewhere))).isEqualTo(WriteResult.WRITTEN);
            replicas.get(0).pause();
            try {
                // WAIT must run on the master that took the write: sent to any other node it would confirm at once
                assertThatThrownBy(() -> store.write(change(onLagging))).isInstanceOf(SessionStoreUnavailableException.class);
                assertThat(store.write(change(elsewhere))).isEqualTo(WriteResult.WRITTEN);
                assertThat(store.load(elsewhere)).isPresent();
            } finally {
                replicas.get(0).resume();
            }
            assertThat(store.write(change(onLagging))).isEqualTo(WriteResult.WRITTEN);
        }
    }

    private static RedisServerProcess replicaOf(RedisServerProcess master) {
        RedisServerProcess replica = RedisServerProcess.start(RedisServerProcess.freePort(),
                "--replicaof", "127.0.0.1", Integer.toString(master.port()));
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!replica.cli("info", "replication").contains("master_link_status:up")) {
            assertThat(System.nanoTime()).as("replica in sync").isLessThan(deadline);
            RedisServerProcess.sleep(100);
        }
        return replica;
    }

    private static RedisSessionStore waitingStore(String uri) {
        return RedisSessionStore.builder(uri).keyPrefix(PREFIX).commandTimeout(COMMAND_TIMEOUT)
                .waitForReplicas(1, WAIT).build();
    }

    /** A random key whose slot {@code master} serves ({@code on}) or does not serve. */
    private static SessionKey keyServedBy(LocalRedisCluster cluster, RedisServerProcess master, boolean on) {
        RedisClusterClient client = RedisClusterClient.create(RedisURI.create("redis://127.0.0.1:" + master.port()));
        try {
            KeyLayout layout = new KeyLayout(PREFIX);
            while (true) {
                SessionKey key = TestKeys.random();
                int port = client.getPartitions().getMasterBySlot(TestKeys.slot(layout, key)).getUri().getPort();
                if ((port == master.port()) == on) {
                    return key;
                }
            }
        } finally {
            client.shutdown();
        }
    }

    private static SessionWrite create(SessionKey key) {
        Instant now = Instant.now();
        return new SessionWrite(key, true, Map.of("a", "1"), Set.of(), now, now, IDLE, now.plus(IDLE),
                SessionWrite.ANY_VERSION, now, SessionWrite.NO_SIZE_LIMIT);
    }

    private static SessionWrite change(SessionKey key) {
        Instant now = Instant.now();
        return new SessionWrite(key, false, Map.of("b", "2"), Set.of(), now, now, IDLE, now.plus(IDLE),
                SessionWrite.ANY_VERSION, now, SessionWrite.NO_SIZE_LIMIT);
    }
}
