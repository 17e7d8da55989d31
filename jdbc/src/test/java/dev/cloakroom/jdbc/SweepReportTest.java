package dev.cloakroom.jdbc;

import static dev.cloakroom.testkit.SessionStoreContract.sweepOnce;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.zaxxer.hikari.HikariDataSource;
import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionStoreException;
import dev.cloakroom.spi.SessionRecord;
import dev.cloakroom.spi.SessionWrite;
import dev.cloakroom.testkit.TestClock;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** What a sweep tells its caller: each deleted record once, as soon as its deletion is certain, whatever fails later. */
@Tag("server")
class SweepReportTest {
    private static final String TABLE = TestDatabases.uniqueTable("sweepreport");
    private static final Path H2_DIRECTORY = TestDatabases.temporaryFolder("cloakroom-h2-sweepreport");
    private static final String H2_URL = TestDatabases.h2Url(H2_DIRECTORY);
    private static final String H2_GARBAGE = "'not json {'";
    private static final Duration IDLE = Duration.ofMinutes(30);

    private final TestClock clock = new TestClock();

    static Stream<String> urls() {
        return Stream.of(TestDatabases.POSTGRES_URL, TestDatabases.MARIADB_URL, H2_URL);
    }


    @AfterAll
    static void cleanUp() throws SQLException, IOException {
        for (TestServer server : TestServer.values()) {
            try (Connection connection = server.connect()) {
                TestDatabases.execute(connection, "DROP TABLE IF EXISTS " + TABLE);
            }
        }
        TestDatabases.deleteTree(H2_DIRECTORY);
    }


    /** Writes {@code count} records that expire within the idle timeout from now; returns their keys. */
    private Set<SessionKey> writeRecords(JdbcSessionStore store, int count) {
        Instant now = clock.instant();
        Set<SessionKey> keys = new HashSet<>();
        for (int i = 0; i < count; i++) {
            SessionKey key = TestDatabases.randomKey();
            store.write(new SessionWrite(key, true, Map.of("n", Integer.toString(i)), Set.of(), now, now, IDLE, now.plus(IDLE),
                    SessionWrite.ANY_VERSION, now, SessionWrite.NO_SIZE_LIMIT));
            keys.add(key);
        }
        return keys;
    }

    @ParameterizedTest
    @MethodSource("urls")
    void sweepWhenALaterBatchFailsThenTheRecordsDeletedBeforeAreReportedOnceAndTheCallFails(String url) {
        DatabaseUrl parsed = DatabaseUrl.parse(url);
        AtomicBoolean failing = new AtomicBoolean();
        AtomicInteger sweepStatements = new AtomicInteger();
        try (HikariDataSource pool = TestDatabases.pool(url)) {
            // Every sweep statement names expires_at <= ?; the second one of the call meets a broken connection.
            DataSource secondSweepStatementFails = (DataSource) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {DataSource.class}, (p, method, args) -> {
                        Object result = TestDatabases.invoke(pool, method, args);
                        if (!(result instanceof Connection connection)) {
                            return result;
                        }
                        return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class}, (pc, m, a) -> {
                            if (failing.get() && m.getName().equals("prepareStatement") && ((String) a[0]).contains("expires_at <=")
                                    && sweepStatements.incrementAndGet() == 2) {
                                throw new SQLException("connection reset for the test", "08006");
                            }
                            return TestDatabases.invoke(connection, m, a);
                        });
                    });
            try (JdbcSessionStore store = JdbcSessionStore.builder().dataSource(secondSweepStatementFails).table(TABLE).build()) {
                Set<SessionKey> written = writeRecords(store, 700);
                Instant later = clock.instant().plus(IDLE).plusSeconds(1);
                List<SessionRecord> reported = new ArrayList<>();

                failing.set(true);
                Throwable thrown = catchThrowable(() -> store.sweep(later, 1000, reported::add));
                failing.set(false);

                assertThat(thrown).isInstanceOf(SessionStoreException.class);
                assertThat(reported).as("the first batch, deleted and committed before the second failed").hasSize(500);
                Set<SessionKey> first = new HashSet<>();
                reported.forEach(record -> first.add(record.key()));
                assertThat(first).hasSize(500);
                assertThat(written).containsAll(first);
                for (SessionKey key : first) {
                    assertThat(store.load(key)).as("a reported record is deleted").isEmpty();
                }

                List<SessionRecord> rest = sweepOnce(store, later, 1000);
                assertThat(rest).hasSize(200);
                assertThat(rest).extracting(SessionRecord::key).doesNotContainAnyElementsOf(first);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("urls")
    void sweepWhenAnExpiredRowIsUnreadableThenItIsDeletedWithAWarningAndNotReported(String url) throws SQLException {
        DatabaseUrl parsed = DatabaseUrl.parse(url);
        try (JdbcSessionStore store = JdbcSessionStore.builder().url(url).table(TABLE).maxPoolSize(2).build()) {
            Set<SessionKey> keys = writeRecords(store, 2);
            SessionKey corrupt = keys.iterator().next();
            String garbage = switch (parsed.database()) {
                case POSTGRESQL -> TestServer.POSTGRES.garbage();
                case MARIADB -> TestServer.MARIADB.garbage();
                case H2 -> H2_GARBAGE;
            };
            try (Connection connection = DriverManager.getConnection(parsed.jdbcUrl(), parsed.user(), parsed.password());
                 PreparedStatement update = connection.prepareStatement("UPDATE " + TABLE + " SET data = " + garbage + " WHERE session_key = ?")) {
                update.setString(1, corrupt.value());
                assertThat(update.executeUpdate()).isEqualTo(1);
            }
            Instant later = clock.instant().plus(IDLE).plusSeconds(1);

            List<SessionRecord> reported = new ArrayList<>();
            String log = capturingErr(() -> reported.addAll(sweepOnce(store, later, 500)));

            assertThat(reported).extracting(SessionRecord::key).containsExactlyElementsOf(
                    keys.stream().filter(key -> !key.equals(corrupt)).toList());
            assertThat(log).contains(corrupt.toString()).contains("WARN");
            assertThat(sweepOnce(store, later, 500)).as("the unreadable row is gone too").isEmpty();
        }
    }

    /** What the store logs while {@code action} runs (slf4j-simple writes to System.err). */
    private static String capturingErr(Runnable action) {
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setErr(original);
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        original.print(log);
        return log;
    }
}
