package dev.cloakroom.jdbc;

import dev.cloakroom.spi.SessionWrite;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * H2 (embedded, e.g. {@code jdbc:h2:file:./sessions}): data as text, merged by the store in a transaction that holds
 * the row with {@code SELECT ... FOR UPDATE}; locks are in-process, since an embedded database file belongs to one
 * process.
 */
final class H2Dialect extends Dialect {
    private static final String CREATE_TABLE = """
            CREATE TABLE IF NOT EXISTS %1$s (
                session_key      VARCHAR(66)              PRIMARY KEY,
                data             CHARACTER LARGE OBJECT   NOT NULL,
                created_at       TIMESTAMP WITH TIME ZONE NOT NULL,
                last_accessed_at TIMESTAMP WITH TIME ZONE NOT NULL,
                max_inactive_ms  BIGINT                   NOT NULL,
                expires_at       TIMESTAMP WITH TIME ZONE NOT NULL,
                version          BIGINT                   NOT NULL,
                principal        VARCHAR(256)
            )""";
    private static final String COMMENT = "COMMENT ON TABLE %1$s IS '%2$s'";
    private static final String ADDED_TIMESTAMP = "TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL";
    private static final String ADDED_BIGINT = "BIGINT DEFAULT %d NOT NULL";
    private static final String INSERT = """
            INSERT INTO %1$s (session_key, data, created_at, last_accessed_at, max_inactive_ms, expires_at, version, principal)
            VALUES (?, ?, ?, ?, ?, ?, 1, ?)""";
    private static final String SWEEP_SELECT = """
            SELECT session_key, data, created_at, last_accessed_at, max_inactive_ms, expires_at, version, principal
              FROM %1$s WHERE expires_at <= ? ORDER BY expires_at FETCH FIRST ? ROWS ONLY FOR UPDATE""";
    private static final Map<String, Semaphore> LOCKS = new ConcurrentHashMap<>();

    /** The sweep lock this store holds; at most one, since the lock itself is not re-entrant. */
    private final AtomicReference<Semaphore> sweepHeld = new AtomicReference<>();

    H2Dialect() {
        super(CREATE_TABLE, COMMENT, INSERT, null, null, SWEEP_SELECT, ADDED_TIMESTAMP, ADDED_BIGINT);
    }

    @Override
    int bindDelta(PreparedStatement statement, Connection connection, SessionWrite write) {
        throw new UnsupportedOperationException("H2 merges in a transaction");
    }

    @Override
    void lockSchema(Connection connection, Table table, int timeoutSeconds) throws SQLException {
        try {
            if (!lock(connection, table, "schema").tryAcquire(timeoutSeconds, TimeUnit.SECONDS)) {
                throw new java.sql.SQLTimeoutException("schema lock of " + table + " held for " + timeoutSeconds + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.sql.SQLTimeoutException("interrupted while waiting for the schema lock of " + table, e);
        }
    }

    @Override
    void unlockSchema(Connection connection, Table table) throws SQLException {
        lock(connection, table, "schema").release();
    }

    @Override
    boolean transactionalLocks() {
        return false;
    }

    @Override
    boolean tryLockSweep(Connection connection, Table table, Duration ttl) throws SQLException {
        Semaphore lock = lock(connection, table, "sweep");
        if (!lock.tryAcquire()) {
            return false;
        }
        sweepHeld.set(lock);
        return true;
    }

    /**
     * Frees the lock taken, not one looked up again through the connection: that connection may have failed, and
     * dropping it would not free a lock that lives in this process.
     */
    @Override
    void unlockSweep(Connection connection, Table table) {
        Semaphore held = sweepHeld.getAndSet(null);
        if (held != null) {
            held.release();
        }
    }

    private static Semaphore lock(Connection connection, Table table, String purpose) throws SQLException {
        String name = connection.getMetaData().getURL() + "|" + table.sql().toUpperCase(java.util.Locale.ROOT) + "|" + purpose;
        return LOCKS.computeIfAbsent(name, n -> new Semaphore(1));
    }
}
