package dev.cloakroom.system;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cloakroom.SessionKey;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * A table of its own in the shared PostgreSQL's {@code cloakroom_system} database (created when missing), dropped on
 * close. Each row's text holds every column, so that any write shows.
 */
final class PostgresProbe extends StoreProbe {
    static final String HOST = "127.0.0.1:5432";
    static final String DATABASE = "cloakroom_system";
    static final String URL = "jdbc:postgresql://" + HOST + "/" + DATABASE;
    private static final String ROWS = """
            SELECT session_key, data::text, created_at, last_accessed_at, max_inactive_ms, expires_at, version
              FROM %s ORDER BY session_key""";

    private final String table;

    private PostgresProbe(String table) {
        super(Store.POSTGRESQL, Map.of("SESSION_TYPE", "sqlalchemy",
                "SQLALCHEMY_DATABASE_URI", "postgresql://postgres@" + HOST + "/" + DATABASE,
                "SESSION_SQLALCHEMY_TABLE", table));
        this.table = table;
    }

    static PostgresProbe open(String scenario) throws SQLException {
        createDatabaseIfMissing();
        return new PostgresProbe("systest_" + scenario.replace('-', '_') + "_" + UUID.randomUUID().toString().substring(0, 8));
    }

    /** The table's name. */
    String table() {
        return table;
    }

    /** A connection to the scenario's database, for reads and for seeding. */
    static Connection connect() throws SQLException {
        return DriverManager.getConnection(URL, "postgres", "");
    }

    @Override
    Map<String, String> records() throws SQLException {
        Map<String, String> records = new TreeMap<>();
        if (!exists()) {
            return records;
        }
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            statement.setQueryTimeout(30);
            try (ResultSet rows = statement.executeQuery(ROWS.formatted(table))) {
                while (rows.next()) {
                    StringBuilder row = new StringBuilder();
                    for (int column = 2; column <= 7; column++) {
                        row.append(rows.getMetaData().getColumnName(column)).append('=').append(rows.getString(column)).append('\n');
                    }
                    records.put(rows.getString(1), row.toString());
                }
            }
        }
        return records;
    }

    @Override
    Map<String, JsonNode> attributes(SessionKey key) throws Exception {
        Map<String, String> texts = new LinkedHashMap<>();
        if (exists()) {
            try (Connection connection = connect();
                 PreparedStatement select = connection.prepareStatement("SELECT data::text FROM " + table + " WHERE session_key = ?")) {
                select.setQueryTimeout(30);
                select.setString(1, key.value());
                try (ResultSet rows = select.executeQuery()) {
                    if (rows.next()) {
                        Iterator<Map.Entry<String, JsonNode>> fields = JSON.readTree(rows.getString(1)).fields();
                        while (fields.hasNext()) {
                            Map.Entry<String, JsonNode> field = fields.next();
                            texts.put(field.getKey(), field.getValue().isTextual() ? field.getValue().asText() : field.getValue().toString());
                        }
                    }
                }
            }
        }
        return parsed(texts);
    }

    @Override
    Map<String, String> everything() throws SQLException {
        return records();
    }

    private boolean exists() throws SQLException {
        try (Connection connection = connect();
             PreparedStatement select = connection.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            select.setString(1, table);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() && rows.getBoolean(1);
            }
        }
    }

    @Override
    public void close() throws SQLException {
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            statement.setQueryTimeout(30);
            statement.execute("DROP TABLE IF EXISTS " + table);
        }
    }

    private static void createDatabaseIfMissing() throws SQLException {
        try (Connection connection = DriverManager.getConnection("jdbc:postgresql://" + HOST + "/postgres", "postgres", "");
             Statement statement = connection.createStatement()) {
            try (ResultSet rows = statement.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + DATABASE + "'")) {
                if (rows.next()) {
                    return;
                }
            }
            try {
                statement.execute("CREATE DATABASE " + DATABASE);
            } catch (SQLException e) {
                // another test JVM created it meanwhile: 42P04 duplicate_database
                if (!"42P04".equals(e.getSQLState()) && !"23505".equals(e.getSQLState())) {
                    throw e;
                }
            }
        }
    }
}
