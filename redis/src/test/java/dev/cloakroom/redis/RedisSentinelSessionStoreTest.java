package dev.cloakroom.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.Session;
import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionManager;
import dev.cloakroom.spi.SessionStore;
import dev.cloakroom.SessionStoreUnavailableException;
import dev.cloakroom.testkit.SessionStoreContract;
import dev.cloakroom.testkit.RedisServerProcess;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The store contract through Redis Sentinel (a master, its replica and one Sentinel, all started here on free
 * ports), plus a failover: the same store follows the master to the replica and keeps serving the session.
 */
@Tag("server")
class RedisSentinelSessionStoreTest extends SessionStoreContract {
    private static final String PREFIX = RedisInspector.uniquePrefix("sentinel");
    private static String uri;
    private static RedisServerProcess master;
    private static RedisServerProcess replica;
    private static RedisServerProcess sentinel;

    @BeforeAll
    static void startServers() {
        master = RedisServerProcess.start(RedisServerProcess.freePort());
        replica = RedisServerProcess.start(RedisServerProcess.freePort(), "--replicaof", "127.0.0.1", Integer.toString(master.port()));
        sentinel = RedisServerProcess.startSentinel(RedisServerProcess.freePort(), master.port());
        uri = "redis-sentinel://127.0.0.1:" + sentinel.port() + "/0#mymaster";
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!master.cli("info", "replication").contains("connected_slaves:1")) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the replica did not connect");
            }
            RedisServerProcess.sleep(100);
        }
    }

    @AfterAll
    static void stopServers() {
        for (RedisServerProcess server : new RedisServerProcess[] {sentinel, replica, master}) {
            if (server != null) {
                server.close();
            }
        }
    }

    private static int masterPort() {
        return Integer.parseInt(sentinel.cli("sentinel", "get-master-addr-by-name", "mymaster").split("\\R")[1].trim());
    }

    private static RedisInspector masterInspector() {
        return new RedisInspector("127.0.0.1", masterPort());
    }

    @Override
    protected SessionStore createStore() {
        return RedisSessionStore.builder(uri).keyPrefix(PREFIX).expiryListeners(true).build();
    }

    @Override
    protected SessionStore createEmptyStore() {
        return RedisSessionStore.builder(uri).keyPrefix(PREFIX + "empty:").expiryListeners(true).build();
    }

    @Override
    protected String dumpStorage() {
        try (RedisInspector inspector = masterInspector()) {
            return inspector.dump(PREFIX);
        }
    }

    @Override
    protected void writeGarbage(SessionKey key) {
        try (RedisInspector inspector = masterInspector()) {
            String redisKey = new KeyLayout(PREFIX).sessionKey(key);
            inspector.redis().del(redisKey);
            inspector.redis().set(redisKey, "\u0000not a session\u00ff");
        }
    }

    @Test
    void sessionWhenTheMasterFailsOverThenTheSameStoreServesAndUpdatesItOnTheNewMaster() {
        SessionManager manager = SessionManager.builder(store).config(CloakroomConfig.builder().build()).sweeping(false).build();
        Session session = manager.create();
        session.setAttribute("file_contents", List.of("survives failover"));
        manager.commit(session);
        int before = masterPort();
        // WAIT: the replica has the write before the roles switch, as a real deployment would ensure with min-replicas
        try (RedisInspector inspector = masterInspector()) {
            assertThat(inspector.redis().waitForReplication(1, 5000)).isEqualTo(1L);
        }

        assertThat(sentinel.cli("sentinel", "failover", "mymaster").trim()).isEqualTo("OK");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (masterPort() == before && System.nanoTime() < deadline) {
            RedisServerProcess.sleep(100);
        }
        assertThat(masterPort()).isNotEqualTo(before);

        Session back = null;
        while (back == null && System.nanoTime() < deadline) {
            try {
                Optional<Session> found = manager.find(session.id());
                if (found.isPresent()) {
                    back = found.get();
                    back.setAttribute("after", "failover");
                    manager.commit(back);
                }
            } catch (SessionStoreUnavailableException e) {
                back = null;
                RedisServerProcess.sleep(100);
            }
        }
        assertThat(back).as("served by the new master within 30 s").isNotNull();
        assertThat(manager.find(session.id()).orElseThrow().getAttribute("after")).isEqualTo("failover");
        assertThat(manager.find(session.id()).orElseThrow().getAttribute("file_contents")).isEqualTo(List.of("survives failover"));
    }
}
