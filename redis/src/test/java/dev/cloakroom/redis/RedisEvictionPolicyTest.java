package dev.cloakroom.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloakroom.SessionKey;
import dev.cloakroom.spi.SessionWrite;
import dev.cloakroom.spi.WriteResult;
import dev.cloakroom.testkit.RedisServerProcess;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Start-up warning about {@code maxmemory-policy}, on private servers (the shared Redis's settings are not ours to
 * change): one with the policy set by {@code CONFIG SET}, one with {@code CONFIG} disabled as managed Redis services
 * do.
 */
@Tag("server")
class RedisEvictionPolicyTest {
    private static RedisServerProcess server;
    private static RedisServerProcess noConfig;

    @BeforeAll
    static void startServers() {
        server = RedisServerProcess.start(RedisServerProcess.freePort());
        noConfig = RedisServerProcess.start(RedisServerProcess.freePort(), "--rename-command", "CONFIG", "");
    }

    @AfterAll
    static void stopServers() {
        server.close();
        noConfig.close();
    }

    /** What the store logs while it starts (slf4j-simple writes to System.err). */
    private static String startupLog(String uri) {
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            RedisSessionStore.builder(uri).keyPrefix("policy:").build().close();
        } finally {
            System.setErr(original);
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        original.print(log);
        return log;
    }

    @Test
    void startUpWhenPolicyIsAllkeysThenWarns() {
        assertThat(server.cli("config", "set", "maxmemory-policy", "allkeys-lru").trim()).isEqualTo("OK");

        assertThat(startupLog("redis://127.0.0.1:" + server.port())).contains("WARN").contains("maxmemory-policy is 'allkeys-lru'");
    }

    @Test
    void startUpWhenPolicyKeepsKeysWithoutTtlOrRefusesWritesThenNoWarning() {
        for (String policy : new String[] {"noeviction", "volatile-lru", "volatile-ttl"}) {
            assertThat(server.cli("config", "set", "maxmemory-policy", policy).trim()).isEqualTo("OK");

            assertThat(startupLog("redis://127.0.0.1:" + server.port())).as(policy).doesNotContain("maxmemory-policy").contains("connected: Redis");
        }
    }

    @Test
    void startUpWhenConfigIsForbiddenThenNoWarningAndTheStoreStartsAndWorks() {
        assertThat(noConfig.cli("config", "get", "maxmemory-policy")).contains("unknown command");
        assertThat(startupLog("redis://127.0.0.1:" + noConfig.port())).doesNotContain("WARN");

        try (RedisSessionStore store = RedisSessionStore.builder("redis://127.0.0.1:" + noConfig.port()).keyPrefix("policy:").build()) {
            SessionKey key = SessionKey.of("any-id-will-do-for-a-key-0123456789abcdef");
            Instant now = Instant.now();
            Duration idle = Duration.ofMinutes(5);
            assertThat(store.write(new SessionWrite(key, true, Map.of("a", "1"), Set.of(), now, now, idle, now.plus(idle),
                    SessionWrite.ANY_VERSION, now, SessionWrite.NO_SIZE_LIMIT))).isEqualTo(WriteResult.WRITTEN);
            assertThat(store.load(key)).isPresent();
        }
    }

    @Test
    void evictionWarningWhenAnAllkeysPolicyThenPresentAndWhenVolatileOrUnknownThenEmpty() {
        assertThat(RedisConnection.evictionWarning("allkeys-lfu")).isPresent();
        assertThat(RedisConnection.evictionWarning("allkeys-random")).isPresent();
        assertThat(RedisConnection.evictionWarning("volatile-lfu")).isEmpty();
        assertThat(RedisConnection.evictionWarning(null)).isEmpty();
    }
}
