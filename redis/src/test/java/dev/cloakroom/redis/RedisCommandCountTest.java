package dev.cloakroom.redis;

import static dev.cloakroom.testkit.SessionStoreContract.sweepOnce;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.Session;
import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionManager;
import dev.cloakroom.spi.SessionWrite;
import dev.cloakroom.spi.WriteResult;
import dev.cloakroom.testkit.RedisServerProcess;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.event.command.CommandListener;
import io.lettuce.core.event.command.CommandStartedEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Round trips per operation, counted twice: the commands the client sends (a Lettuce {@link CommandListener}) and the
 * server's {@code INFO commandstats} deltas, on a private {@code redis-server} that nothing else talks to.
 * The server counts the commands a Lua script runs inside too, so its deltas list them: they cost no round trip.
 */
@Tag("server")
class RedisCommandCountTest {
    private static final int PORT = RedisServerProcess.freePort();
    private static final Duration IDLE = Duration.ofMinutes(30);
    private static RedisServerProcess server;
    private static RedisInspector inspector;

    private final List<String> sent = new CopyOnWriteArrayList<>();
    private RedisClient client;
    private RedisSessionStore store;
    private SessionManager manager;

    @BeforeAll
    static void startServer() {
        server = RedisServerProcess.start(PORT);
        inspector = new RedisInspector("127.0.0.1", PORT);
    }

    @AfterAll
    static void stopServer() {
        inspector.close();
        server.close();
    }

    @BeforeEach
    void open() {
        client = RedisClient.create(RedisURI.create("redis://127.0.0.1:" + PORT));
        client.addListener(new CommandListener() {
            @Override
            public void commandStarted(CommandStartedEvent event) {
                sent.add(event.getCommand().getType().toString());
            }
        });
    }

    @AfterEach
    void close() {
        manager.close();
        client.shutdown();
    }

    private void build(boolean listeners) {
        store = RedisSessionStore.builder(client).keyPrefix("counted:").expiryListeners(listeners).build();
        manager = SessionManager.builder(store).config(CloakroomConfig.builder().idleTimeout(IDLE).build()).sweeping(false).build();
        sent.clear();
    }

    /** Runs {@code action}; returns the commands sent and checks the server saw exactly {@code serverDeltas}. */
    private List<String> measure(Runnable action, Map<String, Long> serverDeltas) {
        Map<String, Long> before = commandStats();
        sent.clear();
        action.run();
        List<String> commands = new ArrayList<>(sent);
        Map<String, Long> after = commandStats();
        Map<String, Long> delta = new HashMap<>();
        after.forEach((name, calls) -> {
            long d = calls - before.getOrDefault(name, 0L);
            if (d != 0 && !name.equals("info")) {
                delta.put(name, d);
            }
        });
        assertThat(delta).as("INFO commandstats deltas").isEqualTo(serverDeltas);
        return commands;
    }

    private static Map<String, Long> commandStats() {
        Map<String, Long> stats = new HashMap<>();
        for (String line : inspector.redis().info("commandstats").split("\r?\n")) {
            if (line.startsWith("cmdstat_")) {
                String name = line.substring("cmdstat_".length(), line.indexOf(':'));
                String calls = line.substring(line.indexOf("calls=") + 6, line.indexOf(','));
                stats.put(name, Long.parseLong(calls));
            }
        }
        return stats;
    }

    private Session storedSession() {
        Session session = manager.create();
        session.setAttribute("file_contents", List.of("a", "b"));
        manager.commit(session);
        return session;
    }

    // Proves docs/persistence.md#redis-written
    @Test
    void createWhenCommittedThenOneScriptIsSent() {
        build(false);
        Session session = manager.create();
        session.setAttribute("file_contents", List.of("a", "b"));
        session.setAttribute("n", 1);

        List<String> commands = measure(() -> manager.commit(session),
                // inside the script: EXISTS, HSET created, HSET metadata, HSET per attribute, PEXPIRE
                Map.of("evalsha", 1L, "exists", 1L, "hset", 4L, "pexpire", 1L));

        assertThat(commands).containsExactly("EVALSHA");
    }

    // Proves docs/persistence.md#redis-written
    @Test
    void requestWhenItOnlyReadsTheSessionThenOneCommandIsSent() {
        build(false);
        Session session = storedSession();

        List<String> commands = measure(() -> {
            Session request = manager.find(session.id()).orElseThrow();
            assertThat(request.getAttribute("file_contents")).isEqualTo(List.of("a", "b"));
            manager.commit(request);
        }, Map.of("hgetall", 1L));

        assertThat(commands).containsExactly("HGETALL");
    }

    // Proves docs/persistence.md#redis-written
    @Test
    void requestWhenItChangesTheSessionThenOneLoadAndOneScriptAreSent() {
        build(false);
        Session session = storedSession();

        List<String> commands = measure(() -> {
            Session request = manager.find(session.id()).orElseThrow();
            request.setAttribute("theme", "dark");
            request.removeAttribute("file_contents");
            manager.commit(request);
        }, Map.of("hgetall", 1L, "evalsha", 1L, "type", 1L, "hmget", 2L, "hset", 2L, "hdel", 1L, "pexpire", 1L));

        assertThat(commands).containsExactly("HGETALL", "EVALSHA");
    }

