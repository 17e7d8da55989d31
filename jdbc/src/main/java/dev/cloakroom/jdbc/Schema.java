package dev.cloakroom.jdbc;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds out what the session table looks like (through {@link DatabaseMetaData}, so every dialect is read the same
 * way) and brings it to the current layout: create it if absent, add the columns and index an older Cloakroom layout
 * lacks, and refuse tables that are not ours (such as Flask-Session's), since their data cannot be read from Java.
 */
final class Schema {
    private static final Logger LOG = LoggerFactory.getLogger(Schema.class);

    /** Layout version this code writes; kept in the table comment. Version 2 added the principal column and its index. */
    static final int VERSION = 2;
    static final String MARK = "cloakroom sessions, schema " + VERSION;
    /** Columns without which a table is not a Cloakroom session table at all. */
    static final List<String> REQUIRED = List.of("session_key", "data", "expires_at");
    /** Columns later layouts added; an older table gets them with defaults. */
    static final List<String> ADDABLE = List.of("created_at", "last_accessed_at", "max_inactive_ms", "version", "principal");

    private Schema() {
    }

    /** What the database holds under the table's name. */
    record Found(Set<String> columns, boolean indexed, boolean principalIndexed, String comment) {
        boolean absent() {
            return columns.isEmpty();
        }

        boolean flaskSession() {
            return columns.contains("session_id") && columns.contains("expiry") && !columns.contains("session_key");
        }

        List<String> missingRequired() {
            return REQUIRED.stream().filter(c -> !columns.contains(c)).toList();
        }

        List<String> missingAddable() {
            return ADDABLE.stream().filter(c -> !columns.contains(c)).toList();
        }

        boolean current() {
            return !absent() && missingRequired().isEmpty() && missingAddable().isEmpty() && indexed && principalIndexed
                    && MARK.equals(comment);
        }
    }

    static Found inspect(Connection connection, Table table) throws SQLException {
        DatabaseMetaData meta = connection.getMetaData();
        String catalog = connection.getCatalog();
        String schema = table.schema() != null ? stored(meta, table.schema()) : currentSchema(connection);
        String name = stored(meta, table.name());
        String escape = meta.getSearchStringEscape();
        String schemaPattern = schema == null ? null : escapeLike(schema, escape);
        Set<String> columns = new LinkedHashSet<>();
        try (ResultSet rs = meta.getColumns(catalog, schemaPattern, escapeLike(name, escape), null)) {
            while (rs.next()) {
                if (name.equals(rs.getString("TABLE_NAME"))) {
                    columns.add(rs.getString("COLUMN_NAME").toLowerCase(Locale.ROOT));
                }
            }
        }
        if (columns.isEmpty()) {
            return new Found(Set.of(), false, false, null);
        }
        boolean indexed = false;
        boolean principalIndexed = false;
        try (ResultSet rs = meta.getIndexInfo(catalog, schema, name, false, true)) {
            while (rs.next()) {
                String index = rs.getString("INDEX_NAME");
                indexed |= index != null && index.equalsIgnoreCase(table.expiryIndex());
                principalIndexed |= index != null && index.equalsIgnoreCase(table.principalIndex());
            }
        }
        String comment = null;
        try (ResultSet rs = meta.getTables(catalog, schemaPattern, escapeLike(name, escape), null)) {
            while (rs.next()) {
                if (name.equals(rs.getString("TABLE_NAME"))) {
                    comment = rs.getString("REMARKS");
                }
            }
        }
        return new Found(Set.copyOf(columns), indexed, principalIndexed, comment);
    }

    /**
     * Creates or upgrades the table under the dialect's schema lock, so that any number of processes starting at once
     * end with one table and no error.
     *
     * @throws IllegalStateException if the table exists with a layout that is not Cloakroom's
     */
    static void create(Connection connection, Dialect dialect, Table table, int lockTimeoutSeconds) throws SQLException {
        if (inspect(connection, table).current()) {
            return;
        }
        boolean transactional = dialect.transactionalLocks();
        boolean autoCommit = connection.getAutoCommit();
        if (transactional) {
            connection.setAutoCommit(false);
        }
        boolean done = false;
        try {
            dialect.lockSchema(connection, table, lockTimeoutSeconds);
            try {
                Found found = inspect(connection, table);
                List<String> statements = upgradeStatements(found, dialect, table);
                try (Statement statement = connection.createStatement()) {
                    for (String sql : statements) {
                        statement.execute(sql);
                    }
                }
                if (transactional) {
                    connection.commit();
                }
                done = true;
                if (found.absent()) {
                    LOG.info("created session table {} (schema {})", table, VERSION);
                } else if (!statements.isEmpty()) {
                    LOG.info("upgraded session table {} to schema {}: added {}", table, VERSION,
                            found.missingAddable().isEmpty() ? "index/mark" : found.missingAddable());
                }
            } finally {
                if (!transactional) {
                    dialect.unlockSchema(connection, table);
                }
            }
        } finally {
            if (transactional) {
                if (!done) {
                    connection.rollback();
                }
                connection.setAutoCommit(autoCommit);
            }
        }
    }

    /**
     * Checks without changing anything.
     *
     * @throws IllegalStateException naming what is missing, with the DDL that would fix it
     */
    static void validate(Connection connection, Dialect dialect, Table table) throws SQLException {
        Found found = inspect(connection, table);
        if (found.current()) {
            return;
        }
        List<String> fix = upgradeStatements(found, dialect, table);
        throw new IllegalStateException("session table " + table + " is " + (found.absent() ? "missing" : "not at schema " + VERSION)
                + " and schema management is VALIDATE; have it created with:\n" + String.join(";\n", fix) + ";");
    }

    private static List<String> upgradeStatements(Found found, Dialect dialect, Table table) {
        if (found.absent()) {
            return dialect.createStatements(table);
        }
        if (found.flaskSession()) {
            throw new IllegalStateException("table " + table + " has Flask-Session's layout (id, session_id, data, expiry): its "
                    + "sessions are pickled Python objects, which Cloakroom never deserialises, and a Flask app may still use "
                    + "it. Choose another table (SESSION_SQLALCHEMY_TABLE / SESSION_JDBC_TABLE / table(...)), or move the old "
                    + "one aside yourself, e.g. ALTER TABLE " + table.sql() + " RENAME TO " + table.name() + "_flask");
        }
        if (!found.missingRequired().isEmpty()) {
            throw new IllegalStateException("table " + table + " exists but is not a Cloakroom session table: it lacks "
                    + found.missingRequired() + " (it has " + found.columns() + "). Choose another table name.");
        }
        List<String> statements = new ArrayList<>();
        for (String column : found.missingAddable()) {
            statements.add(dialect.addColumn(table, column));
        }
        if (!found.indexed()) {
            statements.add(dialect.expiryIndex(table));
        }
        if (!found.principalIndexed()) {
            statements.add(dialect.principalIndex(table));
        }
        if (!MARK.equals(found.comment())) {
            statements.add(dialect.comment(table, MARK));
        }
        return statements;
    }

    private static String currentSchema(Connection connection) throws SQLException {
        try {
            return connection.getSchema();
        } catch (java.sql.SQLFeatureNotSupportedException | AbstractMethodError e) {
            return null;
        }
    }

    /** The identifier as the database stores an unquoted one. */
    private static String stored(DatabaseMetaData meta, String identifier) throws SQLException {
        if (meta.storesUpperCaseIdentifiers()) {
            return identifier.toUpperCase(Locale.ROOT);
        }
        if (meta.storesLowerCaseIdentifiers()) {
            return identifier.toLowerCase(Locale.ROOT);
        }
        return identifier;
    }

    private static String escapeLike(String identifier, String escape) {
        if (escape == null || escape.isEmpty()) {
            return identifier;
        }
        return identifier.replace(escape, escape + escape).replace("_", escape + "_").replace("%", escape + "%");
    }
}
