package dev.cloakroom.jdbc;

import dev.cloakroom.SessionStoreException;
import dev.cloakroom.SessionStoreUnavailableException;
import java.io.IOException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;

/**
 * What an {@link SQLException} means to the store's caller: the database is unavailable (no connection, a timeout, a
 * server shutting down: {@link SessionStoreUnavailableException}, a 503), the key is taken (a conflict the store
 * answers rather than throws), the table is gone, or any other failure ({@link SessionStoreException}).
 */
final class SqlErrors {
    private final Dialect dialect;
    private final String description;
    private final Duration timeout;

    SqlErrors(Dialect dialect, String description, Duration timeout) {
        this.dialect = dialect;
        this.description = description;
        this.timeout = timeout;
    }

    /** The exception for {@code what}, which started at {@code startedNanos} ({@link System#nanoTime()}), failing with {@code e}. */
    SessionStoreException translate(String what, long startedNanos, SQLException e) {
        long tookMillis = (System.nanoTime() - startedNanos) / 1_000_000;
        if (isUnavailable(e)) {
            return new SessionStoreUnavailableException(description + ": " + what + " failed after " + tookMillis
                    + " ms (timeout " + timeout.toMillis() + " ms): " + e.getMessage(), e);
        }
        return new SessionStoreException(description + ": " + what + " failed after " + tookMillis + " ms: " + e.getMessage(), e);
    }

    /** Whether {@code e} says the key is taken (a unique violation). */
    boolean isConflict(SQLException e) {
        return dialect.isDuplicateKey(e);
    }

    static boolean isMissingTable(SQLException e) {
        String state = e.getSQLState();
        return "42P01".equals(state) || "42S02".equals(state);
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
                // connection errors, operator intervention, too many connections, lock not available, timeouts
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
}
