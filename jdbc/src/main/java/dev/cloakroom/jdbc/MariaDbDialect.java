package dev.cloakroom.jdbc;

import dev.cloakroom.spi.SessionWrite;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;

/**
 * MariaDB 10.6+ and MySQL 8: a {@code JSON} column merged in place with {@code JSON_MERGE_PATCH} (an upsert is a
 * string member, a removal a {@code null} member), {@code DATETIME(6)} in UTC, {@code GET_LOCK} for schema changes and
 * sweeping, and a sweep that selects with {@code SKIP LOCKED} and deletes in one short transaction.
 */
final class MariaDbDialect extends Dialect {
    private static final String CREATE_TABLE = """
            CREATE TABLE IF NOT EXISTS %1$s (
                session_key      VARCHAR(66) CHARACTER SET ascii NOT NULL PRIMARY KEY,
                data             JSON        NOT NULL,
                created_at       DATETIME(6) NOT NULL,
                last_accessed_at DATETIME(6) NOT NULL,
                max_inactive_ms  BIGINT      NOT NULL,
                expires_at       DATETIME(6) NOT NULL,
                version          BIGINT      NOT NULL,
                principal        VARCHAR(256),
                INDEX %2$s (expires_at),
                INDEX %3$s (principal, expires_at)
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin""";
    private static final String COMMENT = "ALTER TABLE %1$s COMMENT = '%2$s'";
    private static final String ADDED_TIMESTAMP = "DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)";
    private static final String ADDED_BIGINT = "BIGINT NOT NULL DEFAULT %d";
    private static final String INSERT = """
            INSERT INTO %1$s (session_key, data, created_at, last_accessed_at, max_inactive_ms, expires_at, version, principal)
            VALUES (?, ?, ?, ?, ?, ?, 1, ?)""";
    // The patch is a one-row derived table, sent once and read three times: for the new data, and for its size (the
    // bytes of the member names plus those of the values, each summed over a JSON_TABLE). InnoDB reads the row being
    // updated with its lock, so a concurrent write is merged into, never overwritten.
    private static final String MERGE = """
            UPDATE %1$s AS s JOIN (SELECT ? AS patch) AS delta
               SET %2$sdata = JSON_MERGE_PATCH(s.data, delta.patch),
                   last_accessed_at = ?, max_inactive_ms = ?, expires_at = ?, version = version + 1
             WHERE s.session_key = ? AND s.expires_at > ?
               AND (SELECT COALESCE(SUM(OCTET_LENGTH(k)), 0)
                      FROM JSON_TABLE(JSON_KEYS(JSON_MERGE_PATCH(s.data, delta.patch)), '$[*]'
                                      COLUMNS (k LONGTEXT CHARACTER SET utf8mb4 PATH '$')) AS names)
                 + (SELECT COALESCE(SUM(OCTET_LENGTH(v)), 0)
                      FROM JSON_TABLE(JSON_MERGE_PATCH(s.data, delta.patch), '$.*'
                                      COLUMNS (v LONGTEXT CHARACTER SET utf8mb4 PATH '$')) AS vals) <= ?""";
    private static final String SWEEP_SELECT = """
            SELECT session_key, data, created_at, last_accessed_at, max_inactive_ms, expires_at, version, principal
              FROM %1$s WHERE expires_at <= ? ORDER BY expires_at LIMIT ? FOR UPDATE SKIP LOCKED""";
    private static final String GET_LOCK = "SELECT GET_LOCK(?, ?)";
    private static final String RELEASE_LOCK = "SELECT RELEASE_LOCK(?)";
    private static final String SET_LEASE_LIMIT = "SET SESSION wait_timeout = %d";
    private static final String RESTORE_IDLE_LIMIT = "SET SESSION wait_timeout = @@GLOBAL.wait_timeout";
    private static final int DUPLICATE_ENTRY = 1062;

    MariaDbDialect() {
        super(CREATE_TABLE, COMMENT, INSERT, MERGE, null, SWEEP_SELECT, ADDED_TIMESTAMP, ADDED_BIGINT);
    }

    @Override
    boolean isDuplicateKey(SQLException e) {
        return e.getErrorCode() == DUPLICATE_ENTRY;
    }

    @Override
    int bindDelta(PreparedStatement statement, Connection connection, SessionWrite write) throws SQLException {
        // RFC 7396 merge patch: stored values are always JSON strings, so null can only mean "remove".
        Map<String, String> patch = new HashMap<>(write.upserts());
        write.removals().forEach(name -> patch.put(name, null));
        statement.setString(1, DataColumn.encode(patch));
        return 2;
    }

    @Override
    Object timestamp(Instant instant) {
        return LocalDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    @Override
    Instant instant(ResultSet row, int column) throws SQLException {
        LocalDateTime value = row.getObject(column, LocalDateTime.class);
        return value == null ? null : value.toInstant(ZoneOffset.UTC);
    }

    @Override
    void lockSchema(Connection connection, Table table, int timeoutSeconds) throws SQLException {
        if (!getLock(connection, lockName(connection, table, "schema"), timeoutSeconds)) {
            throw new java.sql.SQLTimeoutException("another process held the schema lock of " + table + " for "
                    + timeoutSeconds + " s");
        }
    }

    @Override
    void unlockSchema(Connection connection, Table table) throws SQLException {
        releaseLock(connection, lockName(connection, table, "schema"));
    }

    @Override
    boolean transactionalLocks() {
        return false;
    }

    /**
     * {@code GET_LOCK} belongs to the session, which sits idle while the sweep runs through other connections: its
     * {@code wait_timeout} is set to the lease's time to live, so the server closes a hung holder's session, and with
     * it the lock, once that has passed.
     */
    @Override
    boolean tryLockSweep(Connection connection, Table table, Duration ttl) throws SQLException {
        if (!getLock(connection, lockName(connection, table, "sweep"), 0)) {
            return false;
        }
        try (Statement limit = connection.createStatement()) {
            limit.execute(SET_LEASE_LIMIT.formatted(Math.max(1, Math.min(Integer.MAX_VALUE, (ttl.toMillis() + 999) / 1000))));
        }
        return true;
    }

    @Override
    void unlockSweep(Connection connection, Table table) throws SQLException {
        releaseLock(connection, lockName(connection, table, "sweep"));
        try (Statement restore = connection.createStatement()) {
            restore.execute(RESTORE_IDLE_LIMIT);
        }
    }

    private static String lockName(Connection connection, Table table, String purpose) throws SQLException {
        return table.lockName(purpose, connection.getCatalog());
    }

    private static boolean getLock(Connection connection, String name, int timeoutSeconds) throws SQLException {
        try (PreparedStatement lock = connection.prepareStatement(GET_LOCK)) {
            lock.setString(1, name);
            lock.setInt(2, timeoutSeconds);
            try (ResultSet result = lock.executeQuery()) {
                return result.next() && result.getInt(1) == 1;
            }
        }
    }

    private static void releaseLock(Connection connection, String name) throws SQLException {
        try (PreparedStatement release = connection.prepareStatement(RELEASE_LOCK)) {
            release.setString(1, name);
            release.execute();
        }
    }
}
