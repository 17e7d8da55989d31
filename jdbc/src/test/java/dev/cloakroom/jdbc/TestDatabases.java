package dev.cloakroom.jdbc;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/** The shared test servers (see COMMON/CI: trust auth on PostgreSQL, root without password on MariaDB). */
final class TestDatabases {
    static final String POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/cloakroom_test";
    static final String POSTGRES_JDBC = "jdbc:postgresql://127.0.0.1:5432/cloakroom_test";
    static final String MARIADB_URL = "mariadb://root@127.0.0.1:3306/cloakroom_test";
    static final String MARIADB_JDBC = "jdbc:mariadb://127.0.0.1:3306/cloakroom_test";

    private TestDatabases() {
    }

    /** A table name no other test class or run uses. */
    static String uniqueTable(String prefix) {
        byte[] bytes = new byte[4];
        ThreadLocalRandom.current().nextBytes(bytes);
        return prefix + "_" + HexFormat.of().formatHex(bytes);
    }

    static Connection postgres() throws SQLException {
        return DriverManager.getConnection(POSTGRES_JDBC, "postgres", "");
    }

    static Connection mariadb() throws SQLException {
        return DriverManager.getConnection(MARIADB_JDBC, "root", "");
    }

    static void execute(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    /** Every row of {@code table}, every column, as text. */
    static String dump(Connection connection, String table) throws SQLException {
        StringBuilder dump = new StringBuilder();
        try (Statement statement = connection.createStatement(); ResultSet rs = statement.executeQuery("SELECT * FROM " + table)) {
            ResultSetMetaData meta = rs.getMetaData();
            while (rs.next()) {
                for (int i = 1; i <= meta.getColumnCount(); i++) {
                    dump.append(meta.getColumnName(i)).append('=').append(rs.getString(i)).append(' ');
                }
                dump.append('\n');
            }
        }
        return dump.toString();
    }

    /** Calls {@code method} on {@code target} for a test's JDBC proxy, rethrowing the target's own exception. */
    static Object invoke(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
