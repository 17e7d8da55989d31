package dev.cloakroom;

import dev.cloakroom.SessionMetrics.StoreError;
import dev.cloakroom.SessionMetrics.StoreOperation;
import dev.cloakroom.spi.RecordPage;
import dev.cloakroom.spi.RecordSummary;
import dev.cloakroom.spi.SessionRecord;
import dev.cloakroom.spi.SessionStore;
import dev.cloakroom.spi.SessionWrite;
import dev.cloakroom.spi.SweepLease;
import dev.cloakroom.spi.WriteResult;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A circuit breaker in front of a store, which {@link SessionManager} puts around whatever store it is given: once a
 * call fails with {@link SessionStoreUnavailableException} (the store did not answer within its bound), later calls
 * fail at once with one, without touching the store, so that request threads are not held for the store's timeout
 * each while it is down. After {@link CloakroomConfig#storeRetryInterval()} one call, and only one, goes through as a
 * probe: if the store answers it (with a result or with any other failure), traffic resumes; if it is unavailable
 * again, calls fail at once for another interval.
 *
 * <p>There is one {@link Circuit} per {@link SessionStore#failureDomain failure domain}: on Redis Cluster a hung master
 * fails fast for the sessions it holds while the others are served. Calls that concern no one key go through the
 * circuit of {@link SessionStore#WHOLE_STORE}, which on a store up or down as a whole is the one circuit of every
 * call. The sweeper's calls (sweeps, the sweep lease) heed that circuit, failing at once while it is open, but never
 * open it: a sweep batch that outlasts the store timeout on a big table must not answer live requests with 503.
 *
 * <p>Not an outage: a {@link SessionLimitExceededException} (the store answered that it is full), and a failure seen
 * by an interrupted thread (the caller gave up, not the store). Nor is any other {@link SessionStoreException}: a
 * constraint or a bug says nothing about whether the store answers.
 *
 * <p>Being the one place every store call passes, it also reports each call's latency and failures to the
 * {@link SessionMetrics}, whichever store it is.
 */
final class CircuitBreakingStore implements SessionStore {
    private final SessionStore store;
    private final Duration retryInterval;
    private final InstantSource clock;
    private final SessionMetrics metrics;
    private final Map<Object, Circuit> circuits = new ConcurrentHashMap<>();

    CircuitBreakingStore(SessionStore store, Duration retryInterval, InstantSource clock, SessionMetrics metrics) {
        this.store = store;
        this.retryInterval = retryInterval;
        this.clock = clock;
        this.metrics = metrics;
    }

    @Override
    public Optional<SessionRecord> load(SessionKey key) {
        return call(store.failureDomain(key), StoreOperation.LOAD, () -> store.load(key));
    }

    @Override
    public WriteResult write(SessionWrite write) {
        return call(store.failureDomain(write.key()), StoreOperation.WRITE, () -> store.write(write));
    }

    /** Judged by the old key's domain: that is where the record is read, and where a failing move leaves it. */
    @Override
    public WriteResult move(SessionKey from, SessionWrite write) {
        return call(store.failureDomain(from), StoreOperation.MOVE, () -> store.move(from, write));
    }

    @Override
    public boolean delete(SessionKey key) {
        return call(store.failureDomain(key), StoreOperation.DELETE, () -> store.delete(key));
    }

    @Override
    public RecordPage list(String cursor, int limit) {
        return call(WHOLE_STORE, StoreOperation.LIST, () -> store.list(cursor, limit));
    }

    /** Through the whole store's circuit: a principal's sessions may live on every part of it. */
    @Override
    public List<RecordSummary> findByPrincipal(String principal, int limit) {
        return call(WHOLE_STORE, StoreOperation.FIND_BY_PRINCIPAL, () -> store.findByPrincipal(principal, limit));
    }

    @Override
    public int sweep(Instant now, int limit, Consumer<SessionRecord> deleted) {
        return call(WHOLE_STORE, StoreOperation.SWEEP, false, () -> store.sweep(now, limit, deleted));
    }

    @Override
    public Optional<SweepLease> tryAcquireSweepLease(Duration ttl) {
        return call(WHOLE_STORE, StoreOperation.SWEEP_LEASE, false, () -> store.tryAcquireSweepLease(ttl));
    }

    @Override
    public Object failureDomain(SessionKey key) {
        return store.failureDomain(key);
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

    private <T> T call(Object domain, StoreOperation operation, Supplier<T> call) {
        return call(domain, operation, true, call);
    }

    /**
     * The call through the domain's circuit, timed if it reached the store; an unavailable failure that did not reach
     * it came from the open circuit. Only a call that {@code judges} may open the circuit.
     */
    private <T> T call(Object domain, StoreOperation operation, boolean judges, Supplier<T> call) {
        boolean[] reached = new boolean[1];
        Supplier<T> timed = () -> {
            reached[0] = true;
            long started = System.nanoTime();
            try {
                return call.get();
            } finally {
                metrics.storeCall(operation, Duration.ofNanos(System.nanoTime() - started));
            }
        };
        try {
            Circuit circuit = circuitOf(domain);
            return judges ? circuit.call(timed) : circuit.callWithoutJudging(timed);
        } catch (SessionLimitExceededException e) {
            // an answer (the store is full), not an outage, though it is a SessionStoreUnavailableException
            metrics.storeError(operation, StoreError.OTHER);
            throw e;
        } catch (SessionStoreUnavailableException e) {
            metrics.storeError(operation, reached[0] ? StoreError.UNAVAILABLE : StoreError.CIRCUIT_OPEN);
            throw e;
        } catch (RuntimeException e) {
            metrics.storeError(operation, StoreError.OTHER);
            throw e;
        }
    }

    private Circuit circuitOf(Object domain) {
        return circuits.computeIfAbsent(domain, d -> new Circuit(d == WHOLE_STORE
                ? "session store " + store.describe() : d + " of session store " + store.describe(), retryInterval, clock));
    }
}
