package dev.cloakroom.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloakroom.Session;
import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionManager;
import dev.cloakroom.SessionStore;
import dev.cloakroom.testkit.SessionStoreContract;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The store contract on a real three-master Redis Cluster that this class starts on ports 7301-7303, in listener mode
 * (the index shards must share a slot with their sessions, or the scripts would fail with CROSSSLOT).
 */
class RedisClusterSessionStoreContractTest extends SessionStoreContract {
    private static final String PREFIX = RedisInspector.uniquePrefix("cluster");
    private static LocalRedisCluster cluster;
    private static RedisClusterClient inspectorClient;
    private static RedisInspector inspector;

    @BeforeAll
    static void startCluster() {
        cluster = LocalRedisCluster.start(7301, 7302, 7303);
        inspectorClient = RedisClusterClient.create(RedisURI.create("redis://127.0.0.1:7301"));
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
}
