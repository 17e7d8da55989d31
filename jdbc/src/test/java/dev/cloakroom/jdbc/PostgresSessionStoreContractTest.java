package dev.cloakroom.jdbc;

import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionStore;
import dev.cloakroom.testkit.SessionStoreContract;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import org.junit.jupiter.api.AfterAll;

class PostgresSessionStoreContractTest extends SessionStoreContract {
    private static final String TABLE = TestDatabases.uniqueTable("contract_pg");

    @Override
    protected SessionStore createStore() {
        return JdbcSessionStore.builder().url(TestDatabases.POSTGRES_URL).table(TABLE).build();
    }

    @Override
    protected String dumpStorage() {
        try (Connection connection = TestDatabases.postgres()) {
            return TestDatabases.dump(connection, TABLE);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    protected void writeGarbage(SessionKey key) {
        try (Connection connection = TestDatabases.postgres();
             PreparedStatement statement = connection.prepareStatement("UPDATE " + TABLE + " SET data = '[1, 2]'::jsonb WHERE session_key = ?")) {
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
        try (Connection connection = TestDatabases.postgres()) {
            TestDatabases.execute(connection, "DROP TABLE IF EXISTS " + TABLE);
        }
    }
}
