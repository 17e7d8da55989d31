package dev.cloakroom.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import dev.cloakroom.SessionKey;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
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

    /** A key no other test uses. */
    static SessionKey randomKey() {
        byte[] bytes = new byte[32];
        ThreadLocalRandom.current().nextBytes(bytes);
        return new SessionKey("v1" + HexFormat.of().formatHex(bytes));
    }

    /** A new temporary folder, e.g. for an H2 file database; {@link #deleteTree} removes it. */
    static Path temporaryFolder(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The URL of an H2 file database in {@code folder}. */
    static String h2Url(Path folder) {
        return "jdbc:h2:file:" + folder.resolve("sessions").toAbsolutePath();
    }

    static void deleteTree(Path folder) throws IOException {
        try (var files = Files.walk(folder)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }

    /** An application's own small pool for {@code url} (the SQLAlchemy form or a {@code jdbc:} URL). */
    static HikariDataSource pool(String url) {
        DatabaseUrl parsed = DatabaseUrl.parse(url);
        HikariDataSource pool = new HikariDataSource();
        pool.setJdbcUrl(parsed.jdbcUrl());
        if (parsed.user() != null) {
            pool.setUsername(parsed.user());
        }
        pool.setMaximumPoolSize(2);
        return pool;
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

    /** The keys of the rows of {@code table} whose principal column is {@code principal}: all its index can hold. */
    static String principalRows(Connection connection, String table, String principal) throws SQLException {
        StringBuilder rows = new StringBuilder();
        try (var statement = connection.prepareStatement("SELECT session_key FROM " + table + " WHERE principal = ?")) {
            statement.setString(1, principal);
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    rows.append(rs.getString(1)).append('\n');
                }
            }
        }
        return rows.toString();
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
