package dev.cloakroom.jdbc;

import static dev.cloakroom.testkit.SessionStoreContract.sweepOnce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.CommitOutcome;
import dev.cloakroom.Session;
import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionManager;
import dev.cloakroom.spi.SessionRecord;
import dev.cloakroom.spi.SessionWrite;
import dev.cloakroom.spi.WriteResult;
import dev.cloakroom.SessionStoreException;
import dev.cloakroom.SessionStoreUnavailableException;
import dev.cloakroom.jdbc.JdbcSessionStore.SchemaMode;
import dev.cloakroom.testkit.TestClock;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** PostgreSQL-specific behaviour: schema management, round trips per request, the sweep's index, SESSION_PERMANENT=false. */
@Tag("server")
class PostgresSessionStoreTest {
    private static final PostgresTables TABLES = new PostgresTables("pg");
    private static final Duration IDLE = Duration.ofMinutes(30);

    private final TestClock clock = new TestClock();

    @AfterAll
    static void dropTables() throws SQLException {
        TABLES.dropAll();
    }

    private static JdbcSessionStore.Builder store(String table) {
        return JdbcSessionStore.builder().url(TestDatabases.POSTGRES_URL).table(table).maxPoolSize(2);
    }

    /** A pool of the application's own, handed to the store as its data source. */
    private static HikariDataSource pool() {
        HikariDataSource pool = new HikariDataSource();
        pool.setJdbcUrl(TestDatabases.POSTGRES_JDBC);
        pool.setUsername("postgres");
        pool.setMaximumPoolSize(2);
        return pool;
    }

