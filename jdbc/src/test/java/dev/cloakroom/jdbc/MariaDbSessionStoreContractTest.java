package dev.cloakroom.jdbc;

import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionStore;
import dev.cloakroom.testkit.SessionStoreContract;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import org.junit.jupiter.api.AfterAll;

class MariaDbSessionStoreContractTest extends SessionStoreContract {
    private static final String TABLE = TestDatabases.uniqueTable("contract_maria");

    @Override
    protected SessionStore createStore() {
        return JdbcSessionStore.builder().url(TestDatabases.MARIADB_URL).table(TABLE).build();
    }

    @Override
    protected String dumpStorage() {
        try (Connection connection = TestDatabases.mariadb()) {
            return TestDatabases.dump(connection, TABLE);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    protected void writeGarbage(SessionKey key) {
        try (Connection connection = TestDatabases.mariadb();
             PreparedStatement statement = connection.prepareStatement("UPDATE " + TABLE + " SET data = '{\"a\": 1}' WHERE session_key = ?")) {
            statement.setString(1, key.value());
            if (statement.executeUpdate() != 1) {
                throw new IllegalStateException("no row to corrupt");
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterAll
    static void dropTable() throws SQLException {
        try (Connection connection = TestDatabases.mariadb()) {
            TestDatabases.execute(connection, "DROP TABLE IF EXISTS " + TABLE);
        }
    }
}
