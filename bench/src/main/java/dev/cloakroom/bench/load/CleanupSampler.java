package dev.cloakroom.bench.load;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Watches a cleanup from a connection of its own, every {@link #INTERVAL_MILLIS} ms: how long the cleanup's open
 * transaction has run ({@code pg_stat_activity.xact_start}), which locks its backends hold ({@code pg_locks} by pid)
 * and how many other backends wait on a lock. A cleanup backend is one whose current (or, idle in a transaction,
 * last) statement is a {@code DELETE} naming the contender's expiry column, or, for Cloakroom, the transaction that
 * holds its sweep lock ({@code pg_try_advisory_xact_lock}). Row locks do not show in {@code pg_locks} unless someone
 * waits on one; the rows a statement deleted come from {@code pg_stat_statements} instead.
 */
final class CleanupSampler implements AutoCloseable {
    static final long INTERVAL_MILLIS = 20;
    private static final int WAITERS_KEPT = 6;
    private static final String SAMPLE = """
            SELECT a.pid, coalesce(a.query, ''), coalesce(a.wait_event_type, ''), coalesce(a.wait_event, ''),
                   CASE WHEN a.xact_start IS NULL THEN -1
                        ELSE extract(epoch FROM clock_timestamp() - a.xact_start) * 1000 END,
                   coalesce((SELECT string_agg(l.locktype || ' ' || l.mode
                                               || coalesce(' on ' || l.relation::regclass::text, ''), '|')
                               FROM pg_locks l WHERE l.pid = a.pid AND l.granted), '')
              FROM pg_stat_activity a
             WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() AND a.backend_type = 'client backend'""";

    private final Connection sql;
    private final String expiryColumn;
    private final Thread thread;
    private volatile boolean running = true;
    private SQLException failure;

    private int samples;
    private int cleanupSamples;
    private double longestTransaction;
    private double longestLease;
    private int mostLocks;
    private final Set<String> modes = new TreeSet<>();
    private int mostWaiting;
    private int waitingSamples;
    private final Set<String> waiters = new TreeSet<>();

    /** Connects as the harness (whose backends are not counted as waiters or cleanup) and starts sampling. */
    CleanupSampler(String adminUrl, String expiryColumn) throws SQLException {
        this.sql = DriverManager.getConnection(adminUrl);
        this.expiryColumn = expiryColumn.toLowerCase(Locale.ROOT);
        this.thread = new Thread(this::loop, "cleanup sampler");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        long next = System.nanoTime();
        try (Statement s = sql.createStatement()) {
            while (running) {
                sample(s);
                next += TimeUnit.MILLISECONDS.toNanos(INTERVAL_MILLIS);
                LockSupport.parkNanos(Math.max(0, next - System.nanoTime()));
            }
        } catch (SQLException e) {
            failure = e;
        }
    }

    private void sample(Statement s) throws SQLException {
        int locks = 0;
        int waiting = 0;
        boolean cleaning = false;
        try (ResultSet rs = s.executeQuery(SAMPLE)) {
            while (rs.next()) {
                String query = rs.getString(2).strip();
                String lower = query.toLowerCase(Locale.ROOT);
                double xactMillis = rs.getDouble(5);
                boolean inTransaction = xactMillis >= 0;
                boolean delete = lower.startsWith("delete") && lower.contains(expiryColumn);
                boolean lease = lower.contains("pg_try_advisory_xact_lock");
                if (rs.getString(3).equals("Lock")) {
                    waiting++;
                    waiters.add(shorten(query) + " (waits on " + rs.getString(4) + ")");
                }
                if (!inTransaction || !(delete || lease)) {
                    continue;
                }
                cleaning = true;
                if (delete) {
                    longestTransaction = Math.max(longestTransaction, xactMillis);
                } else {
                    longestLease = Math.max(longestLease, xactMillis);
                }
                String held = rs.getString(6);
                if (!held.isEmpty()) {
                    for (String lock : held.split("\\|")) {
                        locks++;
                        modes.add((lease ? "lease: " : "delete: ") + lock);
                    }
                }
            }
        }
        samples++;
        if (cleaning) {
            cleanupSamples++;
        }
        mostLocks = Math.max(mostLocks, locks);
        mostWaiting = Math.max(mostWaiting, waiting);
        if (waiting > 0) {
            waitingSamples++;
        }
    }

    /** A statement as the report names it: its first words, parameters as they are ({@code $1}). */
    private static String shorten(String query) {
        String one = query.replaceAll("\\s+", " ");
        return one.length() <= 70 ? one : one.substring(0, 70) + "...";
    }

    /** Stops sampling and says what it saw. */
    Results.Locks stop() throws SQLException, InterruptedException {
        running = false;
        thread.join(TimeUnit.SECONDS.toMillis(10));
        if (failure != null) {
            throw failure;
        }
        List<String> kept = new ArrayList<>(waiters);
        return new Results.Locks(samples, cleanupSamples, longestTransaction, longestLease, mostLocks,
                List.copyOf(modes), mostWaiting, waitingSamples,
                kept.subList(0, Math.min(WAITERS_KEPT, kept.size())));
    }

    @Override
    public void close() throws SQLException {
        running = false;
        sql.close();
    }
}
