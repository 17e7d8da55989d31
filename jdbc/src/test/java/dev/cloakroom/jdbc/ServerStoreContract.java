package dev.cloakroom.jdbc;

import dev.cloakroom.SessionKey;
import dev.cloakroom.spi.SessionStore;
import dev.cloakroom.testkit.SessionStoreContract;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/** The contract suite against a table of its own on one of the shared database servers. */
abstract class ServerStoreContract extends SessionStoreContract {
    /** Opens a connection to the server, outside the store. */
    interface Connector {
        Connection open() throws SQLException;
    }

    private final String url;
    private final Connector connector;
    private final String table;
    private final String garbage;

    /** {@code garbage} is SQL for a {@code data} value the store must take for corrupt. */
    ServerStoreContract(String url, Connector connector, String table, String garbage) {
        this.url = url;
        this.connector = connector;
        this.table = table;
        this.garbage = garbage;
    }

    @Override
    protected SessionStore createStore() {
        return JdbcSessionStore.builder().url(url).table(table).build();
    }

    /** A table of its own beside the suite's, dropped with it. */
    @Override
    protected SessionStore createEmptyStore() {
        return JdbcSessionStore.builder().url(url).table(emptyTable(table)).build();
    }

    @Override
    protected String dumpStorage() {
        try (Connection connection = connector.open()) {
            return TestDatabases.dump(connection, table);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    protected String principalIndexOf(String principal) {
        try (Connection connection = connector.open()) {
            return TestDatabases.principalRows(connection, table, principal);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    protected void writeGarbage(SessionKey key) {
        try (Connection connection = connector.open();
             PreparedStatement statement = connection.prepareStatement("UPDATE " + table + " SET data = " + garbage + " WHERE session_key = ?")) {
            statement.setString(1, key.value());
            if (statement.executeUpdate() != 1) {
                throw new IllegalStateException("no row to corrupt");
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** For each subclass's {@code @AfterAll}: the table lives as long as the test class, not one test. */
    static void drop(Connector connector, String table) throws SQLException {
        try (Connection connection = connector.open()) {
            TestDatabases.execute(connection, "DROP TABLE IF EXISTS " + table);
            TestDatabases.execute(connection, "DROP TABLE IF EXISTS " + emptyTable(table));
        }
    }

    private static String emptyTable(String table) {
        return table + "_empty";
    }
}
