package dev.cloakroom.demo;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cloakroom.Settings;
import dev.cloakroom.testkit.TcpProxy;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Redis goes away in the middle of an upload, right before one of the store commands the upload sends for an existing
 * session: {@code HGETALL} to load it, then one {@code EVALSHA} that saves {@code file_contents} and the upload count
 * together (the count's compare-and-set carries the request's other changes). The visitor gets a 503, and once Redis is back {@code /action} must show the old
 * upload with its old count: an upload is stored whole or not at all.
 */
@Tag("server")
class InterruptedUploadDemoTest {
    private final String prefix = "cloakroom-test:demo-cut:" + UUID.randomUUID().toString().substring(0, 8) + ":";
    private CommandCuttingProxy proxy;
    private DemoApp app;

    @AfterEach
    void stopAndCleanUp() throws Exception {
        try {
            if (app != null) {
                app.close();
            }
        } finally {
            if (proxy != null) {
                proxy.close();
            }
            removeKeys();
        }
    }

    @ParameterizedTest(name = "cut before command {0} ({1})")
    @CsvSource({"1, HGETALL", "2, EVALSHA"})
    void uploadWhenRedisGoesAwayBeforeTheLoadOrTheCountUpdateThen503AndTheOldUploadIsIntact(int command, String name)
            throws Exception {
        uploadCutBeforeCommandThenOldUploadIntact(command, name);
    }

    @Test
    void uploadWhenTheSessionExistsThenOneLoadAndOneAtomicWrite() throws Exception {
        proxy = new CommandCuttingProxy(6379);
        app = DemoApp.start(Settings.of(Map.of("PORT", "0", "SESSION_TYPE", "redis",
                "SESSION_REDIS", "redis://127.0.0.1:" + proxy.port(), "SESSION_KEY_PREFIX", prefix,
                "SESSION_CLEANUP_INTERVAL", "86400")));
        Browser browser = new Browser(app.uri());
        browser.upload("old.txt", "old contents".getBytes(UTF_8));

        proxy.cutBefore(3);
        assertThat(browser.upload("new.txt", "new contents".getBytes(UTF_8)).statusCode()).isIn(302, 303);

        assertThat(proxy.commandsSinceArmed()).as("the contents and the count are saved together")
                .containsExactly("HGETALL", "EVALSHA");
        proxy.disarm();
        assertThat(browser.get("/action").body()).contains("new&nbsp;contents<br>").contains("Uploads in this session: 2");
    }

    private void uploadCutBeforeCommandThenOldUploadIntact(int command, String name) throws Exception {
        proxy = new CommandCuttingProxy(6379);
        // no sweep during the test: its commands would be counted too
        app = DemoApp.start(Settings.of(Map.of("PORT", "0", "SESSION_TYPE", "redis",
                "SESSION_REDIS", "redis://127.0.0.1:" + proxy.port(), "SESSION_KEY_PREFIX", prefix,
                "SESSION_CLEANUP_INTERVAL", "86400")));
        Browser browser = new Browser(app.uri());
        assertThat(browser.upload("old.txt", "old contents".getBytes(UTF_8)).statusCode()).isIn(302, 303);
        assertThat(browser.get("/action").body()).contains("old&nbsp;contents<br>").contains("Uploads in this session: 1");
        String cookie = browser.cookie().orElseThrow();

        proxy.cutBefore(command);
        HttpResponse<String> upload = browser.upload("new.txt", "new contents".getBytes(UTF_8));
        assertThat(proxy.commandsSinceArmed()).as("commands the upload sent, the last one cut").hasSize(command)
                .last().isEqualTo(name);
        assertThat(upload.statusCode()).isEqualTo(503);
        assertThat(browser.cookie()).contains(cookie);

        proxy.restore();
        HttpResponse<String> back = Outages.awaitServed("Redis cut before command " + command + " of an upload", browser, "/action");
        assertThat(back.body()).contains("old&nbsp;contents<br>").doesNotContain("new&nbsp;contents")
                .contains("Uploads in this session: 1");
    }

    private void removeKeys() {
        RedisClient client = RedisClient.create(RedisURI.builder().withHost("127.0.0.1").withPort(6379)
                .withTimeout(Duration.ofSeconds(10)).build());
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            RedisCommands<String, String> redis = connection.sync();
            ScanArgs matching = ScanArgs.Builder.matches(prefix + "*").limit(1000);
            ScanCursor cursor = ScanCursor.INITIAL;
            do {
                KeyScanCursor<String> page = redis.scan(cursor, matching);
                if (!page.getKeys().isEmpty()) {
                    redis.del(page.getKeys().toArray(String[]::new));
                }
                cursor = page;
            } while (!cursor.isFinished());
        } finally {
            client.shutdown();
        }
    }

    /**
     * The testkit's loopback relay to Redis, armed to let a number of client commands through and to go down when the
     * next one arrives, before Redis sees it.
     */
    static final class CommandCuttingProxy implements AutoCloseable {
        private static final Pattern COMMAND = Pattern.compile("^\\*\\d+\\r\\n\\$\\d+\\r\\n([A-Za-z]+)\\r\\n");

        private final TcpProxy proxy;
        private final List<String> seen = Collections.synchronizedList(new ArrayList<>());

        CommandCuttingProxy(int redisPort) {
            proxy = TcpProxy.to("127.0.0.1", redisPort);
        }

        int port() {
            return proxy.port();
        }

        /** Passes {@code command - 1} more commands, then cuts everything when command number {@code command} comes. */
        void cutBefore(int command) {
            seen.clear();
            proxy.refuseWhen(chunk -> {
                byte[] head = new byte[Math.min(chunk.remaining(), 64)];
                chunk.get(head);
                Matcher name = COMMAND.matcher(new String(head, UTF_8));
                seen.add(name.find() ? name.group(1).toUpperCase(Locale.ROOT) : "?");
                return seen.size() >= command;
            });
        }

        /** The names of the commands received since {@link #cutBefore}, the cut one included. */
        List<String> commandsSinceArmed() {
            synchronized (seen) {
                return List.copyOf(seen);
            }
        }

        /** Stops counting without cutting. */
        void disarm() {
            proxy.refuseWhen(null);
        }

        void restore() {
            proxy.restore();
        }

        @Override
        public void close() {
            proxy.close();
        }
    }
}
