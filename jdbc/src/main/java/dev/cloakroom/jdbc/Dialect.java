package dev.cloakroom.jdbc;

import dev.cloakroom.SessionWrite;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * What differs between databases, and nothing else: column types, the statements that merge attribute deltas and
 * sweep, locks, and how timestamps travel. The store itself holds the request path and the SQL that is the same
 * everywhere.
 *
 * <p>Column order of every statement that reads a row: {@code session_key, data, created_at, last_accessed_at,
 * max_inactive_ms, expires_at, version}. Parameters of {@link #insert}: key, data, created, last accessed,
 * max inactive (ms), expires. Parameters of {@link #merge}: the dialect's delta parameters ({@link #bindDelta}), then
 * last accessed, max inactive, expires, key, now, and the expected version when versioned.
 */
interface Dialect {

    /** Idempotent statements creating the table, the expiry index and the schema mark (run under the schema lock). */
    List<String> createStatements(Table table);

    /** A statement adding {@code column} of the current layout to an older table, with a default for existing rows. */
    String addColumn(Table table, String column);

    /** A statement marking the table with {@code text} (table comment). */
    String comment(Table table, String text);

    /** Inserts a new row; a taken key either inserts nothing or raises a duplicate-key error. */
    String insert(Table table);

    /** Whether {@code e} says the key is taken. */
    boolean isDuplicateKey(SQLException e);

    /** One statement merging the deltas in the database; {@code null} if this dialect merges in a transaction instead. */
    String merge(Table table, boolean versioned);

    /** Binds the delta parameters of {@link #merge} from index 1; returns the next index. */
    int bindDelta(PreparedStatement statement, Connection connection, SessionWrite write) throws SQLException;

    /** One statement deleting up to {@code limit} expired rows and returning them (params: now, limit, now), or {@code null}. */
    String sweepReturning(Table table);

    /** Selects and locks up to {@code limit} expired rows, skipping locked ones (params: now, limit). */
    String sweepSelect(Table table);

    /** The JDBC value of a timestamp column. */
    Object timestamp(Instant instant);

    /** Reads a timestamp column. */
    Instant instant(ResultSet row, int column) throws SQLException;

    /** Takes the lock that serialises schema changes; PostgreSQL's is released by the transaction's end. */
    void lockSchema(Connection connection, Table table, int timeoutSeconds) throws SQLException;

    void unlockSchema(Connection connection, Table table) throws SQLException;

    /** Whether schema changes and sweep locks run inside one transaction (transactional DDL and xact locks). */
    boolean transactionalLocks();

    /**
     * Tries the sweep lock without waiting. Where the database can, the lock ends by itself after {@code ttl}, so a
     * holder that hangs does not keep every instance from sweeping; elsewhere only the connection's end frees it.
     */
    boolean tryLockSweep(Connection connection, Table table, Duration ttl) throws SQLException;

    /** Releases the sweep lock (a no-op where the transaction's end releases it). */
    void unlockSweep(Connection connection, Table table) throws SQLException;

    static Dialect of(JdbcSessionStore.Database database) {
        return switch (database) {
            case POSTGRESQL -> new PostgresDialect();
            case MARIADB -> new MariaDbDialect();
            case H2 -> new H2Dialect();
        };
    }
}
