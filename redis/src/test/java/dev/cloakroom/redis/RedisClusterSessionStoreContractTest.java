package dev.cloakroom.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloakroom.Session;
import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionManager;
import dev.cloakroom.spi.SessionStore;
import dev.cloakroom.testkit.SessionStoreContract;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.SessionStoreUnavailableException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The store contract on a real three-master Redis Cluster that this class starts on free ports, in listener mode
 * (the index shards must share a slot with their sessions, or the scripts would fail with CROSSSLOT).
 */
class RedisClusterSessionStoreContractTest extends SessionStoreContract {
    private static final String PREFIX = RedisInspector.uniquePrefix("cluster");
    private static LocalRedisCluster cluster;
    private static RedisClusterClient inspectorClient;
    private static RedisInspector inspector;

    @BeforeAll
    static void startCluster() {
        cluster = LocalRedisCluster.start(3);
        inspectorClient = RedisClusterClient.create(RedisURI.create("redis://127.0.0.1:" + cluster.nodes().get(0).port()));
        inspector = new RedisInspector(inspectorClient);
    }

    @AfterAll
    static void stopCluster() {
        if (inspector != null) {
            inspector.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Override
    protected SessionStore createStore() {
        return RedisSessionStore.builder(cluster.uri()).keyPrefix(PREFIX).expiryListeners(true).build();
    }

    @Override
    protected String dumpStorage() {
        return inspector.dump(PREFIX);
    }

    @Override
    protected void writeGarbage(SessionKey key) {
        String redisKey = new KeyLayout(PREFIX).sessionKey(key);
        inspector.redis().del(redisKey);
        inspector.redis().set(redisKey, "\u0000not a session\u00ff");
    }

    @Test
    void sessionsSpreadOverEveryMasterAndRenamingNeedsNoCrossSlotCommand() {
        SessionManager manager = manager();
        for (int i = 0; i < 60; i++) {
            Session session = manager.create();
            session.setAttribute("n", i);
            manager.commit(session);
            session.changeId();
            manager.commit(session);
            assertThat(manager.find(session.id()).orElseThrow().getAttribute("n")).isEqualTo(i);
        }

        Set<Integer> nodesWithSessions = new HashSet<>();
        for (RedisServerProcess node : cluster.nodes()) {
            try (RedisInspector direct = new RedisInspector("127.0.0.1", node.port())) {
                List<String> keys = direct.keys(PREFIX);
                if (keys.stream().anyMatch(k -> k.matches(".*\\}v1[0-9a-f]{64}"))) {
                    nodesWithSessions.add(node.port());
                }
            }
        }
        assertThat(nodesWithSessions).hasSize(3);
    }

    @Test
    void whenOneMasterHangsThenItsSessionsFailWithinTheTimeoutOthersWorkAndAllRecover() {
        Duration timeout = Duration.ofSeconds(1);
        try (SessionManager manager = SessionManager.builder(RedisSessionStore.builder(cluster.uri()).keyPrefix(PREFIX)
                .commandTimeout(timeout).build()).config(CloakroomConfig.builder().build()).sweeping(false).build()) {
            Session onHungNode = manager.create();
            onHungNode.setAttribute("where", "hung");
            manager.commit(onHungNode);
            RedisServerProcess hung = nodeHolding(onHungNode.key());
            Session elsewhere;
            do {
                elsewhere = manager.create();
                elsewhere.setAttribute("where", "fine");
                manager.commit(elsewhere);
            } while (nodeHolding(elsewhere.key()) == hung);

            // The node stops answering clients for 4 s; the cluster bus keeps running, so no failover.
            assertThat(hung.cli("client", "pause", "4000", "ALL").trim()).isEqualTo("OK");
            long started = System.nanoTime();
            assertThatThrownBy(() -> manager.find(onHungNode.id())).isInstanceOf(SessionStoreUnavailableException.class);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)).isLessThan(timeout.toMillis() + 1000);
            assertThat(manager.find(elsewhere.id()).orElseThrow().getAttribute("where")).isEqualTo("fine");

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            Optional<Session> back = Optional.empty();
            while (back.isEmpty() && System.nanoTime() < deadline) {
                try {
                    back = manager.find(onHungNode.id());
                } catch (SessionStoreUnavailableException e) {
                    RedisServerProcess.sleep(100);
                }
            }
            assertThat(back).as("served again after the pause").isPresent();
            assertThat(back.get().getAttribute("where")).isEqualTo("hung");
        }
    }

    @Test
    void anApplicationsOwnClusterClientCanBeUsedAndStaysOpenAfterTheStoreCloses() {
        Session session;
        try (SessionManager manager = SessionManager.builder(RedisSessionStore.builder(inspectorClient).keyPrefix(PREFIX).build())
                .config(CloakroomConfig.builder().build()).sweeping(false).build()) {
            session = manager.create();
            session.setAttribute("via", "own client");
            manager.commit(session);
            assertThat(manager.find(session.id()).orElseThrow().getAttribute("via")).isEqualTo("own client");
        }
        assertThat(inspector.redis().exists(new KeyLayout(PREFIX).sessionKey(session.key()))).isOne();
    }

    private static RedisServerProcess nodeHolding(SessionKey key) {
        String redisKey = new KeyLayout(PREFIX).sessionKey(key);
        for (RedisServerProcess node : cluster.nodes()) {
            try (RedisInspector direct = new RedisInspector("127.0.0.1", node.port())) {
                if (direct.keys(PREFIX).contains(redisKey)) {
                    return node;
                }
            }
        }
        throw new AssertionError("no node holds " + key);
    }
}
