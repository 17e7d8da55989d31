package dev.cloakroom.jdbc;

import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.SessionKey;
import dev.cloakroom.spi.SessionRecord;
import dev.cloakroom.spi.SessionStore;
import dev.cloakroom.SessionStoreException;
import dev.cloakroom.SessionStoreUnavailableException;
import dev.cloakroom.spi.SessionWrite;
import dev.cloakroom.spi.SweepLease;
import dev.cloakroom.spi.WriteResult;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.function.Consumer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sessions in one table of PostgreSQL, MariaDB/MySQL or H2.
 *
 * <p>Build it from a {@link DataSource} the application already has, or from a URL (the SQLAlchemy form
 * {@code postgresql://user:pass@host:5432/db}, {@code mysql://...}, or any supported {@code jdbc:} URL), for which it
 * builds its own HikariCP pool (HikariCP must then be on the class path). The table (default {@value #DEFAULT_TABLE})
 * is created or upgraded at start unless {@link SchemaMode} says otherwise; {@link #ddl} prints its DDL.
 *
 * <p>Cost per request, on PostgreSQL: a load is one {@code SELECT}; a change is one {@code UPDATE} that merges the
 * attribute deltas in the database ({@code jsonb} operators), so concurrent requests never lose each other's
 * attributes; a create is one {@code INSERT ... ON CONFLICT DO NOTHING}. A versioned write that fails costs one more
 * cheap {@code SELECT} to tell {@link WriteResult#CONFLICT} from {@link WriteResult#GONE}. No write ever recreates a
 * row that is gone. Times stored are those the {@link SessionWrite} carries (the manager's clock), never the database's.
 *
 * <p>Every call is bounded by one timeout (default {@link CloakroomConfig#DEFAULT_STORE_TIMEOUT}) covering connection
 * checkout, network reads and the statement; past it the call throws {@link SessionStoreUnavailableException}. With
 * an application {@link DataSource} the checkout is bounded by that pool's own timeout.
 *
 * <p>Sweeping deletes expired rows in batches ({@code DELETE ... RETURNING} with {@code FOR UPDATE SKIP LOCKED} on
 * PostgreSQL) under a database lock (PostgreSQL advisory lock, MariaDB {@code GET_LOCK}), so one process sweeps at a
 * time and requests are never blocked by it. Thread-safe.
 */
public final class JdbcSessionStore implements SessionStore {
    /** {@code SESSION_SQLALCHEMY_TABLE} / {@code SESSION_JDBC_TABLE}'s default. */
    public static final String DEFAULT_TABLE = "sessions";
    /** Connections of the pool built from a URL. */
    public static final int DEFAULT_MAX_POOL_SIZE = 10;
    /** Longest wait for another process's schema change at start (the store timeout applies if it is longer). */
    public static final Duration DEFAULT_SCHEMA_LOCK_TIMEOUT = Duration.ofSeconds(30);

    private static final Logger LOG = LoggerFactory.getLogger(JdbcSessionStore.class);
    private static final Executor DIRECT = Runnable::run;
    private static final String COLUMNS = "session_key, data, created_at, last_accessed_at, max_inactive_ms, expires_at, version";
    private static final String LOAD = "SELECT " + COLUMNS + " FROM %1$s WHERE session_key = ?";
    private static final String DELETE = "DELETE FROM %1$s WHERE session_key = ?";
    private static final String DELETE_VERSION = "DELETE FROM %1$s WHERE session_key = ? AND version = ?";
    private static final String ALIVE = "SELECT version FROM %1$s WHERE session_key = ? AND expires_at > ?";
    private static final String LOCK_ROW = "SELECT data, version FROM %1$s WHERE session_key = ? AND expires_at > ? FOR UPDATE";
    private static final String REPLACE = """
            UPDATE %1$s SET data = ?, last_accessed_at = ?, max_inactive_ms = ?, expires_at = ?, version = version + 1
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

    private final DataSource dataSource;
    private final AutoCloseable ownedPool;
    private final Dialect dialect;
    private final Table table;
    private final Duration timeout;
    private final SchemaMode schemaMode;
    private final Duration schemaLockTimeout;
    private final String description;
    private final String load;
    private final String delete;
    private final String deleteVersion;
    private final String alive;
    private final String lockRow;
    private final String replace;
    private final String insert;
    private final String mergeAny;
    private final String mergeVersioned;
    private final String sweepReturning;
    private final String sweepSelect;
    private final ReentrantLock schemaLock = new ReentrantLock();
    private volatile boolean schemaReady;
    /** Unavailable outcomes of table checks so far: a caller that waited through one does not start another. */
    private volatile int schemaCheckFailures;
    private volatile boolean networkTimeoutSupported = true;

    private JdbcSessionStore(Builder b, DataSource dataSource, AutoCloseable ownedPool, Database database, String where) {
        this.dataSource = dataSource;
        this.ownedPool = ownedPool;
        this.dialect = Dialect.of(database);
        this.table = b.table;
        this.timeout = b.timeout;
        this.schemaMode = b.schemaMode;
        this.schemaLockTimeout = b.schemaLockTimeout.compareTo(b.timeout) < 0 ? b.timeout : b.schemaLockTimeout;
        this.description = database.displayName + " table " + table + " at " + where + " (timeout " + timeout.toMillis()
                + " ms, schema " + schemaMode + ")";
        String t = table.sql();
        this.load = LOAD.formatted(t);
        this.delete = DELETE.formatted(t);
        this.deleteVersion = DELETE_VERSION.formatted(t);
        this.alive = ALIVE.formatted(t);
        this.lockRow = LOCK_ROW.formatted(t);
        this.replace = REPLACE.formatted(t);
        this.insert = dialect.insert(table);
        this.mergeAny = dialect.merge(table, false);
        this.mergeVersioned = dialect.merge(table, true);
        this.sweepReturning = dialect.sweepReturning(table);
        this.sweepSelect = dialect.sweepSelect(table);
        this.schemaReady = schemaMode == SchemaMode.NONE;
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

    /**
     * Prints the DDL: {@code java -cp cloakroom-core.jar:cloakroom-jdbc.jar dev.cloakroom.jdbc.JdbcSessionStore
     * postgresql [table]}.
     */
    public static void main(String[] args) {
        try {
            if (args.length < 1 || args.length > 2) {
                throw new IllegalArgumentException("expected 1 or 2 arguments, got " + args.length);
            }
            Database database = Database.valueOf(args[0].toUpperCase(Locale.ROOT));
            System.out.print(ddl(database, args.length > 1 ? args[1] : DEFAULT_TABLE));
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println("usage: JdbcSessionStore <postgresql|mariadb|h2> [table, default " + DEFAULT_TABLE + "]");
            System.exit(2);
        }
    }

    // ---- SessionStore ----

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
        return run("write of " + write.key(), call -> {
            if (write.create()) {
                return insert(call, write);
            }
            if (mergeAny != null) {
                return merge(call, write);
            }
            return readModifyWrite(call, write);
        });
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

    @Override
    public int sweep(Instant now, int limit, Consumer<SessionRecord> deleted) {
        List<SessionRecord> swept = sweepBatch(now, limit);
        swept.forEach(deleted);
        return swept.size();
    }

    private List<SessionRecord> sweepBatch(Instant now, int limit) {
        Objects.requireNonNull(now, "now");
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be positive: " + limit);
        }
        return run("sweep", call -> sweepReturning != null ? sweepInOneStatement(call, now, limit) : sweepInTransaction(call, now, limit));
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
        long deadline = System.nanoTime() + timeout.toNanos();
        ensureSchema(deadline);
        Call call = null;
        try {
            call = Call.open(this, deadline);
            if (dialect.transactionalLocks()) {
                call.begin();
            }
            if (!dialect.tryLockSweep(call.connection, table, ttl)) {
                call.close();
                return Optional.empty();
            }
            Call held = call;
            return Optional.of(() -> releaseLease(held));
        } catch (SQLException e) {
            if (call != null) {
                call.abort();
            }
            throw translate("sweep lock", e);
        }
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public void close() {
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

    // ---- the statements ----

    private WriteResult insert(Call call, SessionWrite write) throws SQLException {
        try (PreparedStatement statement = call.prepare(insert)) {
            statement.setString(1, write.key().value());
            statement.setString(2, DataColumn.encode(write.upserts()));
            statement.setObject(3, dialect.timestamp(micros(write.createdAt())));
            statement.setObject(4, dialect.timestamp(micros(write.lastAccessedAt())));
            statement.setLong(5, write.maxInactiveInterval().toMillis());
            statement.setObject(6, dialect.timestamp(micros(write.expiresAt())));
            return statement.executeUpdate() == 1 ? WriteResult.WRITTEN : WriteResult.CONFLICT;
        } catch (SQLException e) {
            if (dialect.isDuplicateKey(e)) {
                return WriteResult.CONFLICT;
            }
            throw e;
        }
    }

    private WriteResult merge(Call call, SessionWrite write) throws SQLException {
        boolean versioned = write.expectedVersion() != SessionWrite.ANY_VERSION;
        int updated;
        try (PreparedStatement statement = call.prepare(versioned ? mergeVersioned : mergeAny)) {
            int i = dialect.bindDelta(statement, call.connection, write);
            statement.setObject(i++, dialect.timestamp(micros(write.lastAccessedAt())));
            statement.setLong(i++, write.maxInactiveInterval().toMillis());
            statement.setObject(i++, dialect.timestamp(micros(write.expiresAt())));
            statement.setString(i++, write.key().value());
            statement.setObject(i++, dialect.timestamp(micros(write.now())));
            if (versioned) {
                statement.setLong(i, write.expectedVersion());
            }
            updated = statement.executeUpdate();
        }
        if (updated > 0) {
            return WriteResult.WRITTEN;
        }
        if (!versioned) {
            return WriteResult.GONE;
        }
        // Only a versioned write that failed pays for this: a live row means the version moved on.
        try (PreparedStatement statement = call.prepare(alive)) {
            statement.setString(1, write.key().value());
            statement.setObject(2, dialect.timestamp(micros(write.now())));
            try (ResultSet rs = statement.executeQuery()) {
                return rs.next() ? WriteResult.CONFLICT : WriteResult.GONE;
            }
        }
    }

    /** For dialects without JSON operators: the row is locked from read to write, so the merge is still atomic. */
    private WriteResult readModifyWrite(Call call, SessionWrite write) throws SQLException {
        call.begin();
        Map<String, String> attributes;
        try (PreparedStatement statement = call.prepare(lockRow)) {
            statement.setString(1, write.key().value());
            statement.setObject(2, dialect.timestamp(micros(write.now())));
            try (ResultSet rs = statement.executeQuery()) {
                if (!rs.next()) {
                    return WriteResult.GONE;
                }
                long version = rs.getLong(2);
                if (write.expectedVersion() != SessionWrite.ANY_VERSION && write.expectedVersion() != version) {
                    return WriteResult.CONFLICT;
                }
                try {
                    attributes = new HashMap<>(DataColumn.decode(rs.getString(1)));
                } catch (IllegalArgumentException e) {
                    throw new SQLException("stored data of " + write.key() + " is unreadable: " + e.getMessage(), "22000");
                }
            }
        }
        attributes.keySet().removeAll(write.removals());
        attributes.putAll(write.upserts());
        try (PreparedStatement statement = call.prepare(replace)) {
            statement.setString(1, DataColumn.encode(attributes));
            statement.setObject(2, dialect.timestamp(micros(write.lastAccessedAt())));
            statement.setLong(3, write.maxInactiveInterval().toMillis());
            statement.setObject(4, dialect.timestamp(micros(write.expiresAt())));
            statement.setString(5, write.key().value());
            statement.executeUpdate();
        }
        call.commit();
        return WriteResult.WRITTEN;
    }

    private List<SessionRecord> sweepInOneStatement(Call call, Instant now, int limit) throws SQLException {
        try (PreparedStatement statement = call.prepare(sweepReturning)) {
            Object at = dialect.timestamp(micros(now));
            statement.setObject(1, at);
            statement.setInt(2, limit);
            statement.setObject(3, at);
            try (ResultSet rs = statement.executeQuery()) {
                return readSwept(rs);
            }
        }
    }

    private List<SessionRecord> sweepInTransaction(Call call, Instant now, int limit) throws SQLException {
        call.begin();
        List<String> keys = new ArrayList<>();
        List<SessionRecord> records;
        try (PreparedStatement statement = call.prepare(sweepSelect)) {
            statement.setObject(1, dialect.timestamp(micros(now)));
            statement.setInt(2, limit);
            try (ResultSet rs = statement.executeQuery()) {
                records = new ArrayList<>();
                while (rs.next()) {
                    keys.add(rs.getString(1));
                    Row row = readRow(rs);
                    if (row.record() != null) {
                        records.add(row.record());
                    }
                }
            }
        }
        for (int from = 0; from < keys.size(); from += 500) {
            List<String> chunk = keys.subList(from, Math.min(keys.size(), from + 500));
            String sql = DELETE_KEYS.formatted(table.sql(), String.join(",", java.util.Collections.nCopies(chunk.size(), "?")));
            try (PreparedStatement statement = call.prepare(sql)) {
                for (int i = 0; i < chunk.size(); i++) {
                    statement.setString(i + 1, chunk.get(i));
                }
                statement.executeUpdate();
            }
        }
        call.commit();
        return records;
    }

    private List<SessionRecord> readSwept(ResultSet rs) throws SQLException {
        List<SessionRecord> records = new ArrayList<>();
        while (rs.next()) {
            Row row = readRow(rs);
            if (row.record() != null) {
                records.add(row.record());
            }
        }
        return records;
    }

    private void releaseLease(Call call) {
        try {
            dialect.unlockSweep(call.connection, table);
            call.close();
        } catch (SQLException | RuntimeException e) {
            // The lock must not stay with a pooled connection: drop the connection so the database releases it.
            LOG.warn("releasing the sweep lock of {} failed; dropping its connection so the database frees it: {}", table, e.toString());
            call.abort();
        }
    }

    /** A row as read: the record, or why there is none (an odd row this store did not write). */
    private record Row(SessionRecord record, long version, String problem) {
    }

    private Row readRow(ResultSet rs) throws SQLException {
        long version = 0;
        try {
            version = rs.getLong(7);
            SessionKey key = new SessionKey(rs.getString(1));
            Map<String, String> attributes = DataColumn.decode(rs.getString(2));
            Instant createdAt = dialect.instant(rs, 3);
            Instant lastAccessedAt = dialect.instant(rs, 4);
            Duration maxInactive = Duration.ofMillis(rs.getLong(5));
            Instant expiresAt = dialect.instant(rs, 6);
            return new Row(new SessionRecord(key, attributes, createdAt, lastAccessedAt, maxInactive, expiresAt, version), version, null);
        } catch (RuntimeException e) {
            return new Row(null, version, e.getMessage());
        }
    }

    /** Timestamps are kept to the microsecond (PostgreSQL's and MariaDB's precision), always truncated the same way. */
    private static Instant micros(Instant instant) {
        return instant.truncatedTo(ChronoUnit.MICROS);
    }

    // ---- calls, timeouts, errors ----

    @FunctionalInterface
    private interface Work<T> {
        T run(Call call) throws SQLException;
    }

    private <T> T run(String what, Work<T> work) {
        long deadline = System.nanoTime() + timeout.toNanos();
        ensureSchema(deadline);
        Call call = null;
        try {
            call = Call.open(this, deadline);
            T result = work.run(call);
            call.finish();
            return result;
        } catch (SQLException e) {
            if (call != null) {
                call.abort();
                call = null;
            }
            if (schemaMode == SchemaMode.CREATE && isMissingTable(e)) {
                // Someone dropped the table under a running application: the next call creates it again.
                LOG.warn("session table {} is gone; it will be created again on the next call", table);
                schemaReady = false;
            }
            throw translate(what, e);
        } catch (RuntimeException e) {
            if (call != null) {
                call.abort();
                call = null;
            }
            throw e;
        } finally {
            if (call != null) {
                call.closeQuietly();
            }
        }
    }

    private static boolean isMissingTable(SQLException e) {
        String state = e.getSQLState();
        return "42P01".equals(state) || "42S02".equals(state);
    }

    /**
     * Checks or creates the table once, all within {@code deadline} (a call's own, or the schema lock timeout at start).
     * Calls that arrive while another thread checks wait for that check, not for one of their own after it: were each
     * to try in turn, a database that hangs would hold the n-th caller for n timeouts.
     */
    private void ensureSchema(long deadline) {
        if (schemaReady) {
            return;
        }
        int failuresBefore = schemaCheckFailures;
        try {
            if (!schemaLock.tryLock(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) {
                throw new SessionStoreUnavailableException(description + ": the check of table " + table
                        + " did not finish within " + timeout.toMillis() + " ms");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SessionStoreException(description + ": interrupted while waiting for the check of table " + table, e);
        }
        try {
            if (schemaReady) {
                return;
            }
            if (schemaCheckFailures != failuresBefore) {
                throw new SessionStoreUnavailableException(description + ": the check of table " + table
                        + " failed just now; the database is not answering");
            }
            Call call = null;
            try {
                call = Call.open(this, deadline);
                int lockSeconds = (int) Math.max(1, TimeUnit.NANOSECONDS.toSeconds(deadline - System.nanoTime()) - 1);
                if (schemaMode == SchemaMode.VALIDATE) {
                    Schema.validate(call.connection, dialect, table);
                } else {
                    Schema.create(call.connection, dialect, table, lockSeconds);
                }
                call.finish();
                schemaReady = true;
            } catch (SQLException e) {
                if (call != null) {
                    call.abort();
                    call = null;
                }
                SessionStoreException failure = translate("schema check of " + table, e);
                if (failure instanceof SessionStoreUnavailableException) {
                    schemaCheckFailures++; // written under schemaLock only
                }
                throw failure;
            } finally {
                if (call != null) {
                    call.closeQuietly();
                }
            }
        } finally {
            schemaLock.unlock();
        }
    }

    private SessionStoreException translate(String what, SQLException e) {
        if (isUnavailable(e)) {
            return new SessionStoreUnavailableException(description + ": " + what + " failed within " + timeout.toMillis()
                    + " ms: " + e.getMessage(), e);
        }
        return new SessionStoreException(description + ": " + what + " failed: " + e.getMessage(), e);
    }

    static boolean isUnavailable(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLTransientConnectionException || t instanceof SQLTimeoutException
                    || t instanceof SQLNonTransientConnectionException || t instanceof SQLRecoverableException
                    || t instanceof IOException) {
                return true;
            }
            if (t instanceof SQLException sql) {
                String state = sql.getSQLState();
                if (state != null && (state.startsWith("08") || state.startsWith("57") || state.equals("53300")
                        || state.equals("55P03") || state.equals("HYT00") || state.equals("70100"))) {
                    return true;
                }
                // MariaDB lock wait timeout / statement time exceeded; H2 lock timeout
                int code = sql.getErrorCode();
                if ((code == 1205 || code == 1969 || code == 50200) && !(state != null && state.startsWith("23"))) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * One connection for one store call, with the call's deadline applied to the network reads and every statement,
     * and the connection's own settings put back before it returns to the pool.
     */
    private static final class Call implements AutoCloseable {
        private final JdbcSessionStore store;
        private final Connection connection;
        private final long deadline;
        private final boolean appTransaction;
        private int networkTimeoutBefore = -1;
        private int statements;
        private boolean inTransaction;

        private Call(JdbcSessionStore store, Connection connection, long deadline) throws SQLException {
            this.store = store;
            this.connection = connection;
            this.deadline = deadline;
            this.appTransaction = !connection.getAutoCommit();
        }

        static Call open(JdbcSessionStore store, long deadline) throws SQLException {
            if (deadline - System.nanoTime() <= 0) {
                throw new SQLTimeoutException("no time left for the call");
            }
            Connection connection = store.dataSource.getConnection();
            Call call;
            try {
                call = new Call(store, connection, deadline);
                call.boundNetwork();
            } catch (SQLException | RuntimeException e) {
                try {
                    connection.close();
                } catch (SQLException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
            return call;
        }

        private long remainingMillis() throws SQLTimeoutException {
            long remaining = (deadline - System.nanoTime()) / 1_000_000;
            if (remaining <= 0) {
                throw new SQLTimeoutException("no time left for the call");
            }
            return remaining;
        }

        private void boundNetwork() throws SQLException {
            long remaining = remainingMillis();
            if (!store.networkTimeoutSupported) {
                return;
            }
            try {
                int before = connection.getNetworkTimeout();
                connection.setNetworkTimeout(DIRECT, (int) Math.min(Integer.MAX_VALUE, remaining));
                networkTimeoutBefore = before;
            } catch (SQLFeatureNotSupportedException | UnsupportedOperationException | AbstractMethodError e) {
                store.networkTimeoutSupported = false;
            }
        }

        PreparedStatement prepare(String sql) throws SQLException {
            long remaining = remainingMillis();
            if (networkTimeoutBefore >= 0 && statements++ > 0) {
                // The network timeout bounds each read, not the call: a later statement gets only what is left.
                connection.setNetworkTimeout(DIRECT, (int) Math.min(Integer.MAX_VALUE, remaining));
            }
            PreparedStatement statement = connection.prepareStatement(sql);
            try {
                // Where the network timeout bounds the call, the query timeout stays a second behind it: pgjdbc's
                // client-side cancel opens a new connection and the statement waits for it, which must never happen
                // against a database that hangs. Embedded H2 has only the query timeout.
                int seconds = (int) Math.max(1, (remaining + 999) / 1000);
                statement.setQueryTimeout(networkTimeoutBefore >= 0 ? seconds + 1 : seconds);
            } catch (SQLException e) {
                statement.close();
                throw e;
            }
            return statement;
        }

        void begin() throws SQLException {
            if (!appTransaction && !inTransaction) {
                connection.setAutoCommit(false);
            }
            inTransaction = true;
        }

        void commit() throws SQLException {
            if (inTransaction) {
                endTransaction(true);
            }
        }

        /** Ends the call successfully: what a transaction did not commit (a GONE or CONFLICT answer) is rolled back. */
        void finish() throws SQLException {
            if (inTransaction) {
                endTransaction(false);
            } else if (appTransaction) {
                connection.commit();
            }
        }

        /** Ends the transaction {@link #begin} opened and gives the connection back its autocommit. */
        private void endTransaction(boolean keep) throws SQLException {
            if (keep) {
                connection.commit();
            } else {
                connection.rollback();
            }
            if (!appTransaction) {
                connection.setAutoCommit(true);
            }
            inTransaction = false;
        }

        /** Returns the connection; a transaction still open (a lock-only one, or an answer without a write) is rolled back. */
        @Override
        public void close() throws SQLException {
            try {
                if (inTransaction) {
                    endTransaction(false);
                }
                if (networkTimeoutBefore >= 0) {
                    connection.setNetworkTimeout(DIRECT, networkTimeoutBefore);
                }
            } finally {
                connection.close();
            }
        }

        void closeQuietly() {
            try {
                close();
            } catch (SQLException e) {
                LOG.debug("closing a connection of {} failed: {}", store.table, e.toString());
            }
        }

        /** After a failure: roll back if possible, and never hand a connection in an unknown state back to the pool. */
        void abort() {
            try {
                if (inTransaction || appTransaction) {
                    connection.rollback();
                }
                if (inTransaction && !appTransaction) {
                    connection.setAutoCommit(true);
                }
                inTransaction = false;
                if (networkTimeoutBefore >= 0) {
                    connection.setNetworkTimeout(DIRECT, networkTimeoutBefore);
                }
                connection.close();
            } catch (SQLException | RuntimeException e) {
                try {
                    connection.abort(DIRECT);
                } catch (SQLException | RuntimeException ignored) {
                    LOG.debug("aborting a connection of {} failed: {}", store.table, ignored.toString());
                }
                try {
                    connection.close();
                } catch (SQLException ignored) {
                    // aborted already
                }
            }
        }
    }

    /** Settings of a {@link JdbcSessionStore}; {@link #build()} validates them, connects and checks the table. */
    public static final class Builder {
        private DataSource dataSource;
        private String url;
        private String user;
        private String password;
        private Database database;
        private Table table = Table.parse(DEFAULT_TABLE);
        private SchemaMode schemaMode = SchemaMode.CREATE;
        private Duration timeout = CloakroomConfig.DEFAULT_STORE_TIMEOUT;
        private Duration schemaLockTimeout = DEFAULT_SCHEMA_LOCK_TIMEOUT;
        private int maxPoolSize = DEFAULT_MAX_POOL_SIZE;

        private Builder() {
        }

        /** The application's own pool; the store never closes it. */
        public Builder dataSource(DataSource value) { this.dataSource = Objects.requireNonNull(value, "dataSource"); return this; }

        /**
         * Where the database is: {@code postgresql://user:pass@host:5432/db} (SQLAlchemy's form), {@code mysql://...},
         * {@code mariadb://...}, or a {@code jdbc:postgresql:}, {@code jdbc:mariadb:}, {@code jdbc:mysql:},
         * {@code jdbc:h2:} URL. The store builds a HikariCP pool for it and closes the pool on {@link #close()}.
         */
        public Builder url(String value) { this.url = Objects.requireNonNull(value, "url"); return this; }

        /** Credentials for a {@code jdbc:} URL; the SQLAlchemy form carries its own. */
        public Builder credentials(String user, String password) { this.user = user; this.password = password; return this; }

        /** The database behind a {@link #dataSource}, when it should not be detected at start. */
        public Builder database(Database value) { this.database = Objects.requireNonNull(value, "database"); return this; }

        /** The table, optionally schema-qualified ({@code app.sessions}); plain identifiers only. Default {@value JdbcSessionStore#DEFAULT_TABLE}. */
        public Builder table(String value) { this.table = Table.parse(value); return this; }

        /** Default {@link SchemaMode#CREATE}. */
        public Builder schemaMode(SchemaMode value) { this.schemaMode = Objects.requireNonNull(value, "schemaMode"); return this; }

        /** Bound on every call (connect, network reads, statement); default {@link CloakroomConfig#DEFAULT_STORE_TIMEOUT}. */
        public Builder timeout(Duration value) {
            Objects.requireNonNull(value, "timeout");
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException("timeout must be positive: " + value);
            }
            this.timeout = value;
            return this;
        }

        /** Longest wait at start for another process's schema change; default {@link #DEFAULT_SCHEMA_LOCK_TIMEOUT}. */
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
                DatabaseUrl parsed = DatabaseUrl.parse(url);
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
                store = new JdbcSessionStore(this, (DataSource) pool, pool, parsed.database(), parsed.masked());
            } else {
                Database detected = database != null ? database : detect(dataSource);
                store = new JdbcSessionStore(this, dataSource, null, detected, "application DataSource");
            }
            try {
                store.ensureSchema(System.nanoTime() + store.schemaLockTimeout.toNanos());
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

        private static Database detect(DataSource dataSource) {
            try (Connection connection = dataSource.getConnection()) {
                return Database.ofProductName(connection.getMetaData().getDatabaseProductName());
            } catch (SQLException e) {
                throw new SessionStoreUnavailableException("cannot reach the application DataSource to tell which database "
                        + "it is; pass database(...) to start without it: " + e.getMessage(), e);
            }
        }
    }

}
