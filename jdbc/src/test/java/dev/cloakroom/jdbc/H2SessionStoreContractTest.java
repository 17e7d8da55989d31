package dev.cloakroom.jdbc;

import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionStore;
import dev.cloakroom.testkit.SessionStoreContract;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import org.junit.jupiter.api.AfterAll;

/** H2 in file mode, as an application embeds it. */
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
    protected String dumpStorage() {
        try (Connection connection = DriverManager.getConnection(URL)) {
            return TestDatabases.dump(connection, TABLE);
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

    @AfterAll
    static void deleteFiles() throws IOException {
        try (var files = Files.walk(DIRECTORY)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }
}
