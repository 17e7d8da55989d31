package dev.cloakroom.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloakroom.SessionKey;
import dev.cloakroom.spi.SessionWrite;
import dev.cloakroom.spi.SweepLease;
import dev.cloakroom.spi.WriteResult;
import dev.cloakroom.testkit.TestClock;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** What every dialect must do beyond the contract: exact attribute texts, and a sweep lock two stores cannot share. */
@Tag("server")
class AcrossDatabasesTest {
    private static final String TABLE = TestDatabases.uniqueTable("across");
    private static final Path H2_DIRECTORY = TestDatabases.temporaryFolder("cloakroom-h2-acrossdatabases");
    private static final String H2_URL = TestDatabases.h2Url(H2_DIRECTORY);
    private static final Duration IDLE = Duration.ofMinutes(30);

    /** Texts a database's JSON type might rewrite: jsonb reorders keys, adds spaces, normalises numbers and escapes. */
    private static final Map<String, String> TRICKY = Map.of(
            "name", "\"Zoë\"",
            "n", "42",
            "decimal", "1.50",
            "exponent", "1e2",
            "object", "{\"b\":1,\"a\":2}",
            "escape", "\"\\u00e9\\u0000\"",
            "lines", "[\"a\",\"b  c\"]",
            "quote", "\"say \\\"hi\\\"\\n\"",
            "emoji", "\"\uD83E\uDDE5\"");

    private final TestClock clock = new TestClock();

    static Stream<String> urls() {
        return Stream.of(TestDatabases.POSTGRES_URL, TestDatabases.MARIADB_URL, H2_URL);
    }


    @AfterAll
    static void cleanUp() throws SQLException, IOException {
        for (String table : List.of(TABLE, TABLE + "_start", TABLE + "_old", TABLE + "_v1")) {
            try (Connection connection = TestDatabases.postgres()) {
                TestDatabases.execute(connection, "DROP TABLE IF EXISTS " + table);
            }
            try (Connection connection = TestDatabases.mariadb()) {
                TestDatabases.execute(connection, "DROP TABLE IF EXISTS " + table);
            }
        }
        TestDatabases.deleteTree(H2_DIRECTORY);
    }

    private static JdbcSessionStore store(String url) {
        return JdbcSessionStore.builder().url(url).table(TABLE).maxPoolSize(2).build();
    }


    @ParameterizedTest
    @MethodSource("urls")
    void attributeTextsWhenStoredAndMergedThenComeBackByteForByte(String url) {
        try (JdbcSessionStore store = store(url)) {
            SessionKey key = TestDatabases.randomKey();
            Instant now = clock.instant();
            store.write(new SessionWrite(key, true, TRICKY, Set.of(), now, now, IDLE, now.plus(IDLE), SessionWrite.ANY_VERSION, now, SessionWrite.NO_SIZE_LIMIT));
            assertThat(store.load(key).orElseThrow().attributes()).isEqualTo(TRICKY);

            SessionWrite merge = new SessionWrite(key, false, Map.of("added", "{\"z\":[1,2.0]}"), Set.of("n"), now, now, IDLE,
                    now.plus(IDLE), SessionWrite.ANY_VERSION, now, SessionWrite.NO_SIZE_LIMIT);
            assertThat(store.write(merge)).isEqualTo(WriteResult.WRITTEN);

            Map<String, String> expected = new java.util.HashMap<>(TRICKY);
            expected.remove("n");
            expected.put("added", "{\"z\":[1,2.0]}");
            assertThat(store.load(key).orElseThrow().attributes()).isEqualTo(expected);
        }
    }

