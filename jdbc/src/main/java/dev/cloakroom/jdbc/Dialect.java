package dev.cloakroom.jdbc;

import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.spi.SessionWrite;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;

/**
 * What differs between databases: column types, the statements that merge attribute deltas and sweep, locks, and how
 * timestamps travel. The store itself holds the request path and the SQL that is the same everywhere. Each dialect
 * keeps its SQL text whole in its own file and hands it to this class, which fills in the table's name; the defaults
 * here are what most of the databases share.
 *
 * <p>Column order of every statement that reads a row: {@code session_key, data, created_at, last_accessed_at,
 * max_inactive_ms, expires_at, version, principal}. Parameters of {@link #insert}: key, data, created, last accessed,
 * max inactive (ms), expires, principal. Parameters of {@link #merge}: the dialect's delta parameters
 * ({@link #bindDelta}), the new key when moving, the principal when the write sets it, then last accessed, max
 * inactive, expires, key, now, the size cap, and the expected version when versioned.
 */
abstract sealed class Dialect permits PostgresDialect, MariaDbDialect, H2Dialect {
    // Both are plain enough that every supported database reads them alike.
    private static final String LIST_PAGE = """
            SELECT session_key, data, created_at, last_accessed_at, max_inactive_ms, expires_at, version, principal
              FROM %1$s WHERE session_key > ? ORDER BY session_key LIMIT ?""";
    // One range scan of the principal index, read backwards: a user's sessions, latest expiry first.
    private static final String FIND_BY_PRINCIPAL = """
            SELECT session_key, data, created_at, last_accessed_at, max_inactive_ms, expires_at, version, principal
              FROM %1$s WHERE principal = ? ORDER BY expires_at DESC, session_key LIMIT ?""";
    private static final String CREATE_INDEX = "CREATE INDEX IF NOT EXISTS %2$s ON %1$s (expires_at)";
    private static final String CREATE_PRINCIPAL_INDEX = "CREATE INDEX IF NOT EXISTS %2$s ON %1$s (principal, expires_at)";
    /** The column of the principal, the signed-in user's name: at most 256 UTF-8 bytes, so at most 256 characters. */
    private static final String PRINCIPAL_COLUMN = "varchar(256)";
    private static final String ADD_COLUMN = "ALTER TABLE %1$s ADD COLUMN IF NOT EXISTS %2$s";

    private final String createTable;
    private final String comment;
    private final String insert;
    private final String merge;
    private final String sweepReturning;
    private final String sweepSelect;
    private final String addedTimestamp;
    private final String addedBigint;

    /**
     * Takes the dialect's SQL text. {@code %1$s} stands for the table, {@code %2$s} for its expiry index (in
     * {@code createTable}), the comment's text (in {@code comment}) or the new key's assignment (in {@code merge}). {@code merge} and {@code sweepReturning} are
     * {@code null} where the dialect has no such statement. {@code addedTimestamp} and {@code addedBigint} are the
     * type and default of a column added to an older table, the latter with {@code %d} for the default value.
     */
    Dialect(String createTable, String comment, String insert, String merge, String sweepReturning, String sweepSelect,
            String addedTimestamp, String addedBigint) {
        this.createTable = createTable;
        this.comment = comment;
        this.insert = insert;
        this.merge = merge;
        this.sweepReturning = sweepReturning;
        this.sweepSelect = sweepSelect;
        this.addedTimestamp = addedTimestamp;
        this.addedBigint = addedBigint;
    }

    /** Idempotent statements creating the table, its indexes and the schema mark (run under the schema lock). */
    final List<String> createStatements(Table table) {
        return List.of(createTable.formatted(table.sql(), table.expiryIndex(), table.principalIndex()),
                expiryIndex(table), principalIndex(table), comment(table, Schema.MARK));
    }

    /** Creates the index the sweep reads, if missing. */
    final String expiryIndex(Table table) {
        return CREATE_INDEX.formatted(table.sql(), table.expiryIndex());
    }

    /** Creates the index {@link #findByPrincipal} reads, if missing. */
    final String principalIndex(Table table) {
        return CREATE_PRINCIPAL_INDEX.formatted(table.sql(), table.principalIndex());
    }

