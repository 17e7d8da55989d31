package dev.cloakroom;

import dev.cloakroom.spi.SessionRecord;
import dev.cloakroom.spi.SessionStore;
import dev.cloakroom.spi.SessionWrite;
import dev.cloakroom.spi.SweepLease;
import dev.cloakroom.spi.WriteResult;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A circuit breaker in front of a store, which {@link SessionManager} puts around whatever store it is given: once a
 * call fails with {@link SessionStoreUnavailableException} (the store did not answer within its bound), later calls
 * fail at once with one, without touching the store, so that request threads are not held for the store's timeout
 * each while it is down. After {@link CloakroomConfig#storeRetryInterval()} one call, and only one, goes through as a
 * probe: if the store answers it (with a result or with any other failure), traffic resumes; if it is unavailable
 * again, calls fail at once for another interval.
 *
 * <p>Not an outage: a {@link SessionLimitExceededException} (the store answered that it is full), and a failure seen
 * by an interrupted thread (the caller gave up, not the store). Nor is any other {@link SessionStoreException}: a
 * constraint or a bug says nothing about whether the store answers.
 */
final class CircuitBreakingStore implements SessionStore {
    private static final Logger LOG = LoggerFactory.getLogger(CircuitBreakingStore.class);

    private final SessionStore store;
    private final Duration retryInterval;
    private final InstantSource clock;
    /** {@code null} while the store answers; read without the lock on every call, changed only under it. */
    private volatile Open open;

    /** Since when calls fail at once, when the next probe may go, what the store last failed with, and whether a probe is out. */
    private record Open(Instant since, Instant retryAt, SessionStoreUnavailableException lastFailure, boolean probing) {
    }

    CircuitBreakingStore(SessionStore store, Duration retryInterval, InstantSource clock) {
        this.store = store;
        this.retryInterval = retryInterval;
        this.clock = clock;
    }

    @Override
    public Optional<SessionRecord> load(SessionKey key) {
        return call(() -> store.load(key));
    }

    @Override
    public WriteResult write(SessionWrite write) {
        return call(() -> store.write(write));
    }

    @Override
    public WriteResult move(SessionKey from, SessionWrite write) {
        return call(() -> store.move(from, write));
    }

    @Override
    public boolean delete(SessionKey key) {
        return call(() -> store.delete(key));
    }

    @Override
    public int sweep(Instant now, int limit, Consumer<SessionRecord> deleted) {
        return call(() -> store.sweep(now, limit, deleted));
    }

    @Override
    public Optional<SweepLease> tryAcquireSweepLease(Duration ttl) {
        return call(() -> store.tryAcquireSweepLease(ttl));
    }

    @Override
    public void setSweepRequester(Runnable requestSweep) {
        store.setSweepRequester(requestSweep);
    }

    @Override
    public String describe() {
        return store.describe();
    }

    @Override
    public void close() {
        store.close();
    }

    private <T> T call(Supplier<T> call) {
        boolean probe = open != null && claimProbe();
        SessionStoreUnavailableException outage = null;
        boolean answered = false;
        try {
            T result = call.get();
            answered = true;
            return result;
        } catch (SessionStoreUnavailableException e) {
            if (isOutage(e)) {
                outage = e;
            } else {
                answered = true;
            }
            throw e;
        } catch (SessionStoreException e) {
            answered = true;
            throw e;
        } finally {
            if (outage != null) {
                failed(outage, probe);
            } else if (probe) {
                probed(answered);
            }
        }
    }

    private static boolean isOutage(SessionStoreUnavailableException e) {
        return !(e instanceof SessionLimitExceededException) && !Thread.currentThread().isInterrupted();
    }

    /**
     * Whether this call is the probe; false if the circuit closed meanwhile (the call goes through as usual).
     *
     * @throws SessionStoreUnavailableException at once, while the interval runs or another call probes
     */
    private synchronized boolean claimProbe() {
        Open state = open;
        if (state == null) {
            return false;
        }
        if (state.probing() || clock.instant().isBefore(state.retryAt())) {
            throw new SessionStoreUnavailableException("store unavailable, circuit open since " + state.since()
                    + ", last failure: " + state.lastFailure().getMessage(), state.lastFailure());
        }
        open = new Open(state.since(), state.retryAt(), state.lastFailure(), true);
        return true;
    }

    private synchronized void failed(SessionStoreUnavailableException e, boolean probe) {
        Open state = open;
        Instant now = clock.instant();
        if (state == null) {
            open = new Open(now, now.plus(retryInterval), e, false);
            LOG.warn("session store {} is unavailable; its calls now fail at once, and every {} ms one call checks "
                    + "whether it is back", store.describe(), retryInterval.toMillis(), e);
        } else if (probe) {
            open = new Open(state.since(), now.plus(retryInterval), e, false);
        } else {
            // a call that went out before the circuit opened: it tells what failed last, not when to probe
            open = new Open(state.since(), state.retryAt(), e, state.probing());
        }
    }

    /** The probe ended without an outage: closed if the store answered, else the next call probes again. */
    private synchronized void probed(boolean answered) {
        Open state = open;
        if (answered) {
            open = null;
            LOG.info("session store {} answers again, {} ms after it became unavailable; calls go through again",
                    store.describe(), Duration.between(state.since(), clock.instant()).toMillis());
        } else {
            open = new Open(state.since(), state.retryAt(), state.lastFailure(), false);
        }
    }
}