    @Test
    void storeWhenLoadingOrWritingAChangeThenOneCommandEach() {
        build(false);
        Session session = storedSession();

        assertThat(measure(() -> store.load(session.key()), Map.of("hgetall", 1L))).containsExactly("HGETALL");
        Instant now = Instant.now();
        SessionWrite change = new SessionWrite(session.key(), false, Map.of("x", "1"), Set.of(), now, now, IDLE,
                now.plus(IDLE), SessionWrite.ANY_VERSION, now, SessionWrite.NO_SIZE_LIMIT);
        assertThat(measure(() -> assertThat(store.write(change)).isEqualTo(WriteResult.WRITTEN),
                Map.of("evalsha", 1L, "type", 1L, "hmget", 2L, "hset", 2L, "pexpire", 1L))).containsExactly("EVALSHA");
    }

    @Test
    void moveWhenTheOldKeyIsLiveThenOneScriptIsSent() {
        build(false);
        Session session = storedSession();
        Instant now = Instant.now();
        SessionWrite move = new SessionWrite(TestKeys.random(), false, Map.of("x", "1"), Set.of(), now, now, IDLE,
                now.plus(IDLE), SessionWrite.ANY_VERSION, now, SessionWrite.NO_SIZE_LIMIT);

        List<String> commands = measure(() -> assertThat(store.move(session.key(), move)).isEqualTo(WriteResult.WRITTEN),
                // inside the script: check the old record, read it whole, write the new one field by field, drop the old
                Map.of("evalsha", 1L, "type", 1L, "hmget", 1L, "exists", 1L, "hgetall", 1L, "hset", 3L, "pexpire", 1L,
                        "del", 1L));

        assertThat(commands).containsExactly("EVALSHA");
    }

    // Proves docs/persistence.md#redis-written
    @Test
    void requestWhenTheIdIsMalformedOrANewSessionStaysEmptyThenNoCommandIsSent() {
        build(false);
        storedSession();

        assertThat(measure(() -> manager.find("not-a-session-id"), Map.of())).isEmpty();
        assertThat(measure(() -> manager.commit(manager.create()), Map.of())).isEmpty();
    }

    @Test
    void changeAndInvalidateWhenExpiryListenersAreOnThenStillOneLoadAndOneScriptEach() {
        build(true);
        Session session = storedSession();

        List<String> change = measure(() -> {
            Session request = manager.find(session.id()).orElseThrow();
            request.setAttribute("theme", "dark");
            manager.commit(request);
        }, Map.of("hgetall", 1L, "evalsha", 1L, "type", 1L, "hmget", 2L, "hset", 2L, "pexpire", 2L, "zadd", 1L, "pttl", 1L));
        assertThat(change).containsExactly("HGETALL", "EVALSHA");

        List<String> invalidate = measure(() -> manager.find(session.id()).orElseThrow().invalidate(),
                // inside the script: TYPE and HGET of the principal, whose index entry goes too (none here)
                Map.of("hgetall", 1L, "evalsha", 1L, "type", 1L, "hget", 1L, "del", 1L, "zrem", 1L));
        assertThat(invalidate).containsExactly("HGETALL", "EVALSHA");
    }

    @Test
    void scriptWhenUnknownToTheServerThenSentInFullOnceAndByDigestAfterwards() {
        build(false);
        Session session = storedSession();
        inspector.redis().scriptFlush();

        Session first = manager.find(session.id()).orElseThrow();
        first.setAttribute("n", 1);
        List<String> afterFlush = measure(() -> manager.commit(first),
                Map.of("evalsha", 1L, "eval", 1L, "type", 1L, "hmget", 2L, "hset", 2L, "pexpire", 1L));
        assertThat(afterFlush).containsExactly("EVALSHA", "EVAL");

        Session second = manager.find(session.id()).orElseThrow();
        second.setAttribute("n", 2);
        assertThat(measure(() -> manager.commit(second),
                Map.of("evalsha", 1L, "type", 1L, "hmget", 2L, "hset", 2L, "pexpire", 1L))).containsExactly("EVALSHA");
        assertThat(manager.find(session.id()).orElseThrow().getAttribute("n")).isEqualTo(2);
    }

    @Test
    void sweepWhenManyExpiredThenOnlyAboutOneBatchOfMembersTravels() {
        build(true);
        Instant now = Instant.now();
        Duration idle = Duration.ofMinutes(1);
        for (int i = 0; i < 2000; i++) {
            store.write(new SessionWrite(SessionKey.of("backlog-" + i), true, Map.of("n", Integer.toString(i)), Set.of(),
                    now, now, idle, now.plus(idle), SessionWrite.ANY_VERSION, now, SessionWrite.NO_SIZE_LIMIT));
        }
        long before = netOutputBytes();

        int swept = sweepOnce(store, now.plus(idle).plusSeconds(1), 10).size();

        long sent = netOutputBytes() - before;
        System.out.println("MEASURED: one sweep batch of 10 out of 2000 expired sessions moved " + sent + " bytes");
        assertThat(swept).isEqualTo(10);
        // 10 records and a count per index shard; not up to 10 members from each of the 256 shards (~140 kB here)
        assertThat(sent).isLessThan(40_000);
    }

    private static long netOutputBytes() {
        for (String line : inspector.redis().info("stats").split("\r?\n")) {
            if (line.startsWith("total_net_output_bytes:")) {
                return Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
            }
        }
        throw new IllegalStateException("no total_net_output_bytes in INFO stats");
    }
}
