package dev.cloakroom.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloakroom.SessionKey;
import dev.cloakroom.spi.SessionStore;
import dev.cloakroom.spi.SweepLease;
import dev.cloakroom.testkit.SessionStoreContract;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** H2 in file mode, as an application embeds it. */
@Tag("unit")
class H2SessionStoreContractTest extends SessionStoreContract {
    private static final Path DIRECTORY = createDirectory();
    private static final String URL = "jdbc:h2:file:" + DIRECTORY.resolve("sessions").toAbsolutePath();
    private static final String TABLE = "sessions";

    private static Path createDirectory() {
        try {
            return Files.createTempDirectory("cloakroom-h2");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    protected SessionStore createStore() {
        return JdbcSessionStore.builder().url(URL).table(TABLE).build();
    }

    @Override
    protected SessionStore createEmptyStore() {
        return JdbcSessionStore.builder().url(URL).table(TABLE + "_" + Long.toHexString(System.nanoTime())).build();
    }

    @Override
    protected String dumpStorage() {
        try (Connection connection = DriverManager.getConnection(URL)) {
            return TestDatabases.dump(connection, TABLE);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    protected String principalIndexOf(String principal) {
        try (Connection connection = DriverManager.getConnection(URL)) {
            return TestDatabases.principalRows(connection, TABLE, principal);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    protected void writeGarbage(SessionKey key) {
        try (Connection connection = DriverManager.getConnection(URL);
             PreparedStatement statement = connection.prepareStatement("UPDATE " + TABLE + " SET data = 'not json {' WHERE session_key = ?")) {
            statement.setString(1, key.value());
            if (statement.executeUpdate() != 1) {
                throw new IllegalStateException("no row to corrupt");
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void sweepLeaseWhenItsConnectionFailsAtReleaseThenTheLockIsFreedAllTheSame() {
        // H2's sweep lock lives in this process: dropping the failed connection would not free it.
        AtomicBoolean broken = new AtomicBoolean();
        JdbcDataSource h2 = new JdbcDataSource();
        h2.setURL(URL);
        DataSource failing = (DataSource) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {DataSource.class},
                (p, method, args) -> {
                    Object result = TestDatabases.invoke(h2, method, args);
                    if (!(result instanceof Connection connection)) {
                        return result;
                    }
                    return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class}, (pc, m, a) -> {
                        if (broken.get() && !m.getName().equals("close") && !m.getName().equals("abort")) {
                            throw new SQLException("connection broken for the test", "08006");
                        }
                        return TestDatabases.invoke(connection, m, a);
                    });
                });
        try (JdbcSessionStore store = JdbcSessionStore.builder().dataSource(failing).database(JdbcSessionStore.Database.H2)
                .table(TABLE + "_lease").build()) {
            SweepLease lease = store.tryAcquireSweepLease(Duration.ofSeconds(10)).orElseThrow();
            broken.set(true);
            lease.close();
            broken.set(false);

            Optional<SweepLease> next = store.tryAcquireSweepLease(Duration.ofSeconds(10));
            assertThat(next).as("the lease after a release whose connection failed").isPresent();
            next.get().close();
        }
    }

    @AfterAll
    static void deleteFiles() throws IOException {
        try (var files = Files.walk(DIRECTORY)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }
}
