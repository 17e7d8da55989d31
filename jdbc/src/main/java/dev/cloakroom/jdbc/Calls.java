package dev.cloakroom.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLTimeoutException;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Store calls bounded by a deadline: the connection checkout ({@link Checkout}), the network reads (the connection's
 * network timeout, set to what the call has left before each statement) and every statement (its query timeout); a
 * transaction where a call needs one; and the connection's own settings put back before it returns to the pool.
 */
final class Calls implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Calls.class);
    private static final Executor DIRECT = Runnable::run;

    /** What a call does with its connection. */
    @FunctionalInterface
    interface Work<T> {
        T run(Call call) throws SQLException;
    }

    private final Checkout checkout;
    private final String name;
    private volatile boolean networkTimeoutSupported = true;

    Calls(Checkout checkout, String name) {
        this.checkout = checkout;
        this.name = name;
    }

    /**
     * Runs {@code work} on a connection of its own and ends the call: commits what an application's non-autocommit
     * connection did, rolls back a transaction the work left open; after a failure the connection is rolled back and
     * never handed back in an unknown state.
     */
    <T> T run(long deadline, Work<T> work) throws SQLException {
        Call call = open(deadline);
        T result;
        try {
            result = work.run(call);
            call.finish();
        } catch (SQLException | RuntimeException e) {
            call.abort();
            throw e;
        }
        call.closeQuietly();
        return result;
    }

    /** A connection for one call, bounded by {@code deadline}; the caller closes it (or aborts it after a failure). */
    Call open(long deadline) throws SQLException {
        if (deadline - System.nanoTime() <= 0) {
            throw new SQLTimeoutException("no time left for the call");
        }
        Connection connection = checkout.connection(deadline);
        try {
            Call call = new Call(connection, deadline);
            call.boundNetwork();
            return call;
        } catch (SQLException | RuntimeException e) {
            try {
                connection.close();
            } catch (SQLException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    @Override
    public void close() {
        checkout.close();
    }

    /** One connection for one store call, with the call's deadline applied to its network reads and every statement. */
    final class Call implements AutoCloseable {
        private final Connection connection;
        private final long deadline;
        private final boolean appTransaction;
        private int networkTimeoutBefore = -1;
        private int statements;
        private boolean inTransaction;

        private Call(Connection connection, long deadline) throws SQLException {
            this.connection = connection;
            this.deadline = deadline;
            this.appTransaction = !connection.getAutoCommit();
        }

        Connection connection() {
            return connection;
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
            if (!networkTimeoutSupported) {
                return;
            }
            try {
                int before = connection.getNetworkTimeout();
                connection.setNetworkTimeout(DIRECT, (int) Math.min(Integer.MAX_VALUE, remaining));
                networkTimeoutBefore = before;
            } catch (SQLFeatureNotSupportedException | UnsupportedOperationException | AbstractMethodError e) {
                networkTimeoutSupported = false;
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

        /**
         * Undoes what the call did so far, after a statement failed in a way the call answers rather than throws (a
         * taken key): PostgreSQL refuses every later statement of a transaction that saw an error.
         */
        void rollback() throws SQLException {
            if (inTransaction) {
                endTransaction(false);
            } else if (appTransaction) {
                connection.rollback();
            }
        }

        /** Ends the call successfully: what a transaction did not commit (a GONE or CONFLICT answer) is rolled back. */
        private void finish() throws SQLException {
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

        /** Returns the connection after the call's work is done and its answer certain: a failure here loses nothing. */
        void closeQuietly() {
            try {
                close();
            } catch (SQLException e) {
                LOG.debug("closing a connection of {} failed: {}", name, e.toString());
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
                LOG.debug("a failed connection of {} could not be reset ({}); aborting it", name, e.toString());
                try {
                    connection.abort(DIRECT);
                } catch (SQLException | RuntimeException ignored) {
                    LOG.debug("aborting a connection of {} failed: {}", name, ignored.toString());
                }
                try {
                    connection.close();
                } catch (SQLException ignored) {
                    LOG.debug("closing an aborted connection of {} failed: {}", name, ignored.toString());
                }
            }
        }
    }
}