    private static Set<String> columns(String table) throws SQLException {
        try (Connection connection = TestDatabases.postgres();
             PreparedStatement statement = connection.prepareStatement(
                     "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?")) {
            statement.setString(1, table);
            Set<String> columns = new TreeSet<>();
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    columns.add(rs.getString(1));
                }
            }
            return columns;
        }
    }

    private static boolean indexExists(String table) throws SQLException {
        try (Connection connection = TestDatabases.postgres();
             PreparedStatement statement = connection.prepareStatement("SELECT 1 FROM pg_indexes WHERE tablename = ? AND indexname = ?")) {
            statement.setString(1, table);
            statement.setString(2, table + "_expires_at_idx");
            try (ResultSet rs = statement.executeQuery()) {
                return rs.next();
            }
        }
    }


    // Proves docs/persistence.md#postgresql-table
    @Test
    void schemaWhenManyInstancesStartAtOnceThenOneTableAndNoError() throws Exception {
        String table = TABLES.name("starters");
        int starters = 8;
        ExecutorService pool = Executors.newFixedThreadPool(starters);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<JdbcSessionStore>> futures = new ArrayList<>();
        try {
            for (int i = 0; i < starters; i++) {
                futures.add(pool.submit(() -> {
                    go.await();
                    return store(table).maxPoolSize(2).build();
                }));
            }
            go.countDown();
            List<JdbcSessionStore> stores = new ArrayList<>();
            for (Future<JdbcSessionStore> future : futures) {
                stores.add(future.get(60, TimeUnit.SECONDS));
            }
            SessionKey key = SessionKey.of("starter-check");
            for (JdbcSessionStore store : stores) {
                assertThat(store.load(key)).isEmpty();
                store.close();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(columns(table)).containsExactlyInAnyOrder("session_key", "data", "created_at", "last_accessed_at",
                "max_inactive_ms", "expires_at", "version", "principal");
        assertThat(indexExists(table)).isTrue();
    }

    // Proves docs/persistence.md#postgresql-table
    @Test
    void schemaWhenOlderLayoutThenUpgradedInPlaceAndRowsKept() throws Exception {
        String table = TABLES.name("older");
        SessionKey key = SessionKey.of("older-layout-session");
        Instant expires = clock.instant().plus(IDLE);
        try (Connection connection = TestDatabases.postgres()) {
            TestDatabases.execute(connection, "CREATE TABLE " + table
                    + " (session_key varchar(66) PRIMARY KEY, data jsonb NOT NULL, expires_at timestamptz NOT NULL)");
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO " + table + " VALUES (?, ?::jsonb, ?)")) {
                insert.setString(1, key.value());
                insert.setString(2, "{\"n\": \"42\"}");
                insert.setObject(3, OffsetDateTime.ofInstant(expires, ZoneOffset.UTC));
                insert.executeUpdate();
            }
        }

        try (JdbcSessionStore store = store(table).build()) {
            SessionRecord record = store.load(key).orElseThrow();
            assertThat(record.attributes()).isEqualTo(Map.of("n", "42"));
            assertThat(record.version()).isEqualTo(1);
            assertThat(record.expiresAt()).isEqualTo(expires);
            assertThat(record.maxInactiveInterval()).isEqualTo(CloakroomConfig.DEFAULT_IDLE_TIMEOUT);
        }
        assertThat(columns(table)).contains("created_at", "last_accessed_at", "max_inactive_ms", "version", "principal");
        assertThat(indexExists(table)).isTrue();
        try (Connection connection = TestDatabases.postgres();
             PreparedStatement statement = connection.prepareStatement("SELECT obj_description(?::regclass, 'pg_class')")) {
            statement.setString(1, table);
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo(Schema.MARK);
            }
        }
    }

    // Proves docs/persistence.md#postgresql-table
    @Test
    void schemaWhenFlaskSessionTableThenRefusedWithAClearMessageAndLeftAlone() throws Exception {
        String table = TABLES.name("flask");
        try (Connection connection = TestDatabases.postgres()) {
            TestDatabases.execute(connection, "CREATE TABLE " + table
                    + " (id serial PRIMARY KEY, session_id varchar(255) UNIQUE, data bytea, expiry timestamp)");
        }

        assertThatThrownBy(() -> store(table).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Flask-Session")
                .hasMessageContaining("SESSION_SQLALCHEMY_TABLE");
        assertThat(columns(table)).containsExactlyInAnyOrder("id", "session_id", "data", "expiry");
    }

    // Proves docs/persistence.md#postgresql-table
    @Test
    void schemaWhenValidateAndTableMissingThenStartFailsWithTheDdlAndNothingIsCreated() throws Exception {
        String table = TABLES.name("validate");

        assertThatThrownBy(() -> store(table).schemaMode(SchemaMode.VALIDATE).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("CREATE TABLE IF NOT EXISTS " + table)
                .hasMessageContaining("CREATE INDEX IF NOT EXISTS " + table + "_expires_at_idx");
        assertThat(columns(table)).isEmpty();

        try (Connection connection = TestDatabases.postgres()) {
            for (String ddl : JdbcSessionStore.ddl(JdbcSessionStore.Database.POSTGRESQL, table).split(";\n")) {
                if (!ddl.isBlank()) {
                    TestDatabases.execute(connection, ddl);
                }
            }
        }
        try (JdbcSessionStore store = store(table).schemaMode(SchemaMode.VALIDATE).build()) {
            assertThat(store.load(SessionKey.of("validated"))).isEmpty();
        }
    }

    @Test
    void schemaWhenNoneThenNothingIsCreatedAndCallsFailAsStoreErrors() throws Exception {
        String table = TABLES.name("none");
        try (JdbcSessionStore store = store(table).schemaMode(SchemaMode.NONE).build()) {
            assertThat(columns(table)).isEmpty();
            assertThatThrownBy(() -> store.load(SessionKey.of("x")))
                    .isInstanceOf(SessionStoreException.class)
                    .isNotInstanceOf(SessionStoreUnavailableException.class)
                    .hasMessageContaining("does not exist");
        }
    }

    // Proves docs/persistence.md#postgresql-table
    @Test
    void tableWhenDroppedWhileRunningThenCreatedAgainByTheNextCall() throws Exception {
        String table = TABLES.name("dropped");
        try (JdbcSessionStore store = store(table).build()) {
            try (Connection connection = TestDatabases.postgres()) {
                TestDatabases.execute(connection, "DROP TABLE " + table);
            }
            SessionKey key = SessionKey.of("dropped");

            assertThatThrownBy(() -> store.load(key)).isInstanceOf(SessionStoreException.class)
                    .isNotInstanceOf(SessionStoreUnavailableException.class);
            assertThat(store.load(key)).isEmpty();
            assertThat(columns(table)).contains("session_key", "version");
            assertThat(indexExists(table)).isTrue();
        }
    }

    @Test
    void tableNameWhenNotAPlainIdentifierThenRejected() {
        assertThatThrownBy(() -> JdbcSessionStore.builder().table("sessions; DROP TABLE users"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("plain SQL identifier");
        assertThatThrownBy(() -> JdbcSessionStore.builder().table("\"quoted\""))
                .isInstanceOf(IllegalArgumentException.class);
    }


    // Proves docs/persistence.md#postgresql-written
    @Test
    void roundTripsWhenLoadingThenOneAndWhenChangingThenOneAndWhenNothingChangedThenNone() throws Exception {
        String table = TABLES.name("roundtrips");
        try (HikariDataSource pool = pool()) {
            CountingDataSource counting = new CountingDataSource(pool);
            try (JdbcSessionStore store = JdbcSessionStore.builder().dataSource(counting.dataSource()).table(table).build();
                 SessionManager manager = SessionManager.builder(store).clock(clock).sweeping(false)
                         .config(CloakroomConfig.builder().idleTimeout(IDLE).build()).build()) {
                counting.take();

                Session created = manager.create();
                created.setAttribute("file_contents", List.of("first line", "  indented", "third"));
                created.setAttribute("prefs", Map.of("theme", "dark", "size", 12, "ratio", 0.5));
                assertThat(manager.commit(created)).isEqualTo(CommitOutcome.SAVED);
                assertThat(counting.take()).as("create").isEqualTo(1);

                clock.advance(Duration.ofSeconds(5));
                Session reader = manager.find(created.id()).orElseThrow();
                assertThat(counting.take()).as("load").isEqualTo(1);
                assertThat(reader.getAttribute("file_contents")).isEqualTo(List.of("first line", "  indented", "third"));
                assertThat(reader.getAttribute("prefs")).isEqualTo(Map.of("theme", "dark", "size", 12, "ratio", 0.5));
                assertThat(manager.commit(reader)).isEqualTo(CommitOutcome.UNCHANGED);
                assertThat(counting.take()).as("commit of a read-only request").isZero();

                assertThat(manager.find("not-a-session-id")).isEmpty();
                assertThat(counting.take()).as("malformed id").isZero();

                Session writer = manager.find(created.id()).orElseThrow();
                counting.take();
                writer.setAttribute("count", 1);
                writer.removeAttribute("prefs");
                manager.commit(writer);
                assertThat(counting.take()).as("change").isEqualTo(1);

                Session updater = manager.find(created.id()).orElseThrow();
                counting.take();
                updater.<Integer>update("count", n -> n + 1);
                assertThat(counting.take()).as("versioned update").isEqualTo(1);

                clock.advance(IDLE.dividedBy(5));
                Session toucher = manager.find(created.id()).orElseThrow();
                counting.take();
                assertThat(manager.commit(toucher)).isEqualTo(CommitOutcome.SAVED);
                assertThat(counting.take()).as("touch").isEqualTo(1);

                Session loggingIn = manager.find(created.id()).orElseThrow();
                counting.take();
                loggingIn.changeId();
                loggingIn.setAttribute("user", "alice");
                assertThat(manager.commit(loggingIn)).isEqualTo(CommitOutcome.SAVED);
                assertThat(counting.take()).as("id change with a change of data").isEqualTo(1);
                assertThat(store.load(created.key())).as("the old key").isEmpty();

                SessionRecord stored = store.load(loggingIn.key()).orElseThrow();
                assertThat(stored.attributes()).containsOnlyKeys("file_contents", "count", "user");
                assertThat(stored.attributes().get("count")).isEqualTo("2");
            }
        }
    }

    @Test
    void appDataSourceWhenConnectionsAreNotAutoCommitThenWritesAreStillCommitted() throws Exception {
        String table = TABLES.name("noautocommit");
        try (HikariDataSource pool = pool()) {
            pool.setAutoCommit(false);
            try (JdbcSessionStore store = JdbcSessionStore.builder().dataSource(pool).table(table).build();
                 SessionManager manager = SessionManager.builder(store).clock(clock).sweeping(false)
                         .config(CloakroomConfig.builder().idleTimeout(IDLE).build()).build()) {
                Session session = manager.create();
                session.setAttribute("a", 1);
                manager.commit(session);
                Session next = manager.find(session.id()).orElseThrow();
                next.setAttribute("b", 2);
                manager.commit(next);
            }
        }
        try (Connection connection = TestDatabases.postgres();
             PreparedStatement statement = connection.prepareStatement("SELECT data FROM " + table);
             ResultSet rs = statement.executeQuery()) {
            assertThat(rs.next()).isTrue();
            assertThat(DataColumn.decode(rs.getString(1))).isEqualTo(Map.of("a", "1", "b", "2"));
        }
    }


    @Test
    void moveWhenTheNewKeyIsTakenOnAnAppConnectionWithoutAutoCommitThenConflictAndTheConnectionStaysUsable() throws Exception {
        String table = TABLES.name("moveconflict");
        try (HikariDataSource pool = pool()) {
            pool.setAutoCommit(false);
            pool.setMaximumPoolSize(1); // the connection that saw the unique violation is the one the next calls get
            try (JdbcSessionStore store = JdbcSessionStore.builder().dataSource(pool).table(table).build()) {
                Instant now = clock.instant();
                SessionKey from = SessionKey.of("move-from");
                SessionKey taken = SessionKey.of("move-taken");
                for (SessionKey key : List.of(from, taken)) {
                    store.write(new SessionWrite(key, true, Map.of("a", "1"), Set.of(), now, now, IDLE, now.plus(IDLE),
                            SessionWrite.ANY_VERSION, now, SessionWrite.NO_SIZE_LIMIT));
                }
                SessionWrite move = new SessionWrite(taken, false, Map.of("b", "2"), Set.of(), now, now, IDLE, now.plus(IDLE),
                        SessionWrite.ANY_VERSION, now, SessionWrite.NO_SIZE_LIMIT);

                assertThat(store.move(from, move)).isEqualTo(WriteResult.CONFLICT);

                assertThat(store.load(from).orElseThrow().attributes()).isEqualTo(Map.of("a", "1"));
                assertThat(store.move(from, new SessionWrite(SessionKey.of("move-free"), false, Map.of(), Set.of(), now, now,
                        IDLE, now.plus(IDLE), SessionWrite.ANY_VERSION, now, SessionWrite.NO_SIZE_LIMIT))).isEqualTo(WriteResult.WRITTEN);
            }
        }
    }

    // Proves docs/persistence.md#postgresql-deleted
    @Test
    void sweepWhenTheTableHoldsManyRowsThenItsQueryUsesTheExpiryIndex() throws Exception {
        String table = TABLES.name("explain");
        Instant now = clock.instant();
        try (JdbcSessionStore store = store(table).build(); Connection connection = TestDatabases.postgres()) {
            // 20,000 rows, 2% of them expired: the shape of a real table between sweeps.
            try (PreparedStatement fill = connection.prepareStatement("INSERT INTO " + table + " " + """
                     SELECT 'v1' || encode(sha256(('explain' || i)::bytea), 'hex'), '{"n": "1"}'::jsonb, ?, ?, 1800000,
                            ?::timestamptz + (i || ' seconds')::interval, 1
                       FROM generate_series(1, 20000) AS i""")) {
                OffsetDateTime at = OffsetDateTime.ofInstant(now, ZoneOffset.UTC);
                fill.setObject(1, at);
                fill.setObject(2, at);
                fill.setObject(3, at.minusSeconds(400));
                fill.executeUpdate();
            }
            TestDatabases.execute(connection, "ANALYZE " + table);

            String sweep = new PostgresDialect().sweepReturning(Table.parse(table));
            StringBuilder plan = new StringBuilder();
            try (PreparedStatement explain = connection.prepareStatement("EXPLAIN " + sweep)) {
                OffsetDateTime at = OffsetDateTime.ofInstant(now, ZoneOffset.UTC);
                explain.setObject(1, at);
                explain.setInt(2, 500);
                explain.setObject(3, at);
                try (ResultSet rs = explain.executeQuery()) {
                    while (rs.next()) {
                        plan.append(rs.getString(1)).append('\n');
                    }
                }
            }
            System.out.println("EXPLAIN of the sweep statement (20,000 rows, 400 expired):\n" + plan);
            assertThat(plan.toString()).contains("Index Scan using " + table + "_expires_at_idx");
            assertThat(plan.toString()).doesNotContain("Seq Scan");
            assertThat(sweepOnce(store, now, 500)).hasSize(400);
        }
    }


    // Proves docs/persistence.md#postgresql-settings
    @Test
    void browserSessionCookieWhenNotPermanentThenServerIdleExpiryStillApplies() throws Exception {
        String table = TABLES.name("notpermanent");
        try (JdbcSessionStore store = store(table).build();
             SessionManager manager = SessionManager.builder(store).clock(clock).sweeping(false)
                     .config(CloakroomConfig.builder().idleTimeout(IDLE).permanent(false).build()).build()) {
            Session session = manager.create();
            session.setAttribute("file_contents", List.of("line"));
            assertThat(manager.commit(session)).isEqualTo(CommitOutcome.SAVED);

            clock.advance(Duration.ofMinutes(10));
            Session next = manager.find(session.id()).orElseThrow();
            next.setAttribute("more", true);
            assertThat(manager.commit(next)).as("written: the deadline moves, whatever the cookie").isEqualTo(CommitOutcome.SAVED);
            assertThat(store.load(session.key()).orElseThrow().expiresAt()).isEqualTo(clock.instant().plus(IDLE));

            clock.advance(IDLE.plusSeconds(1));
            assertThat(manager.find(session.id())).isEmpty();
            assertThat(manager.sweeper().runOnce()).isEqualTo(1);
            assertThat(store.load(session.key())).isEmpty();
        }
    }
}
