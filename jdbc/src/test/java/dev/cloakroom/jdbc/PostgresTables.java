package dev.cloakroom.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** The tables one test class creates on the shared PostgreSQL server, under a prefix no other class or run uses. */
final class PostgresTables {
    private final String prefix;
    private final List<String> named = new CopyOnWriteArrayList<>();

    PostgresTables(String prefix) {
        this.prefix = TestDatabases.uniqueTable(prefix);
    }

    /** A table name of this class's own, remembered for {@link #dropAll}. */
    String name(String name) {
        String table = prefix + "_" + name;
        named.add(table);
        return table;
    }

    /** Drops every table named here; for the test class's {@code @AfterAll}. */
    void dropAll() throws SQLException {
        try (Connection connection = TestDatabases.postgres()) {
            for (String table : named) {
                TestDatabases.execute(connection, "DROP TABLE IF EXISTS " + table);
            }
        }
    }
}
