package dev.cloakroom;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The breaker of one failure domain of a store (see {@link CircuitBreakingStore}): closed while calls are answered;
 * open after a call found the domain unavailable, so that later calls fail at once; after the retry interval one call,
 * and only one, goes through as a probe, which closes it if answered and keeps it open for another interval if not.
 */
final class Circuit {
    private static final Logger LOG = LoggerFactory.getLogger(Circuit.class);

    private final String name;
    private final Duration retryInterval;
    private final InstantSource clock;
    /** {@code null} while closed; read without the lock on every call, changed only under it. */
    private volatile Open open;

    /** Since when calls fail at once, when the next probe may go, what the store last failed with, and whether a probe is out. */
    private record Open(Instant since, Instant retryAt, SessionStoreUnavailableException lastFailure, boolean probing) {
    }

    Circuit(String name, Duration retryInterval, InstantSource clock) {
        this.name = name;
        this.retryInterval = retryInterval;
        this.clock = clock;
    }

    <T> T call(Supplier<T> call) {
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

    /**
     * A call that heeds the circuit but does not judge it: it fails at once while the circuit is open, and its own
     * failure, however slow, never opens it. For the sweeper, whose long batches are its own affair, not a sign that
     * requests would find the store down.
     */
    <T> T callWithoutJudging(Supplier<T> call) {
        Open state = open;
        if (state != null) {
            throw new SessionStoreUnavailableException("store unavailable, circuit open since " + state.since()
                    + ", last failure: " + state.lastFailure().getMessage(), state.lastFailure());
        }
        return call.get();
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
            LOG.warn("{} is unavailable; its calls now fail at once, and every {} ms one call checks whether it is back",
                    name, retryInterval.toMillis(), e);
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
            LOG.info("{} answers again, {} ms after it became unavailable; calls go through again",
                    name, Duration.between(state.since(), clock.instant()).toMillis());
        } else {
            open = new Open(state.since(), state.retryAt(), state.lastFailure(), false);
        }
    }
}