    /** A user's rows, latest expiry first (params: principal, limit). */
    final String findByPrincipal(Table table) {
        return FIND_BY_PRINCIPAL.formatted(table.sql());
    }

    /** A statement adding {@code column} of the current layout to an older table, with a default for existing rows. */
    final String addColumn(Table table, String column) {
        String definition = switch (column) {
            case "created_at", "last_accessed_at" -> addedTimestamp;
            case "max_inactive_ms" -> addedBigint.formatted(CloakroomConfig.DEFAULT_IDLE_TIMEOUT.toMillis());
            case "version" -> addedBigint.formatted(1);
            case "principal" -> PRINCIPAL_COLUMN; // null: rows written before it name nobody
            default -> throw new IllegalArgumentException("column cannot be added: " + column);
        };
        return ADD_COLUMN.formatted(table.sql(), column + " " + definition);
    }

    /** A statement marking the table with {@code text} (table comment). */
    final String comment(Table table, String text) {
        return comment.formatted(table.sql(), text);
    }

    /** Inserts a new row; a taken key either inserts nothing or raises a duplicate-key error. */
    final String insert(Table table) {
        return insert.formatted(table.sql());
    }

    /** Whether {@code e} says the key is taken; by default the standard SQLSTATE for a unique violation. */
    boolean isDuplicateKey(SQLException e) {
        return "23505".equals(e.getSQLState());
    }

    /**
     * One statement merging the deltas in the database, and only if the merged record stays within the size cap
     * ({@link dev.cloakroom.spi.SessionRecord#sizeInBytes()}, measured in SQL); when {@code moving}, it gives the row
     * its new key as well, and when {@code setsPrincipal} its principal. {@code null} if this dialect merges in a
     * transaction instead.
     */
    final String merge(Table table, boolean moving, boolean versioned, boolean setsPrincipal) {
        return merge == null ? null
                : merge.formatted(table.sql(), (moving ? "session_key = ?, " : "") + (setsPrincipal ? "principal = ?, " : ""))
                        + (versioned ? " AND version = ?" : "");
    }

    /** Binds the delta parameters of {@link #merge} from index 1; returns the next index. */
    abstract int bindDelta(PreparedStatement statement, Connection connection, SessionWrite write) throws SQLException;

    /** One statement deleting up to {@code limit} expired rows and returning them (params: now, limit, now), or {@code null}. */
    final String sweepReturning(Table table) {
        return sweepReturning == null ? null : sweepReturning.formatted(table.sql());
    }

    /** Selects and locks up to {@code limit} expired rows, skipping locked ones (params: now, limit). */
    final String sweepSelect(Table table) {
        return sweepSelect.formatted(table.sql());
    }

    /**
     * Keyset pagination over the primary key (params: after, limit): each page is one index range scan, however deep
     * into the table it starts. {@code LIMIT} reads the same in the three databases.
     */
    final String listPage(Table table) {
        return LIST_PAGE.formatted(table.sql());
    }

    /** The JDBC value of a timestamp column; by default an {@code OffsetDateTime} in UTC. */
    Object timestamp(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    /** Reads a timestamp column. */
    Instant instant(ResultSet row, int column) throws SQLException {
        OffsetDateTime value = row.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }

    /** Takes the lock that serialises schema changes; PostgreSQL's is released by the transaction's end. */
    abstract void lockSchema(Connection connection, Table table, int timeoutSeconds) throws SQLException;

    abstract void unlockSchema(Connection connection, Table table) throws SQLException;

    /** Whether schema changes and sweep locks run inside one transaction (transactional DDL and xact locks). */
    abstract boolean transactionalLocks();

    /**
     * Tries the sweep lock without waiting. Where the database can, the lock ends by itself after {@code ttl}, so a
     * holder that hangs does not keep every instance from sweeping; elsewhere only the connection's end frees it.
     */
    abstract boolean tryLockSweep(Connection connection, Table table, Duration ttl) throws SQLException;

    /** Releases the sweep lock (a no-op where the transaction's end releases it). */
    abstract void unlockSweep(Connection connection, Table table) throws SQLException;

    static Dialect of(JdbcSessionStore.Database database) {
        return switch (database) {
            case POSTGRESQL -> new PostgresDialect();
            case MARIADB -> new MariaDbDialect();
            case H2 -> new H2Dialect();
        };
    }
}
