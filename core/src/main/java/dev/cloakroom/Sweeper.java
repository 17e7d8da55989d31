package dev.cloakroom;

import dev.cloakroom.spi.SessionRecord;
import dev.cloakroom.spi.SessionStore;
import dev.cloakroom.spi.SweepLease;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reclaims the storage of expired sessions, off the request path. Each run first takes the store's sweep lease (so
 * one process at a time sweeps a shared store), then deletes expired records in batches of
 * {@link CloakroomConfig#sweepBatchSize()} until none are left or {@link CloakroomConfig#sweepTimeBudget()} is spent,
 * telling listeners of each record it deleted. Runs repeat every {@link CloakroomConfig#cleanupInterval()} with
 * ±25% jitter, so that an expired record is gone within 1.5 intervals of its expiry; a store may ask for a run at once.
 *
 * <p>Expiry on read does not depend on the sweeper: a session past its deadline is never served, swept or not.
 */
public final class Sweeper implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Sweeper.class);

    private final SessionStore store;
    private final SessionCodec codec;
    private final List<SessionListener> listeners;
    private final CloakroomConfig config;
    private final InstantSource clock;
    private final SessionMetrics metrics;
    private final AtomicBoolean immediateRunPending = new AtomicBoolean();
    private final Object runLock = new Object();
    private volatile ScheduledExecutorService scheduler;

    Sweeper(SessionStore store, SessionCodec codec, List<SessionListener> listeners, CloakroomConfig config, InstantSource clock,
            SessionMetrics metrics) {
        this.store = store;
        this.codec = codec;
        this.listeners = listeners;
        this.config = config;
        this.clock = clock;
        this.metrics = metrics;
    }

    synchronized void start() {
        if (scheduler != null) {
            return;
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "cloakroom-sweeper");
            thread.setDaemon(true);
            return thread;
        });
        store.setSweepRequester(this::requestRun);
        scheduleNext();
    }

    /**
     * Sweeps now, on the calling thread: what a cron job or the CLI calls.
     *
     * @return how many expired records were deleted; 0 also when another process holds the sweep lease
     */
    public int runOnce() {
        synchronized (runLock) {
            Duration budget = config.sweepTimeBudget();
            Optional<SweepLease> lease = store.tryAcquireSweepLease(budget.plus(budget));
            if (lease.isEmpty()) {
                LOG.debug("another process is sweeping {}", store.describe());
                return 0;
            }
            try (SweepLease held = lease.get()) {
                long started = System.nanoTime();
                int total = 0;
                while (true) {
                    Instant now = clock.instant();
                    int swept = store.sweep(now, config.sweepBatchSize(), this::tellListeners);
                    total += swept;
                    if (swept < config.sweepBatchSize() || System.nanoTime() - started > budget.toNanos()) {
                        break;
                    }
                }
                if (total > 0) {
                    LOG.info("swept {} expired session(s) in {} ms", total, (System.nanoTime() - started) / 1_000_000);
                }
                return total;
            }
        }
    }

    /** Asks for a run as soon as possible; requests made while one is pending are merged into it. */
    void requestRun() {
        ScheduledExecutorService current = scheduler;
        if (current != null && immediateRunPending.compareAndSet(false, true)) {
            try {
                current.execute(() -> {
                    immediateRunPending.set(false);
                    runSafely();
                });
            } catch (RejectedExecutionException e) {
                immediateRunPending.set(false); // closed meanwhile: nothing left to sweep for
            }
        }
    }

    private void tellListeners(SessionRecord record) {
        // here rather than by the batch's count: a batch that fails later has still deleted what it handed over
        metrics.sessionExpired();
        if (listeners.isEmpty()) {
            return;
        }
        Map<String, Object> attributes;
        try {
            attributes = codec.decodeAll(record.key(), record.attributes());
        } catch (SessionDecodingException e) {
            LOG.warn("expired {} could not be decoded; listeners get no attributes: {}", record.key(), e.getMessage());
            attributes = Map.of();
        }
        for (SessionListener listener : listeners) {
            SessionManager.notifyDestroyed(listener, record.key(), attributes, SessionListener.Reason.EXPIRED);
        }
    }

    private void scheduleNext() {
        ScheduledExecutorService current = scheduler;
        if (current == null) {
            return; // closed meanwhile
        }
        long intervalMillis = config.cleanupInterval().toMillis();
        long delay = (long) (intervalMillis * ThreadLocalRandom.current().nextDouble(0.75, 1.25));
        try {
            current.schedule(() -> {
                try {
                    runSafely();
                } finally {
                    // even after an Error (say, from a listener): a sweeper that stops silently leaves files forever
                    scheduleNext();
                }
            }, delay, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closed meanwhile
        }
    }

    private void runSafely() {
        try {
            runOnce();
        } catch (RuntimeException e) {
            LOG.warn("sweeping {} failed; the next run will try again: {}", store.describe(), e.toString());
        } catch (Error e) {
            LOG.error("sweeping {} failed with an error; the next run will try again", store.describe(), e);
            throw e;
        }
    }

    @Override
    public synchronized void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
            try {
                scheduler.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            scheduler = null;
        }
    }
}
