package dev.cloakroom.demo;

import org.junit.jupiter.api.Tag;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

/**
 * Issue 4 end to end: the demo with {@code SESSION_TYPE=redis} on the shared Redis (127.0.0.1:6379) behind a proxy.
 * Each test writes under its own {@code SESSION_KEY_PREFIX}; its keys are deleted afterwards with SCAN and DEL (never a
 * FLUSH: other tests use this server at the same time).
 */
@Tag("server")
class RedisOutageDemoTest extends ProxiedStoreOutageDemoTest {
    private final String prefix = "cloakroom-test:demo-outage:" + UUID.randomUUID().toString().substring(0, 8) + ":";

    @Override
    int serverPort() {
        return 6379;
    }

    @Override
    String storeName() {
        return "Redis";
    }

    @Override
    Map<String, String> storeSettings(int proxyPort) {
        return Map.of("SESSION_TYPE", "redis",
                "SESSION_REDIS", "redis://127.0.0.1:" + proxyPort,
                "SESSION_KEY_PREFIX", prefix);
    }

    @Override
    void removeStoredSessions() {
        RedisClient client = RedisClient.create(RedisURI.builder().withHost("127.0.0.1").withPort(6379)
                .withTimeout(Duration.ofSeconds(10)).build());
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            RedisCommands<String, String> redis = connection.sync();
            // the prefix is letters, digits, '-' and ':' only, so it needs no escaping in the pattern
            ScanArgs matching = ScanArgs.Builder.matches(prefix + "*").limit(1000);
            ScanCursor cursor = ScanCursor.INITIAL;
            long removed = 0;
            do {
                KeyScanCursor<String> page = redis.scan(cursor, matching);
                if (!page.getKeys().isEmpty()) {
                    removed += redis.del(page.getKeys().toArray(String[]::new));
                }
                cursor = page;
            } while (!cursor.isFinished());
            System.out.printf("removed %d keys under %s%n", removed, prefix);
        } finally {
            client.shutdown();
        }
    }
}
