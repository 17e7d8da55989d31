package dev.cloakroom.jdbc;

import dev.cloakroom.SessionStoreException;
import dev.cloakroom.SessionStoreUnavailableException;
import dev.cloakroom.jdbc.JdbcSessionStore.SchemaMode;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks or creates the table once per store, before the first call that reaches the database, and again after the
 * table was found missing. Race-free across processes through {@link Schema}'s database lock; within the process,
 * calls that arrive while another thread checks wait for that check, not for one of their own after it: were each to
 * try in turn, a database that hangs would hold the n-th caller for n timeouts.
 */
final class SchemaGate {
    private static final Logger LOG = LoggerFactory.getLogger(SchemaGate.class);

    private final Calls calls;
    private final SqlErrors errors;
    private final Dialect dialect;
    private final Table table;
    private final SchemaMode mode;
    private final String description;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile boolean ready;
    /** Unavailable outcomes of checks so far (written under {@link #lock}): a caller that waited through one does not start another. */
    private volatile int failures;

    SchemaGate(Calls calls, SqlErrors errors, Dialect dialect, Table table, SchemaMode mode, String description) {
        this.calls = calls;
        this.errors = errors;
        this.dialect = dialect;
        this.table = table;
        this.mode = mode;
        this.description = description;
        this.ready = mode == SchemaMode.NONE;
    }

    /** Returns once the table is ready, checking it first if needed, all before {@code deadline} ({@link System#nanoTime()}). */
    void ensure(long startedNanos, long deadline) {
        if (ready) {
            return;
        }
        int failuresBefore = failures;
        try {
            if (!lock.tryLock(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) {
                throw new SessionStoreUnavailableException(description + ": gave up after " + millisSince(startedNanos)
                        + " ms waiting for another call's check of table " + table);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SessionStoreException(description + ": interrupted while waiting for the check of table " + table, e);
        }
        try {
            if (ready) {
                return;
            }
            if (failures != failuresBefore) {
                throw new SessionStoreUnavailableException(description + ": the check of table " + table
                        + " that this call waited for failed after " + millisSince(startedNanos) + " ms; the database is not answering");
            }
            check(startedNanos, deadline);
        } finally {
            lock.unlock();
        }
    }

    private void check(long startedNanos, long deadline) {
        try {
            calls.run(deadline, call -> {
                int lockSeconds = (int) Math.max(1, TimeUnit.NANOSECONDS.toSeconds(deadline - System.nanoTime()) - 1);
                if (mode == SchemaMode.VALIDATE) {
                    Schema.validate(call.connection(), dialect, table);
                } else {
                    Schema.create(call.connection(), dialect, table, lockSeconds);
                }
                return null;
            });
            ready = true;
        } catch (SQLException e) {
            SessionStoreException failure = errors.translate("schema check of " + table, startedNanos, e);
            if (failure instanceof SessionStoreUnavailableException) {
                failures++;
            }
            throw failure;
        }
    }

    private static long millisSince(long startedNanos) {
        return (System.nanoTime() - startedNanos) / 1_000_000;
    }

    /**
     * Tells the gate that a call failed with {@code e}: if it says the table is missing (someone dropped it under a
     * running application) and this store manages its table, the next call creates it again.
     */
    void failed(SQLException e) {
        if (mode == SchemaMode.CREATE && SqlErrors.isMissingTable(e)) {
            LOG.warn("session table {} is gone; it will be created again on the next call", table);
            ready = false;
        }
    }
}
