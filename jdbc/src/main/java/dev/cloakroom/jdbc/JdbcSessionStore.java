package dev.cloakroom.jdbc;

import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionStoreUnavailableException;
import dev.cloakroom.jdbc.Calls.Call;
import dev.cloakroom.spi.RecordPage;
import dev.cloakroom.spi.RecordSummary;
import dev.cloakroom.spi.SessionRecord;
import dev.cloakroom.spi.SessionStore;
import dev.cloakroom.spi.SessionWrite;
import dev.cloakroom.spi.SweepLease;
import dev.cloakroom.spi.WriteResult;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sessions in one table of PostgreSQL, MariaDB/MySQL or H2.
 *
 * <p>Build it from a {@link DataSource} the application already has, or from a URL (the SQLAlchemy form
 * {@code postgresql://user:pass@host:5432/db}, {@code mysql://...}, or any supported {@code jdbc:} URL), for which it
 * builds its own HikariCP pool (HikariCP must then be on the class path). The table (default {@value #DEFAULT_TABLE})
 * is created or upgraded at start unless {@link SchemaMode} says otherwise; {@link #ddl} gives its DDL.
 *
 * <p>Cost per request, on PostgreSQL and MariaDB: a load is one {@code SELECT}; a change is one {@code UPDATE} that
 * merges the attribute deltas in the database ({@code jsonb} operators, {@code JSON_MERGE_PATCH}) and checks the size
 * cap on the merged record in the same statement, so concurrent requests never lose each other's attributes nor add up
 * past the cap; a create is one {@code INSERT}; an id change ({@link #move}) is one {@code UPDATE} that also renames the
 * row. A write that changes nothing costs one more cheap {@code SELECT} to tell {@link WriteResult#GONE},
 * {@link WriteResult#CONFLICT} and {@link WriteResult#TOO_LARGE} apart. H2 merges under a row lock in a transaction
 * instead. No write ever recreates a row that is gone. Times stored are those the {@link SessionWrite} carries (the
 * manager's clock), never the database's.
 *
 * <p>Every call is bounded by one timeout (default {@link CloakroomConfig#DEFAULT_STORE_TIMEOUT}) covering connection
 * checkout, network reads and the statement, whatever the pool's own checkout timeout; past it the call throws
 * {@link SessionStoreUnavailableException}.
 *
 * <p>Sweeping deletes expired rows in statements of at most {@value #SWEEP_CHUNK} ({@code DELETE ... RETURNING} with
 * {@code FOR UPDATE SKIP LOCKED} on PostgreSQL), each reported as soon as it committed, under a database lock
 * (PostgreSQL advisory lock, MariaDB {@code GET_LOCK}), so one process sweeps at a time and requests are never blocked
 * by it. Thread-safe.
 */
public final class JdbcSessionStore implements SessionStore {
    /** {@code SESSION_SQLALCHEMY_TABLE} / {@code SESSION_JDBC_TABLE}'s default. */
    public static final String DEFAULT_TABLE = "sessions";
    /** Connections of the pool built from a URL. */
    public static final int DEFAULT_MAX_POOL_SIZE = 10;
    /** Longest wait for another process's schema change at start (the store timeout applies if it is longer). */
    public static final Duration DEFAULT_SCHEMA_LOCK_TIMEOUT = Duration.ofSeconds(30);
    /** What the store does with its table at start unless told otherwise. */
    public static final SchemaMode DEFAULT_SCHEMA_MODE = SchemaMode.CREATE;
    /** Rows one sweep statement (one transaction where the sweep needs two statements) deletes at most: locks stay few and short. */
    static final int SWEEP_CHUNK = 500;

    private static final Logger LOG = LoggerFactory.getLogger(JdbcSessionStore.class);
    /** The width of the key column. */
    private static final int MAX_KEY_LENGTH = 66;
    private static final String COLUMNS = "session_key, data, created_at, last_accessed_at, max_inactive_ms, expires_at, version, principal";
    private static final String LOAD = "SELECT " + COLUMNS + " FROM %1$s WHERE session_key = ?";
    private static final String DELETE = "DELETE FROM %1$s WHERE session_key = ?";
    private static final String DELETE_VERSION = "DELETE FROM %1$s WHERE session_key = ? AND version = ?";
    private static final String ALIVE = "SELECT version FROM %1$s WHERE session_key = ? AND expires_at > ?";
    private static final String LOCK_ROW = "SELECT data, version, principal FROM %1$s WHERE session_key = ? AND expires_at > ? FOR UPDATE";
    // A write keeps its key (the same value), a move gives the new one.
    private static final String REPLACE = """
            UPDATE %1$s SET session_key = ?, data = ?, last_accessed_at = ?, max_inactive_ms = ?, expires_at = ?,
                   principal = ?, version = version + 1
             WHERE session_key = ?""";
    private static final String DELETE_KEYS = "DELETE FROM %1$s WHERE session_key IN (%2$s)";

    /** The databases this store speaks to. */
    public enum Database {
        /** PostgreSQL 12 or later: first-class ({@code jsonb}, advisory locks, {@code DELETE ... RETURNING}). */
        POSTGRESQL("PostgreSQL"),
        /** MariaDB 10.6+ and MySQL 8 ({@code JSON_MERGE_PATCH}, {@code GET_LOCK}, {@code SKIP LOCKED}). */
        MARIADB("MariaDB/MySQL"),
        /** H2 2.x, embedded (e.g. {@code jdbc:h2:file:./sessions}); one process per database file. */
        H2("H2");

        private final String displayName;

        Database(String displayName) {
            this.displayName = displayName;
        }

        static Database ofProductName(String product) {
            String lower = product == null ? "" : product.toLowerCase(Locale.ROOT);
            if (lower.contains("postgres")) return POSTGRESQL;
            if (lower.contains("mariadb") || lower.contains("mysql")) return MARIADB;
            if (lower.contains("h2")) return H2;
            throw new IllegalArgumentException("unsupported database '" + product + "'; JdbcSessionStore speaks PostgreSQL, "
                    + "MariaDB/MySQL and H2");
        }
    }

    /** What the store does with its table at start. */
    public enum SchemaMode {
        /** Create the table and index if missing, upgrade an older Cloakroom layout in place (default). */
        CREATE,
        /** Change nothing; fail at start, printing the DDL, unless the table has the current layout. */
        VALIDATE,
        /** Neither check nor change: the table is someone else's business (e.g. a migration tool). */
        NONE
    }

    private final AutoCloseable ownedPool;
    private final Dialect dialect;
    private final Table table;
    private final Duration timeout;
    private final String description;
    private final Calls calls;
    private final SqlErrors errors;
    private final SchemaGate schema;
    private final Duration schemaLockTimeout;
    private final String load;
    private final String delete;
    private final String deleteVersion;
    private final String alive;
    private final String lockRow;
    private final String replace;
    private final String insert;
    /** The dialect's merge statements by [moving][versioned][sets the principal]; null where it merges in a transaction. */
    private final String[][][] merges = new String[2][2][2];
    private final String sweepReturning;
    private final String sweepSelect;
    private final String listPage;
    private final String findByPrincipal;

    private JdbcSessionStore(Builder b, Checkout checkout, AutoCloseable ownedPool, Database database, String where) {
        this.ownedPool = ownedPool;
        this.dialect = Dialect.of(database);
        this.table = b.table;
        this.timeout = b.timeout;
        this.schemaLockTimeout = b.schemaLockTimeout.compareTo(b.timeout) < 0 ? b.timeout : b.schemaLockTimeout;
        this.description = database.displayName + " table " + table + " at " + where + " (timeout " + timeout.toMillis()
                + " ms, schema " + b.schemaMode + ")";
        this.calls = new Calls(checkout, table.name());
        this.errors = new SqlErrors(dialect, description, timeout);
        this.schema = new SchemaGate(calls, errors, dialect, table, b.schemaMode, description);
        String t = table.sql();
        this.load = LOAD.formatted(t);
        this.delete = DELETE.formatted(t);
        this.deleteVersion = DELETE_VERSION.formatted(t);
        this.alive = ALIVE.formatted(t);
        this.lockRow = LOCK_ROW.formatted(t);
        this.replace = REPLACE.formatted(t);
        this.insert = dialect.insert(table);
        for (int moving = 0; moving < 2; moving++) {
            for (int versioned = 0; versioned < 2; versioned++) {
                for (int principal = 0; principal < 2; principal++) {
                    merges[moving][versioned][principal] = dialect.merge(table, moving == 1, versioned == 1, principal == 1);
                }
            }
        }
        this.findByPrincipal = dialect.findByPrincipal(table);
        this.sweepReturning = dialect.sweepReturning(table);
        this.sweepSelect = dialect.sweepSelect(table);
        this.listPage = dialect.listPage(table);
    }

    /** Settings start at their defaults; give either {@link Builder#url} or {@link Builder#dataSource}. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The statements that create the table and its index for {@code database}, for a DBA to run when the application
     * may not ({@link SchemaMode#VALIDATE} or {@link SchemaMode#NONE}).
     */
    public static String ddl(Database database, String table) {
        return String.join(";\n", Dialect.of(Objects.requireNonNull(database, "database")).createStatements(Table.parse(table))) + ";\n";
    }

    @Override
    public Optional<SessionRecord> load(SessionKey key) {
        Objects.requireNonNull(key, "key");
        return run("load of " + key, call -> {
            Row row;
            try (PreparedStatement statement = call.prepare(load)) {
                statement.setString(1, key.value());
                try (ResultSet rs = statement.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    row = readRow(rs);
                }
            }
            if (row.record() != null) {
                return Optional.of(row.record());
            }
            LOG.warn("{} in {} could not be read ({}); removed, its visitor gets a new session", key, table, row.problem());
            try (PreparedStatement statement = call.prepare(row.version() > 0 ? deleteVersion : delete)) {
                statement.setString(1, key.value());
                if (row.version() > 0) {
                    statement.setLong(2, row.version());
                }
                statement.executeUpdate();
            }
            return Optional.empty();
        });
    }

    @Override
    public WriteResult write(SessionWrite write) {
        Objects.requireNonNull(write, "write");
        if (write.create()) {
            // A create writes exactly its upserts: measured here, without a round trip.
            if (write.exceedsCap(write.applyTo(null))) {
                return WriteResult.TOO_LARGE;
            }
            return run("write of " + write.key(), call -> insert(call, write));
        }
        return run("write of " + write.key(), call -> mergesInOneStatement() ? merge(call, null, write) : readModifyWrite(call, null, write));
    }

    /**
     * One {@code UPDATE} that gives the row its new key and merges the write's deltas, checking expiry and the size
     * cap in the same statement (PostgreSQL, MariaDB); on H2 the same under a row lock in a transaction. A taken new
     * key is a unique violation, answered as {@link WriteResult#CONFLICT} with nothing changed.
     */
    @Override
    public WriteResult move(SessionKey from, SessionWrite write) {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(write, "write");
        return run("move of " + from + " to " + write.key(),
                call -> mergesInOneStatement() ? merge(call, from, write) : readModifyWrite(call, from, write));
    }

    @Override
    public boolean delete(SessionKey key) {
        Objects.requireNonNull(key, "key");
        return run("delete of " + key, call -> {
            try (PreparedStatement statement = call.prepare(delete)) {
                statement.setString(1, key.value());
                return statement.executeUpdate() > 0;
            }
        });
    }

    /**
     * {@inheritDoc}
     *
     * <p>One {@code SELECT} per page, by primary key from the last key returned (the cursor). A row that cannot be read
     * is skipped with a warning; {@link #load} removes it when asked for it.
     */
    @Override
    public RecordPage list(String cursor, int limit) {
        RecordPage.requireLimit(limit);
        if (cursor != null && (cursor.isEmpty() || cursor.length() > MAX_KEY_LENGTH)) {
            throw new IllegalArgumentException("not a cursor of " + table + ": '" + cursor + "'");
        }
        return run("listing", call -> {
            List<RecordSummary> page = new ArrayList<>();
            String last = null;
            int rows = 0;
            try (PreparedStatement statement = call.prepare(listPage)) {
                statement.setString(1, cursor == null ? "" : cursor);
                statement.setInt(2, limit);
                try (ResultSet rs = statement.executeQuery()) {
                    while (rs.next()) {
                        last = rs.getString(1);
                        rows++;
                        Row row = readRow(rs);
                        if (row.record() != null) {
                            page.add(RecordSummary.of(row.record()));
                        } else {
                            LOG.warn("{} in {} could not be read ({}); not listed", row.key(), table, row.problem());
                        }
                    }
                }
            }
            return new RecordPage(page, rows < limit ? Optional.empty() : Optional.of(last));
        });
    }

    /**
     * {@inheritDoc}
     *
     * <p>One {@code SELECT} on the {@code (principal, expires_at)} index: the principal is a column of the row itself,
     * so the index is written, moved and deleted with the row in the same statement and cannot outlive it.
     */
    @Override
    public List<RecordSummary> findByPrincipal(String principal, int limit) {
        Objects.requireNonNull(principal, "principal");
        RecordPage.requireLimit(limit);
        return run("lookup by principal", call -> {
            List<RecordSummary> found = new ArrayList<>();
            try (PreparedStatement statement = call.prepare(findByPrincipal)) {
                statement.setString(1, principal);
                statement.setInt(2, limit);
                try (ResultSet rs = statement.executeQuery()) {
                    while (rs.next()) {
                        Row row = readRow(rs);
                        if (row.record() == null) {
                            LOG.warn("{} in {} could not be read ({}); not listed", row.key(), table, row.problem());
                        } else if (principal.equals(row.record().principal())) {
                            // compared again here: MariaDB's collations ignore trailing spaces in '='
                            found.add(RecordSummary.of(row.record()));
                        }
                    }
                }
            }
            return found;
        });
    }

    /**
     * Deletes in steps of at most {@value #SWEEP_CHUNK} rows, each its own bounded call: once a step committed, its
     * records go to {@code deleted} (listeners may take their time: no connection is held meanwhile), and only then
     * does the next step start, so a failing step leaves the earlier ones reported. A row that cannot be read is
     * deleted all the same, with a warning, since no listener can be told what it held.
     */
    @Override
    public int sweep(Instant now, int limit, Consumer<SessionRecord> deleted) {
        Objects.requireNonNull(now, "now");
        Objects.requireNonNull(deleted, "deleted");
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be positive: " + limit);
        }
        int reported = 0;
        for (int left = limit; left > 0; ) {
            int chunk = Math.min(SWEEP_CHUNK, left);
            Swept swept = run("sweep", call -> sweepReturning != null ? sweepInOneStatement(call, now, chunk) : sweepInTransaction(call, now, chunk));
            for (String row : swept.unreadable()) {
                LOG.warn("expired {} in {} could not be read; deleted without telling listeners", row, table);
            }
            swept.records().forEach(deleted);
            reported += swept.records().size();
            if (swept.rows() < chunk) {
                break;
            }
            left -= swept.rows();
        }
        return reported;
    }

    /**
     * Takes the database lock that makes this process the one sweeper of the table (PostgreSQL
     * {@code pg_try_advisory_xact_lock}, MariaDB {@code GET_LOCK}, H2 in-process), held on a connection of its own
     * until the lease is closed. A process that dies releases it with its connection. On PostgreSQL and MariaDB the
     * lock also ends after {@code ttl} (the server ends the lock's idle session), so a sweeper that hangs does not stop
     * the other instances from sweeping; H2's in-process lock is freed only by closing the lease.
     */
    @Override
    public Optional<SweepLease> tryAcquireSweepLease(Duration ttl) {
        long started = System.nanoTime();
        long deadline = started + timeout.toNanos();
        schema.ensure(started, deadline);
        Call call = null;
        try {
            call = calls.open(deadline);
            if (dialect.transactionalLocks()) {
                call.begin();
            }
            if (!dialect.tryLockSweep(call.connection(), table, ttl)) {
                call.close();
                return Optional.empty();
            }
            Call held = call;
            return Optional.of(() -> releaseLease(held));
        } catch (SQLException e) {
            if (call != null) {
                call.abort();
            }
            throw errors.translate("sweep lock", started, e);
        }
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public void close() {
        calls.close();
        if (ownedPool != null) {
            try {
                ownedPool.close();
            } catch (Exception e) {
                LOG.warn("closing the connection pool of {} failed", table, e);
            }
        }
    }

    @Override
    public String toString() {
        return "JdbcSessionStore[" + description + "]";
    }

    private <T> T run(String what, Calls.Work<T> work) {
        long started = System.nanoTime();
        long deadline = started + timeout.toNanos();
        schema.ensure(started, deadline);
        try {
            return calls.run(deadline, work);
        } catch (SQLException e) {
            schema.failed(e);
            throw errors.translate(what, started, e);
        }
    }

    private WriteResult insert(Call call, SessionWrite write) throws SQLException {
        try (PreparedStatement statement = call.prepare(insert)) {
            statement.setString(1, write.key().value());
            statement.setString(2, DataColumn.encode(write.upserts()));
            statement.setObject(3, dialect.timestamp(micros(write.createdAt())));
            statement.setObject(4, dialect.timestamp(micros(write.lastAccessedAt())));
            statement.setLong(5, write.maxInactiveInterval().toMillis());
            statement.setObject(6, dialect.timestamp(micros(write.expiresAt())));
            statement.setString(7, write.principal());
            return statement.executeUpdate() == 1 ? WriteResult.WRITTEN : WriteResult.CONFLICT;
        } catch (SQLException e) {
            if (errors.isConflict(e)) {
                call.rollback();
                return WriteResult.CONFLICT;
            }
            throw e;
        }
    }

    /** The one-statement merge of {@code write} into the row of {@code from} (a move) or of the write's own key. */
    private WriteResult merge(Call call, SessionKey from, SessionWrite write) throws SQLException {
        boolean moving = from != null;
        boolean versioned = !moving && write.expectedVersion() != SessionWrite.ANY_VERSION;
        SessionKey source = moving ? from : write.key();
        int updated;
        try (PreparedStatement statement = call.prepare(merges[moving ? 1 : 0][versioned ? 1 : 0][write.setsPrincipal() ? 1 : 0])) {
            int i = dialect.bindDelta(statement, call.connection(), write);
            if (moving) {
                statement.setString(i++, write.key().value());
            }
            if (write.setsPrincipal()) {
                statement.setString(i++, write.principal());
            }
            statement.setObject(i++, dialect.timestamp(micros(write.lastAccessedAt())));
            statement.setLong(i++, write.maxInactiveInterval().toMillis());
            statement.setObject(i++, dialect.timestamp(micros(write.expiresAt())));
            statement.setString(i++, source.value());
            statement.setObject(i++, dialect.timestamp(micros(write.now())));
            statement.setLong(i++, write.maxBytes());
            if (versioned) {
                statement.setLong(i, write.expectedVersion());
            }
            updated = statement.executeUpdate();
        } catch (SQLException e) {
            if (moving && errors.isConflict(e)) {
                call.rollback();
                return WriteResult.CONFLICT;
            }
            throw e;
        }
        if (updated > 0) {
            return WriteResult.WRITTEN;
        }
        if (!versioned && write.maxBytes() == SessionWrite.NO_SIZE_LIMIT) {
            return WriteResult.GONE; // nothing but expiry or absence can explain it
        }
        return whyNotWritten(call, source, versioned ? write.expectedVersion() : SessionWrite.ANY_VERSION, write.now());
    }

    /** Only a write that changed nothing pays for this: absent is GONE, another version CONFLICT, else the cap held it. */
    private WriteResult whyNotWritten(Call call, SessionKey key, long expectedVersion, Instant now) throws SQLException {
        try (PreparedStatement statement = call.prepare(alive)) {
            statement.setString(1, key.value());
            statement.setObject(2, dialect.timestamp(micros(now)));
            try (ResultSet rs = statement.executeQuery()) {
                if (!rs.next()) {
                    return WriteResult.GONE;
                }
                boolean otherVersion = expectedVersion != SessionWrite.ANY_VERSION && rs.getLong(1) != expectedVersion;
                return otherVersion ? WriteResult.CONFLICT : WriteResult.TOO_LARGE;
            }
        }
    }

    /**
     * For dialects without JSON operators: the row is locked from read to write, so the merge, the size check and a
     * move's rename are still atomic.
     */
    private WriteResult readModifyWrite(Call call, SessionKey from, SessionWrite write) throws SQLException {
        boolean moving = from != null;
        SessionKey source = moving ? from : write.key();
        call.begin();
        Map<String, String> attributes;
        String principal;
        try (PreparedStatement statement = call.prepare(lockRow)) {
            statement.setString(1, source.value());
            statement.setObject(2, dialect.timestamp(micros(write.now())));
            try (ResultSet rs = statement.executeQuery()) {
                if (!rs.next()) {
                    return WriteResult.GONE;
                }
                long version = rs.getLong(2);
                if (!moving && write.expectedVersion() != SessionWrite.ANY_VERSION && write.expectedVersion() != version) {
                    return WriteResult.CONFLICT;
                }
                try {
                    attributes = new HashMap<>(DataColumn.decode(rs.getString(1)));
                } catch (IllegalArgumentException e) {
                    throw new SQLException("stored data of " + source + " is unreadable: " + e.getMessage(), "22000");
                }
                principal = write.principalAfter(rs.getString(3));
            }
        }
        attributes.keySet().removeAll(write.removals());
        attributes.putAll(write.upserts());
        if (SessionRecord.sizeInBytes(attributes) > write.maxBytes()) {
            return WriteResult.TOO_LARGE;
        }
        try (PreparedStatement statement = call.prepare(replace)) {
            statement.setString(1, write.key().value());
            statement.setString(2, DataColumn.encode(attributes));
            statement.setObject(3, dialect.timestamp(micros(write.lastAccessedAt())));
            statement.setLong(4, write.maxInactiveInterval().toMillis());
            statement.setObject(5, dialect.timestamp(micros(write.expiresAt())));
            statement.setString(6, principal);
            statement.setString(7, source.value());
            statement.executeUpdate();
        } catch (SQLException e) {
            if (moving && errors.isConflict(e)) {
                call.rollback();
                return WriteResult.CONFLICT;
            }
            throw e;
        }
        call.commit();
        return WriteResult.WRITTEN;
    }

    /** What one sweep step deleted: the records of the rows that could be read, and what the others were. */
    private record Swept(List<SessionRecord> records, List<String> unreadable) {
        Swept() {
            this(new ArrayList<>(), new ArrayList<>());
        }

        int rows() {
            return records.size() + unreadable.size();
        }

        void add(Row row) {
            if (row.record() != null) {
                records.add(row.record());
            } else {
                unreadable.add(row.key() + " (" + row.problem() + ")");
            }
        }
    }

    private Swept sweepInOneStatement(Call call, Instant now, int limit) throws SQLException {
        try (PreparedStatement statement = call.prepare(sweepReturning)) {
            Object at = dialect.timestamp(micros(now));
            statement.setObject(1, at);
            statement.setInt(2, limit);
            statement.setObject(3, at);
            try (ResultSet rs = statement.executeQuery()) {
                Swept swept = new Swept();
                while (rs.next()) {
                    swept.add(readRow(rs));
                }
                return swept;
            }
        }
    }

    private Swept sweepInTransaction(Call call, Instant now, int limit) throws SQLException {
        call.begin();
        List<String> keys = new ArrayList<>();
        Swept swept = new Swept();
        try (PreparedStatement statement = call.prepare(sweepSelect)) {
            statement.setObject(1, dialect.timestamp(micros(now)));
            statement.setInt(2, limit);
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    keys.add(rs.getString(1));
                    swept.add(readRow(rs));
                }
            }
        }
        if (!keys.isEmpty()) {
            try (PreparedStatement statement = call.prepare(DELETE_KEYS.formatted(table.sql(), String.join(",", Collections.nCopies(keys.size(), "?"))))) {
                for (int i = 0; i < keys.size(); i++) {
                    statement.setString(i + 1, keys.get(i));
                }
                statement.executeUpdate();
            }
        }
        call.commit();
        return swept;
    }

    private void releaseLease(Call call) {
        try {
            dialect.unlockSweep(call.connection(), table);
            call.close();
        } catch (SQLException | RuntimeException e) {
            // The lock must not stay with a pooled connection: drop the connection so the database releases it.
            LOG.warn("releasing the sweep lock of {} failed; dropping its connection so the database frees it: {}", table, e.toString());
            call.abort();
        }
    }

    /** A row as read: the record, or why there is none (an odd row this store did not write), named for the log. */
    private record Row(SessionRecord record, long version, String key, String problem) {
    }

    private Row readRow(ResultSet rs) throws SQLException {
        long version = 0;
        String keyText = rs.getString(1);
        String key = "a row";
        try {
            version = rs.getLong(7);
            SessionKey sessionKey = new SessionKey(keyText);
            key = sessionKey.toString();
            Map<String, String> attributes = DataColumn.decode(rs.getString(2));
            Instant createdAt = dialect.instant(rs, 3);
            Instant lastAccessedAt = dialect.instant(rs, 4);
            Duration maxInactive = Duration.ofMillis(rs.getLong(5));
            Instant expiresAt = dialect.instant(rs, 6);
            String principal = rs.getString(8);
            return new Row(new SessionRecord(sessionKey, attributes, createdAt, lastAccessedAt, maxInactive, expiresAt, version,
                    principal == null || principal.isEmpty() ? null : principal), version, key, null);
        } catch (RuntimeException e) {
            return new Row(null, version, key, e.getMessage());
        }
    }

    private boolean mergesInOneStatement() {
        return merges[0][0][0] != null;
    }

    /** Timestamps are kept to the microsecond (PostgreSQL's and MariaDB's precision), always truncated the same way. */
    private static Instant micros(Instant instant) {
        return instant.truncatedTo(ChronoUnit.MICROS);
    }

    /** Settings of a {@link JdbcSessionStore}; {@link #build()} validates them, connects and checks the table. */
    public static final class Builder {
        private DataSource dataSource;
        private DatabaseUrl url;
        private String user;
        private String password;
        private Database database;
        private Table table = Table.parse(DEFAULT_TABLE);
        private SchemaMode schemaMode = DEFAULT_SCHEMA_MODE;
        private Duration timeout = CloakroomConfig.DEFAULT_STORE_TIMEOUT;
        private Duration schemaLockTimeout = DEFAULT_SCHEMA_LOCK_TIMEOUT;
        private int maxPoolSize = DEFAULT_MAX_POOL_SIZE;

        private Builder() {
        }

        /**
         * The application's own pool; the store never closes it. Its checkout is bounded by the store's timeout
         * however long the pool itself would wait (see {@link #timeout}).
         */
        public Builder dataSource(DataSource value) { this.dataSource = Objects.requireNonNull(value, "dataSource"); return this; }

        /**
         * Where the database is: {@code postgresql://user:pass@host:5432/db} (SQLAlchemy's form), {@code mysql://...},
         * {@code mariadb://...}, or a {@code jdbc:postgresql:}, {@code jdbc:mariadb:}, {@code jdbc:mysql:},
         * {@code jdbc:h2:} URL. The store builds a HikariCP pool for it and closes the pool on {@link #close()}.
         *
         * @throws IllegalArgumentException if {@code value} is not such a URL (the message masks its password)
         */
        public Builder url(String value) { this.url = DatabaseUrl.parse(value); return this; }

        /**
         * Credentials for a {@code jdbc:} URL, each overriding the URL's own where not {@code null}; the SQLAlchemy
         * form carries its own. Default: none beyond the URL's.
         */
        public Builder credentials(String user, String password) { this.user = user; this.password = password; return this; }

        /** The database behind a {@link #dataSource}, when it should not be detected at start. */
        public Builder database(Database value) { this.database = Objects.requireNonNull(value, "database"); return this; }

        /** The table, optionally schema-qualified ({@code app.sessions}); plain identifiers only. Default {@value JdbcSessionStore#DEFAULT_TABLE}. */
        public Builder table(String value) { this.table = Table.parse(value); return this; }

        /** What to do with the table at start; default {@link #DEFAULT_SCHEMA_MODE} ({@link SchemaMode#CREATE}). */
        public Builder schemaMode(SchemaMode value) { this.schemaMode = Objects.requireNonNull(value, "schemaMode"); return this; }

        /**
         * Bound on every call: connection checkout (also from an application's pool that would wait longer), network
         * reads, statement; default {@link CloakroomConfig#DEFAULT_STORE_TIMEOUT} (2 s).
         */
        public Builder timeout(Duration value) {
            Objects.requireNonNull(value, "timeout");
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException("timeout must be positive: " + value);
            }
            this.timeout = value;
            return this;
        }

        /** Longest wait at start for another process's schema change; default {@link #DEFAULT_SCHEMA_LOCK_TIMEOUT} (30 s). */
        public Builder schemaLockTimeout(Duration value) {
            Objects.requireNonNull(value, "schemaLockTimeout");
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException("schemaLockTimeout must be positive: " + value);
            }
            this.schemaLockTimeout = value;
            return this;
        }

        /**
         * Size of the pool built from a {@link #url}; default {@value JdbcSessionStore#DEFAULT_MAX_POOL_SIZE}, at least 2 since a
         * sweep holds one connection for its lock while it deletes through another.
         */
        public Builder maxPoolSize(int value) {
            if (value < 2) {
                throw new IllegalArgumentException("maxPoolSize must be at least 2 (the sweep lock holds one connection): " + value);
            }
            this.maxPoolSize = value;
            return this;
        }

        /**
         * Connects and, per the {@link SchemaMode}, checks or creates the table. If the database cannot be reached
         * now, the store is still built and the check runs on first use (calls fail with
         * {@link SessionStoreUnavailableException} until then).
         *
         * @throws IllegalArgumentException for a bad URL or an unsupported database
         * @throws IllegalStateException if the table exists with a foreign layout, fails validation, or a pool is
         *                               needed and HikariCP or the JDBC driver is missing
         */
        public JdbcSessionStore build() {
            if ((dataSource == null) == (url == null)) {
                throw new IllegalStateException("give exactly one of dataSource(...) and url(...)");
            }
            JdbcSessionStore store;
            if (url != null) {
                DatabaseUrl parsed = url;
                if (user != null || password != null) {
                    parsed = new DatabaseUrl(parsed.database(), parsed.jdbcUrl(), user != null ? user : parsed.user(),
                            password != null ? password : parsed.password());
                }
                if (!DatabaseUrl.classPresent("com.zaxxer.hikari.HikariDataSource")) {
                    throw new IllegalStateException("building a connection pool from a URL needs HikariCP on the class path "
                            + "(com.zaxxer:HikariCP); add it, or pass your own DataSource with dataSource(...)");
                }
                if (!driverPresent(parsed)) {
                    throw new IllegalStateException(parsed.database().displayName + " URL " + parsed.masked() + " needs its "
                            + "JDBC driver on the class path: " + parsed.driverHint());
                }
                AutoCloseable pool = HikariPools.create(parsed, timeout, maxPoolSize, "cloakroom-" + table.name());
                store = new JdbcSessionStore(this, new Checkout((DataSource) pool, table.name()), pool, parsed.database(), parsed.masked());
            } else {
                Checkout checkout = new Checkout(dataSource, table.name());
                Database detected;
                try {
                    detected = database != null ? database : detect(checkout, timeout);
                } catch (RuntimeException e) {
                    checkout.close();
                    throw e;
                }
                store = new JdbcSessionStore(this, checkout, null, detected, "application DataSource");
            }
            try {
                long started = System.nanoTime();
                store.schema.ensure(started, started + store.schemaLockTimeout.toNanos());
            } catch (SessionStoreUnavailableException e) {
                LOG.warn("{} is not reachable now; the table will be checked on first use: {}", store.describe(), e.getMessage());
            } catch (RuntimeException e) {
                store.close();
                throw e;
            }
            LOG.info("session store: {}", store.describe());
            return store;
        }

        private static boolean driverPresent(DatabaseUrl url) {
            return switch (url.database()) {
                case POSTGRESQL -> DatabaseUrl.classPresent("org.postgresql.Driver");
                case MARIADB -> url.jdbcUrl().startsWith("jdbc:mysql:") ? DatabaseUrl.classPresent("com.mysql.cj.jdbc.Driver")
                        : DatabaseUrl.classPresent("org.mariadb.jdbc.Driver");
                case H2 -> DatabaseUrl.classPresent("org.h2.Driver");
            };
        }

        private static Database detect(Checkout checkout, Duration timeout) {
            try (Connection connection = checkout.connection(System.nanoTime() + timeout.toNanos())) {
                return Database.ofProductName(connection.getMetaData().getDatabaseProductName());
            } catch (SQLException e) {
                throw new SessionStoreUnavailableException("cannot reach the application DataSource to tell which database "
                        + "it is; pass database(...) to start without it: " + e.getMessage(), e);
            }
        }
    }
}
