package dev.cloakroom.jdbc;

import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.SessionWrite;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
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
final class H2Dialect implements Dialect {
    private static final String CREATE_TABLE = """
            CREATE TABLE IF NOT EXISTS %1$s (
                session_key      VARCHAR(66)              PRIMARY KEY,
                data             CHARACTER LARGE OBJECT   NOT NULL,
                created_at       TIMESTAMP WITH TIME ZONE NOT NULL,
                last_accessed_at TIMESTAMP WITH TIME ZONE NOT NULL,
                max_inactive_ms  BIGINT                   NOT NULL,
                expires_at       TIMESTAMP WITH TIME ZONE NOT NULL,
                version          BIGINT                   NOT NULL
            )""";
    private static final String CREATE_INDEX = "CREATE INDEX IF NOT EXISTS %2$s ON %1$s (expires_at)";
    private static final String COMMENT = "COMMENT ON TABLE %1$s IS '%2$s'";
    private static final String ADD_COLUMN = "ALTER TABLE %1$s ADD COLUMN IF NOT EXISTS %2$s";
    private static final String INSERT = """
            INSERT INTO %1$s (session_key, data, created_at, last_accessed_at, max_inactive_ms, expires_at, version)
            VALUES (?, ?, ?, ?, ?, ?, 1)""";
    private static final String SWEEP_SELECT = """
            SELECT session_key, data, created_at, last_accessed_at, max_inactive_ms, expires_at, version
              FROM %1$s WHERE expires_at <= ? ORDER BY expires_at FETCH FIRST ? ROWS ONLY FOR UPDATE""";
    private static final Map<String, Semaphore> LOCKS = new ConcurrentHashMap<>();

    /** The sweep lock this store holds; at most one, since the lock itself is not re-entrant. */
    private final AtomicReference<Semaphore> sweepHeld = new AtomicReference<>();

    @Override
    public List<String> createStatements(Table table) {
        return List.of(CREATE_TABLE.formatted(table.sql()),
                CREATE_INDEX.formatted(table.sql(), table.expiryIndex()),
                comment(table, Schema.MARK));
    }

    @Override
    public String addColumn(Table table, String column) {
        String definition = switch (column) {
            case "created_at" -> "created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL";
            case "last_accessed_at" -> "last_accessed_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL";
            case "max_inactive_ms" -> "max_inactive_ms BIGINT DEFAULT " + CloakroomConfig.DEFAULT_IDLE_TIMEOUT.toMillis() + " NOT NULL";
            case "version" -> "version BIGINT DEFAULT 1 NOT NULL";
            default -> throw new IllegalArgumentException("column cannot be added: " + column);
        };
        return ADD_COLUMN.formatted(table.sql(), definition);
    }

    @Override
    public String comment(Table table, String text) {
        return COMMENT.formatted(table.sql(), text);
    }

    @Override
    public String insert(Table table) {
        return INSERT.formatted(table.sql());
    }

    @Override
    public boolean isDuplicateKey(SQLException e) {
        return "23505".equals(e.getSQLState());
    }

    @Override
    public String merge(Table table, boolean versioned) {
        return null;
    }

    @Override
    public int bindDelta(PreparedStatement statement, Connection connection, SessionWrite write) {
        throw new UnsupportedOperationException("H2 merges in a transaction");
    }

    @Override
    public String sweepReturning(Table table) {
        return null;
    }

    @Override
    public String sweepSelect(Table table) {
        return SWEEP_SELECT.formatted(table.sql());
    }

    @Override
    public Object timestamp(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    @Override
    public Instant instant(ResultSet row, int column) throws SQLException {
        OffsetDateTime value = row.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }

    @Override
    public void lockSchema(Connection connection, Table table, int timeoutSeconds) throws SQLException {
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
    public void unlockSchema(Connection connection, Table table) throws SQLException {
        lock(connection, table, "schema").release();
    }

    @Override
    public boolean transactionalLocks() {
        return false;
    }

    @Override
    public boolean tryLockSweep(Connection connection, Table table, Duration ttl) throws SQLException {
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
    public void unlockSweep(Connection connection, Table table) {
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
