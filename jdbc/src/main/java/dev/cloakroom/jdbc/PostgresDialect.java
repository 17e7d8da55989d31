package dev.cloakroom.jdbc;

import dev.cloakroom.spi.SessionWrite;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;

/**
 * PostgreSQL: {@code jsonb} data merged in place with {@code -} and {@code ||} (the size cap checked on the merged
 * value with {@code jsonb_each_text}, in the same statement), {@code INSERT ... ON CONFLICT DO
 * NOTHING}, a one-statement {@code DELETE ... RETURNING} sweep with {@code SKIP LOCKED}, and transaction-scoped
 * advisory locks (released by the database even if this process dies).
 */
final class PostgresDialect extends Dialect {
    private static final String CREATE_TABLE = """
            CREATE TABLE IF NOT EXISTS %1$s (
                session_key      varchar(66) PRIMARY KEY,
                data             jsonb       NOT NULL,
                created_at       timestamptz NOT NULL,
                last_accessed_at timestamptz NOT NULL,
                max_inactive_ms  bigint      NOT NULL,
                expires_at       timestamptz NOT NULL,
                version          bigint      NOT NULL,
                principal        varchar(256)
            )""";
    private static final String COMMENT = "COMMENT ON TABLE %1$s IS '%2$s'";
    private static final String ADDED_TIMESTAMP = "timestamptz NOT NULL DEFAULT now()";
    private static final String ADDED_BIGINT = "bigint NOT NULL DEFAULT %d";
    private static final String INSERT = """
            INSERT INTO %1$s (session_key, data, created_at, last_accessed_at, max_inactive_ms, expires_at, version, principal)
            VALUES (?, ?::jsonb, ?, ?, ?, ?, 1, ?)
            ON CONFLICT (session_key) DO NOTHING""";
    // Removals first, then upserts: a name is never in both (SessionWrite checks), so the order only matters for clarity.
    // The delta is a one-row relation, sent once and read twice: for the new data and for its size. Both read the row
    // being updated, so a concurrent write that PostgreSQL waits for is merged into, never overwritten.
    private static final String MERGE = """
            WITH delta AS (SELECT ?::text[] AS removed, ?::jsonb AS added)
            UPDATE %1$s AS s
               SET %2$sdata = (s.data - delta.removed) || delta.added,
                   last_accessed_at = ?, max_inactive_ms = ?, expires_at = ?, version = s.version + 1
              FROM delta
             WHERE s.session_key = ? AND s.expires_at > ?
               AND (SELECT coalesce(sum(octet_length(e.key) + octet_length(e.value)), 0)
                      FROM jsonb_each_text((s.data - delta.removed) || delta.added) AS e) <= ?""";
    private static final String SWEEP = """
            DELETE FROM %1$s
             WHERE session_key IN (SELECT session_key FROM %1$s
                                    WHERE expires_at <= ?
                                    ORDER BY expires_at
                                    LIMIT ?
                                    FOR UPDATE SKIP LOCKED)
               AND expires_at <= ?
            RETURNING session_key, data, created_at, last_accessed_at, max_inactive_ms, expires_at, version, principal""";
    private static final String SWEEP_SELECT = """
            SELECT session_key, data, created_at, last_accessed_at, max_inactive_ms, expires_at, version, principal
              FROM %1$s WHERE expires_at <= ? ORDER BY expires_at LIMIT ? FOR UPDATE SKIP LOCKED""";
    private static final String LOCK_SCHEMA = "SELECT pg_advisory_xact_lock(?)";
    private static final String TRY_LOCK_SWEEP = "SELECT pg_try_advisory_xact_lock(?)";
    private static final String SET_LOCK_WAIT = "SET LOCAL statement_timeout = %d";
    private static final String SET_LEASE_LIMIT = "SET LOCAL idle_in_transaction_session_timeout = %d";

    PostgresDialect() {
        super(CREATE_TABLE, COMMENT, INSERT, MERGE, SWEEP, SWEEP_SELECT, ADDED_TIMESTAMP, ADDED_BIGINT);
    }

    @Override
    int bindDelta(PreparedStatement statement, Connection connection, SessionWrite write) throws SQLException {
        // createArrayOf builds the array on the client: no round trip.
        statement.setArray(1, connection.createArrayOf("text", write.removals().toArray(new String[0])));
        statement.setString(2, DataColumn.encode(write.upserts()));
        return 3;
    }

    @Override
    void lockSchema(Connection connection, Table table, int timeoutSeconds) throws SQLException {
        try (var wait = connection.createStatement()) {
            wait.execute(SET_LOCK_WAIT.formatted(timeoutSeconds * 1000L));
        }
        try (PreparedStatement lock = connection.prepareStatement(LOCK_SCHEMA)) {
            lock.setLong(1, table.lockId("schema"));
            lock.execute();
        }
    }

    @Override
    void unlockSchema(Connection connection, Table table) {
        // pg_advisory_xact_lock ends with the transaction
    }

    @Override
    boolean transactionalLocks() {
        return true;
    }

    @Override
    boolean tryLockSweep(Connection connection, Table table, Duration ttl) throws SQLException {
        // The lock's connection stays idle in its transaction while the sweep runs through others: past the lease's
        // time to live the server ends that session, and with it the lock.
        try (var limit = connection.createStatement()) {
            limit.execute(SET_LEASE_LIMIT.formatted(Math.max(1, Math.min(Integer.MAX_VALUE, ttl.toMillis()))));
        }
        try (PreparedStatement lock = connection.prepareStatement(TRY_LOCK_SWEEP)) {
            lock.setLong(1, table.lockId("sweep"));
            try (ResultSet result = lock.executeQuery()) {
                return result.next() && result.getBoolean(1);
            }
        }
    }

    @Override
    void unlockSweep(Connection connection, Table table) {
        // pg_try_advisory_xact_lock ends with the transaction
    }
}
