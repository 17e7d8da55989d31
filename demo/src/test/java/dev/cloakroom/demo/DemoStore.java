package dev.cloakroom.demo;

import dev.cloakroom.SessionKey;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The stores the demo runs on in {@link BrowserDemoTest}, each opened fresh for one test: the settings that point the
 * demo at it, and a direct look at what it holds, as the seed's author took with {@code ls}, {@code psql} and
 * {@code redis-cli}. Closing removes everything the test stored.
 */
enum DemoStore {
    /** A temporary folder (the demo's default store type). */
    FILESYSTEM {
        @Override
        Opened open() throws IOException {
            Path dir = Files.createTempDirectory("cloakroom-browser-");
            return new Opened(Map.of("SESSION_TYPE", "filesystem", "SESSION_FILE_DIR", dir.toString())) {
                @Override
                List<String> recordNames() throws IOException {
                    try (Stream<Path> walk = Files.walk(dir)) {
                        return walk.filter(Files::isRegularFile).map(f -> f.getFileName().toString())
                                .filter(SessionKey::isKey).toList();
                    }
                }

                @Override
                public void close() throws IOException {
                    try (Stream<Path> walk = Files.walk(dir)) {
                        for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                            Files.deleteIfExists(path);
                        }
                    }
                }
            };
        }
    },
    /** A table of its own in the shared PostgreSQL's {@code cloakroom_test}, dropped afterwards. */
    POSTGRESQL {
        private static final String URL = "jdbc:postgresql://127.0.0.1:5432/cloakroom_test";

        @Override
        Opened open() {
            String table = "demo_browser_" + UUID.randomUUID().toString().substring(0, 8);
            return new Opened(Map.of("SESSION_TYPE", "sqlalchemy",
                    "SQLALCHEMY_DATABASE_URI", "postgresql://postgres@127.0.0.1:5432/cloakroom_test",
                    "SESSION_SQLALCHEMY_TABLE", table)) {
                @Override
                List<String> recordNames() throws SQLException {
                    try (Connection connection = DriverManager.getConnection(URL, "postgres", "");
                         Statement statement = connection.createStatement()) {
                        statement.setQueryTimeout(10);
                        List<String> names = new ArrayList<>();
                        try (ResultSet rows = statement.executeQuery("SELECT session_key FROM " + table)) {
                            while (rows.next()) {
                                names.add(rows.getString(1));
                            }
                        }
                        return names;
                    }
                }

                @Override
                public void close() throws SQLException {
                    try (Connection connection = DriverManager.getConnection(URL, "postgres", "");
                         Statement statement = connection.createStatement()) {
                        statement.setQueryTimeout(10);
                        statement.execute("DROP TABLE IF EXISTS " + table);
                    }
                }
            };
        }
    },
    /**
     * The shared Redis under a {@code SESSION_KEY_PREFIX} of its own; its keys are deleted afterwards with SCAN and
     * DEL (never a FLUSH: other tests use this server at the same time).
     */
    REDIS {
        @Override
        Opened open() {
            // letters, digits, '-' and ':' only, so the prefix needs no escaping in a SCAN pattern
            String prefix = "cloakroom-test:demo-browser:" + UUID.randomUUID().toString().substring(0, 8) + ":";
            Pattern sessionHash = Pattern.compile(Pattern.quote(prefix) + "\\{[0-9a-f]{2}}v1[0-9a-f]{64}");
            RedisClient client = RedisClient.create(RedisURI.builder().withHost("127.0.0.1").withPort(6379)
                    .withTimeout(Duration.ofSeconds(10)).build());
            StatefulRedisConnection<String, String> connection;
            try {
                connection = client.connect();
            } catch (RuntimeException e) {
                client.shutdown();
                throw e;
            }
            RedisCommands<String, String> redis = connection.sync();
            return new Opened(Map.of("SESSION_TYPE", "redis", "SESSION_REDIS", "redis://127.0.0.1:6379",
                    "SESSION_KEY_PREFIX", prefix)) {
                @Override
                List<String> recordNames() {
                    return keys().stream().filter(k -> sessionHash.matcher(k).matches()).toList();
                }

                @Override
                String recordName(SessionKey key) {
                    return prefix + "{" + key.value().substring(2, 4) + "}" + key.value();
                }

                @Override
                public void close() {
                    try {
                        List<String> keys = keys();
                        if (!keys.isEmpty()) {
                            redis.del(keys.toArray(String[]::new));
                        }
                    } finally {
                        connection.close();
                        client.shutdown();
                    }
                }

                private List<String> keys() {
                    List<String> keys = new ArrayList<>();
                    ScanArgs matching = ScanArgs.Builder.matches(prefix + "*").limit(1000);
                    ScanCursor cursor = ScanCursor.INITIAL;
                    do {
                        KeyScanCursor<String> page = redis.scan(cursor, matching);
                        keys.addAll(page.getKeys());
                        cursor = page;
                    } while (!cursor.isFinished());
                    return keys;
                }
            };
        }
    };

    /** Opens a fresh, empty instance of this store. */
    abstract Opened open() throws Exception;

    /** One test's instance of a store. */
    abstract static class Opened implements AutoCloseable {
        private final Map<String, String> settings;

        Opened(Map<String, String> settings) {
            this.settings = settings;
        }

        /** The demo's settings that select this instance. */
        Map<String, String> settings() {
            return settings;
        }

        /** What each stored session is filed under: file names, {@code session_key} values, Redis hash names. */
        abstract List<String> recordNames() throws Exception;

        /** The name {@link #recordNames()} shows for the session whose key is {@code key}: the key itself by default. */
        String recordName(SessionKey key) {
            return key.value();
        }
    }
}
