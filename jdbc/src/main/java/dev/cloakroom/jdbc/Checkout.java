package dev.cloakroom.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransientConnectionException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes connections from a {@link DataSource} within a call's deadline, whatever the pool's own checkout timeout (an
 * application's HikariCP pool waits 30 s by default). {@code getConnection} runs on a helper thread; the caller stops
 * waiting at its deadline, and a connection that arrives after that is closed (handed back to its pool) at once. At
 * most {@link #MAX_PENDING} checkouts wait for the pool at a time, so that a pool that hangs ties up a bounded number
 * of helper threads: a further call waits for one of them to end, and fails if none has by its deadline.
 */
final class Checkout implements AutoCloseable {
    /** Checkouts that may wait for the pool at once; each holds one helper thread until its pool answers. */
    static final int MAX_PENDING = 32;

    private static final Logger LOG = LoggerFactory.getLogger(Checkout.class);
    private static final long IDLE_THREAD_KEEP_ALIVE_SECONDS = 60;

    private final DataSource dataSource;
    private final String name;
    private final Semaphore pending = new Semaphore(MAX_PENDING);
    private final ThreadPoolExecutor threads;

    Checkout(DataSource dataSource, String name) {
        this.dataSource = dataSource;
        this.name = name;
        AtomicInteger count = new AtomicInteger();
        // As many threads as checkouts may pend, so a task never waits in the queue behind a hung one.
        this.threads = new ThreadPoolExecutor(MAX_PENDING, MAX_PENDING, IDLE_THREAD_KEEP_ALIVE_SECONDS, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), runnable -> {
                    Thread thread = new Thread(runnable, "cloakroom-checkout-" + name + "-" + count.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        this.threads.allowCoreThreadTimeOut(true);
    }

    /**
     * A connection, or an exception once {@code deadline} ({@link System#nanoTime()}) has passed.
     *
     * @throws SQLTimeoutException if the pool did not answer in time, or {@link #MAX_PENDING} checkouts were still waiting
     *     for it at the deadline
     * @throws SQLTransientConnectionException if interrupted, or the store is closed
     */
    Connection connection(long deadline) throws SQLException {
        // Beyond the bound a call waits for a checkout to end, within its own deadline: on a pool that answers, a burst
        // of requests queues here for milliseconds; failing it at once would answer 503 to a busy but healthy store.
        boolean started;
        try {
            started = pending.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLTransientConnectionException("interrupted while waiting to check out a connection for " + name, e);
        }
        if (!started) {
            throw new SQLTimeoutException(MAX_PENDING + " connection checkouts of " + name
                    + " were still waiting for the pool at the call's deadline; not starting another");
        }
        CompletableFuture<Connection> arrival = new CompletableFuture<>();
        try {
            threads.execute(() -> fetch(arrival));
        } catch (RejectedExecutionException e) {
            pending.release();
            throw new SQLTransientConnectionException("the store of " + name + " is closed", e);
        }
        try {
            return arrival.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            if (arrival.cancel(false)) {
                throw new SQLTimeoutException("the pool gave no connection for " + name + " within the call's time");
            }
            return arrived(arrival); // it came just now
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (!arrival.cancel(false)) {
                closeLate(arrived(arrival));
            }
            throw new SQLTransientConnectionException("interrupted while waiting for a connection for " + name, e);
        } catch (ExecutionException e) {
            throw unwrap(e);
        }
    }

    private void fetch(CompletableFuture<Connection> arrival) {
        try {
            Connection connection = dataSource.getConnection();
            if (!arrival.complete(connection)) {
                closeLate(connection);
            }
        } catch (SQLException | RuntimeException e) {
            if (!arrival.completeExceptionally(e)) {
                LOG.debug("a checkout of {} whose call had given up failed: {}", name, e.toString());
            }
        } finally {
            pending.release();
        }
    }

    private static Connection arrived(CompletableFuture<Connection> arrival) throws SQLException {
        try {
            return arrival.getNow(null);
        } catch (CancellationException e) {
            throw new SQLTimeoutException("the checkout was given up", e);
        } catch (java.util.concurrent.CompletionException e) {
            throw unwrap(e);
        }
    }

    private static SQLException unwrap(Exception e) {
        Throwable cause = e.getCause();
        if (cause instanceof SQLException sql) {
            return sql;
        }
        if (cause instanceof RuntimeException runtime) {
            throw runtime;
        }
        return new SQLException("connection checkout failed", cause);
    }

    private void closeLate(Connection connection) {
        try {
            connection.close();
        } catch (SQLException | RuntimeException e) {
            LOG.debug("closing a connection of {} that arrived after its call gave up failed: {}", name, e.toString());
        }
    }

    /** Stops the helper threads once their checkouts end; late connections are still handed back. */
    @Override
    public void close() {
        threads.shutdown();
    }
}