    // Proves docs/persistence.md#mariadb-h2
    @ParameterizedTest
    @MethodSource("urls")
    void schemaWhenSixInstancesStartAtOnceThenAllStartAndShareOneTable(String url) throws Exception {
        String table = TABLE + "_start";
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(6);
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        List<java.util.concurrent.Future<JdbcSessionStore>> starting = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 6; i++) {
                starting.add(pool.submit(() -> {
                    go.await();
                    return JdbcSessionStore.builder().url(url).table(table).maxPoolSize(2).build();
                }));
            }
            go.countDown();
            List<JdbcSessionStore> stores = new java.util.ArrayList<>();
            for (var future : starting) {
                stores.add(future.get(60, java.util.concurrent.TimeUnit.SECONDS));
            }
            SessionKey key = TestDatabases.randomKey();
            Instant now = clock.instant();
            stores.get(0).write(new SessionWrite(key, true, Map.of("a", "1"), Set.of(), now, now, IDLE, now.plus(IDLE),
                    SessionWrite.ANY_VERSION, now, SessionWrite.NO_SIZE_LIMIT));
            for (JdbcSessionStore store : stores) {
                assertThat(store.load(key)).isPresent();
                store.close();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    // Proves docs/persistence.md#mariadb-h2
    @ParameterizedTest
    @MethodSource("urls")
    void roundTripsWhenLoadingAndChangingThenOneStatementEachWhereTheDatabaseMerges(String url) {
        DatabaseUrl parsed = DatabaseUrl.parse(url);
        try (com.zaxxer.hikari.HikariDataSource pool = TestDatabases.pool(url)) {
            CountingDataSource counting = new CountingDataSource(pool);
            try (JdbcSessionStore store = JdbcSessionStore.builder().dataSource(counting.dataSource()).table(TABLE).build()) {
                SessionKey key = TestDatabases.randomKey();
                Instant now = clock.instant();
                counting.take();
                store.write(new SessionWrite(key, true, Map.of("a", "1"), Set.of(), now, now, IDLE, now.plus(IDLE), SessionWrite.ANY_VERSION, now, SessionWrite.NO_SIZE_LIMIT));
                assertThat(counting.take()).as("create").isEqualTo(1);
                store.load(key);
                assertThat(counting.take()).as("load").isEqualTo(1);
                store.write(new SessionWrite(key, false, Map.of("b", "2"), Set.of("a"), now, now, IDLE, now.plus(IDLE), SessionWrite.ANY_VERSION, now, SessionWrite.NO_SIZE_LIMIT));
                // H2 has no JSON merge operator: SELECT ... FOR UPDATE, UPDATE, COMMIT in one transaction.
                assertThat(counting.take()).as("change").isEqualTo(parsed.database() == JdbcSessionStore.Database.H2 ? 3 : 1);
                assertThat(store.load(key).orElseThrow().attributes()).isEqualTo(Map.of("b", "2"));
            }
        }
    }

    // Proves docs/persistence.md#mariadb-h2
    @ParameterizedTest
    @MethodSource("urls")
    void olderLayoutWhenStartedThenMissingColumnsIndexAndMarkAddedAndRowsKept(String url) throws Exception {
        String table = TABLE + "_old";
        DatabaseUrl parsed = DatabaseUrl.parse(url);
        String create = switch (parsed.database()) {
            case POSTGRESQL -> "CREATE TABLE " + table + " (session_key varchar(66) PRIMARY KEY, data jsonb NOT NULL, expires_at timestamptz NOT NULL)";
            case MARIADB -> "CREATE TABLE " + table + " (session_key VARCHAR(66) PRIMARY KEY, data JSON NOT NULL, expires_at DATETIME(6) NOT NULL)";
            case H2 -> "CREATE TABLE " + table + " (session_key VARCHAR(66) PRIMARY KEY, data CHARACTER LARGE OBJECT NOT NULL, "
                    + "expires_at TIMESTAMP WITH TIME ZONE NOT NULL)";
        };
        SessionKey key = TestDatabases.randomKey();
        Instant expires = clock.instant().plus(IDLE);
        try (Connection connection = java.sql.DriverManager.getConnection(parsed.jdbcUrl(), parsed.user(), parsed.password())) {
            TestDatabases.execute(connection, "DROP TABLE IF EXISTS " + table);
            TestDatabases.execute(connection, create);
            try (var insert = connection.prepareStatement("INSERT INTO " + table + " VALUES (?, "
                    + (parsed.database() == JdbcSessionStore.Database.POSTGRESQL ? "?::jsonb" : "?") + ", ?)")) {
                insert.setString(1, key.value());
                insert.setString(2, "{\"n\": \"7\"}");
                insert.setObject(3, Dialect.of(parsed.database()).timestamp(expires));
                insert.executeUpdate();
            }
        }
        try (JdbcSessionStore store = JdbcSessionStore.builder().url(url).table(table).build()) {
            var record = store.load(key).orElseThrow();
            assertThat(record.attributes()).isEqualTo(Map.of("n", "7"));
            assertThat(record.version()).isEqualTo(1);
            assertThat(record.expiresAt()).isEqualTo(expires);
            Instant now = clock.instant();
            assertThat(store.write(new SessionWrite(key, false, Map.of("m", "8"), Set.of(), now, now, IDLE, now.plus(IDLE), 1, now, SessionWrite.NO_SIZE_LIMIT)))
                    .isEqualTo(WriteResult.WRITTEN);
        }
        try (Connection connection = java.sql.DriverManager.getConnection(parsed.jdbcUrl(), parsed.user(), parsed.password())) {
            Schema.Found found = Schema.inspect(connection, Table.parse(table));
            assertThat(found.current()).as("columns, index and mark: %s", found).isTrue();
            TestDatabases.execute(connection, "DROP TABLE " + table);
        }
    }

    /** The table as schema 1 (before principals) created it, word for word from that release's dialects. */
    private static List<String> schemaOne(JdbcSessionStore.Database database, String table) {
        return switch (database) {
            case POSTGRESQL -> List.of("""
                    CREATE TABLE %1$s (
                        session_key      varchar(66) PRIMARY KEY,
                        data             jsonb       NOT NULL,
                        created_at       timestamptz NOT NULL,
                        last_accessed_at timestamptz NOT NULL,
                        max_inactive_ms  bigint      NOT NULL,
                        expires_at       timestamptz NOT NULL,
                        version          bigint      NOT NULL
                    )""".formatted(table), "CREATE INDEX %1$s_expires_at_idx ON %1$s (expires_at)".formatted(table),
                    "COMMENT ON TABLE %1$s IS 'cloakroom sessions, schema 1'".formatted(table));
            case MARIADB -> List.of("""
                    CREATE TABLE %1$s (
                        session_key      VARCHAR(66) CHARACTER SET ascii NOT NULL PRIMARY KEY,
                        data             JSON        NOT NULL,
                        created_at       DATETIME(6) NOT NULL,
                        last_accessed_at DATETIME(6) NOT NULL,
                        max_inactive_ms  BIGINT      NOT NULL,
                        expires_at       DATETIME(6) NOT NULL,
                        version          BIGINT      NOT NULL,
                        INDEX %1$s_expires_at_idx (expires_at)
                    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin COMMENT = 'cloakroom sessions, schema 1'""".formatted(table));
            case H2 -> List.of("""
                    CREATE TABLE %1$s (
                        session_key      VARCHAR(66)              PRIMARY KEY,
                        data             CHARACTER LARGE OBJECT   NOT NULL,
                        created_at       TIMESTAMP WITH TIME ZONE NOT NULL,
                        last_accessed_at TIMESTAMP WITH TIME ZONE NOT NULL,
                        max_inactive_ms  BIGINT                   NOT NULL,
                        expires_at       TIMESTAMP WITH TIME ZONE NOT NULL,
                        version          BIGINT                   NOT NULL
                    )""".formatted(table), "CREATE INDEX %1$s_expires_at_idx ON %1$s (expires_at)".formatted(table),
                    "COMMENT ON TABLE %1$s IS 'cloakroom sessions, schema 1'".formatted(table));
        };
    }

    // Proves docs/persistence.md#jdbc-principal-upgrade
    @ParameterizedTest
    @MethodSource("urls")
    void schemaOneTableWhenStartedThenThePrincipalColumnAndIndexAreAddedAndItsRowsKeptWithoutPrincipal(String url) throws Exception {
        String table = TABLE + "_v1";
        DatabaseUrl parsed = DatabaseUrl.parse(url);
        SessionKey old = TestDatabases.randomKey();
        Instant now = clock.instant();
        try (Connection connection = java.sql.DriverManager.getConnection(parsed.jdbcUrl(), parsed.user(), parsed.password())) {
            TestDatabases.execute(connection, "DROP TABLE IF EXISTS " + table);
            for (String sql : schemaOne(parsed.database(), table)) {
                TestDatabases.execute(connection, sql);
            }
            try (var insert = connection.prepareStatement("INSERT INTO " + table + " VALUES (?, "
                    + (parsed.database() == JdbcSessionStore.Database.POSTGRESQL ? "?::jsonb" : "?") + ", ?, ?, ?, ?, 3)")) {
                Dialect dialect = Dialect.of(parsed.database());
                insert.setString(1, old.value());
                insert.setString(2, "{\"n\": \"7\"}");
                insert.setObject(3, dialect.timestamp(now));
                insert.setObject(4, dialect.timestamp(now));
                insert.setLong(5, IDLE.toMillis());
                insert.setObject(6, dialect.timestamp(now.plus(IDLE)));
                insert.executeUpdate();
            }
            assertThat(Schema.inspect(connection, Table.parse(table)).current()).as("schema 1 is not current").isFalse();
        }
        try (JdbcSessionStore store = JdbcSessionStore.builder().url(url).table(table).build()) {
            var record = store.load(old).orElseThrow();
            assertThat(record.attributes()).isEqualTo(Map.of("n", "7"));
            assertThat(record.version()).isEqualTo(3);
            assertThat(record.principal()).isNull();
            assertThat(store.write(new SessionWrite(old, false, Map.of(), Set.of(), now, now, IDLE, now.plus(IDLE),
                    SessionWrite.ANY_VERSION, now, SessionWrite.NO_SIZE_LIMIT, true, "alice"))).isEqualTo(WriteResult.WRITTEN);
            assertThat(store.findByPrincipal("alice", 10)).extracting(summary -> summary.key()).containsExactly(old);
            assertThat(store.delete(old)).isTrue();
            assertThat(store.findByPrincipal("alice", 10)).isEmpty();
        }
        try (Connection connection = java.sql.DriverManager.getConnection(parsed.jdbcUrl(), parsed.user(), parsed.password())) {
            Schema.Found found = Schema.inspect(connection, Table.parse(table));
            assertThat(found.columns()).contains("principal");
            assertThat(found.principalIndexed()).isTrue();
            assertThat(found.comment()).isEqualTo("cloakroom sessions, schema 2");
            assertThat(found.current()).isTrue();
            TestDatabases.execute(connection, "DROP TABLE " + table);
        }
    }

    // Proves docs/persistence.md#mariadb-h2
    @ParameterizedTest
    @MethodSource("urls")
    void sweepLeaseWhenHeldByOneStoreThenRefusedToAnotherUntilClosed(String url) {
        try (JdbcSessionStore first = store(url); JdbcSessionStore second = store(url)) {
            Optional<SweepLease> held = first.tryAcquireSweepLease(Duration.ofSeconds(10));
            assertThat(held).isPresent();
            assertThat(second.tryAcquireSweepLease(Duration.ofSeconds(10))).isEmpty();
            assertThat(first.tryAcquireSweepLease(Duration.ofSeconds(10))).as("not re-entrant either").isEmpty();

            held.get().close();

            Optional<SweepLease> next = second.tryAcquireSweepLease(Duration.ofSeconds(10));
            assertThat(next).isPresent();
            next.get().close();
        }
    }

    @org.junit.jupiter.api.Test
    void sweepLeaseWhenAnotherMariaDbDatabaseOnTheServerHasATableOfTheSameNameThenBothAreGranted() throws SQLException {
        // GET_LOCK names are server-wide: two applications, each in its own database, must not share one lock.
        String otherDatabase = TestDatabases.uniqueTable("cloakroom_other");
        try (Connection connection = TestDatabases.mariadb()) {
            TestDatabases.execute(connection, "CREATE DATABASE " + otherDatabase);
        }
        try (JdbcSessionStore first = store(TestDatabases.MARIADB_URL);
             JdbcSessionStore second = store("mariadb://root@127.0.0.1:3306/" + otherDatabase)) {
            Optional<SweepLease> held = first.tryAcquireSweepLease(Duration.ofSeconds(10));
            assertThat(held).isPresent();
            Optional<SweepLease> other = second.tryAcquireSweepLease(Duration.ofSeconds(10));
            assertThat(other).as("the other database's lease").isPresent();
            other.get().close();
            held.get().close();
        } finally {
            try (Connection connection = TestDatabases.mariadb()) {
                TestDatabases.execute(connection, "DROP DATABASE IF EXISTS " + otherDatabase);
            }
        }
    }

    // Proves docs/persistence.md#mariadb-h2
    @org.junit.jupiter.api.Test
    void sweepLeaseWhenItsMariaDbHolderNeverReleasesItThenAnotherInstanceGetsItAfterItsTimeToLive() throws Exception {
        try (JdbcSessionStore stuck = store(TestDatabases.MARIADB_URL); JdbcSessionStore other = store(TestDatabases.MARIADB_URL)) {
            // a sweeper that hangs (say, in a listener) and never closes its lease
            SweepLease neverClosed = stuck.tryAcquireSweepLease(Duration.ofSeconds(1)).orElseThrow();
            assertThat(other.tryAcquireSweepLease(Duration.ofSeconds(1))).isEmpty();

            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(15);
            Optional<SweepLease> taken = Optional.empty();
            while (taken.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(200);
                taken = other.tryAcquireSweepLease(Duration.ofSeconds(10));
            }
            assertThat(taken).as("the lease once the stuck holder's time to live ran out").isPresent();
            taken.get().close();
            neverClosed.close(); // its connection is gone: dropped, nothing else happens
        }
    }
}
