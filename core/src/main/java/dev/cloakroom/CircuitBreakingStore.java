package dev.cloakroom;

import dev.cloakroom.spi.RecordPage;
import dev.cloakroom.spi.SessionRecord;
import dev.cloakroom.spi.SessionStore;
import dev.cloakroom.spi.SessionWrite;
import dev.cloakroom.spi.SweepLease;
import dev.cloakroom.spi.WriteResult;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A circuit breaker in front of a store, which {@link SessionManager} puts around whatever store it is given: once a
 * call fails with {@link SessionStoreUnavailableException} (the store did not answer within its bound), later calls
 * fail at once with one, without touching the store, so that request threads are not held for the store's timeout
 * each while it is down. After {@link CloakroomConfig#storeRetryInterval()} one call, and only one, goes through as a
 * probe: if the store answers it (with a result or with any other failure), traffic resumes; if it is unavailable
 * again, calls fail at once for another interval.
 *
 * <p>There is one {@link Circuit} per {@link SessionStore#failureDomain failure domain}: on Redis Cluster a hung master
 * fails fast for the sessions it holds while the others are served. Calls that concern no one key (sweeps, the sweep
 * lease) go through the circuit of {@link SessionStore#WHOLE_STORE}, which on a store up or down as a whole is the
 * one circuit of every call.
 *
 * <p>Not an outage: a {@link SessionLimitExceededException} (the store answered that it is full), and a failure seen
 * by an interrupted thread (the caller gave up, not the store). Nor is any other {@link SessionStoreException}: a
 * constraint or a bug says nothing about whether the store answers.
 */
final class CircuitBreakingStore implements SessionStore {
    private final SessionStore store;
    private final Duration retryInterval;
    private final InstantSource clock;
    private final Map<Object, Circuit> circuits = new ConcurrentHashMap<>();

    CircuitBreakingStore(SessionStore store, Duration retryInterval, InstantSource clock) {
        this.store = store;
        this.retryInterval = retryInterval;
        this.clock = clock;
    }

    @Override
    public Optional<SessionRecord> load(SessionKey key) {
        return circuitOf(key).call(() -> store.load(key));
    }

    @Override
    public WriteResult write(SessionWrite write) {
        return circuitOf(write.key()).call(() -> store.write(write));
    }

    /** Judged by the old key's domain: that is where the record is read, and where a failing move leaves it. */
    @Override
    public WriteResult move(SessionKey from, SessionWrite write) {
        return circuitOf(from).call(() -> store.move(from, write));
    }

    @Override
    public boolean delete(SessionKey key) {
        return circuitOf(key).call(() -> store.delete(key));
    }

    @Override
    public RecordPage list(String cursor, int limit) {
        return circuitOf(WHOLE_STORE).call(() -> store.list(cursor, limit));
    }

    @Override
    public int sweep(Instant now, int limit, Consumer<SessionRecord> deleted) {
        return circuitOf(WHOLE_STORE).call(() -> store.sweep(now, limit, deleted));
    }

    @Override
    public Optional<SweepLease> tryAcquireSweepLease(Duration ttl) {
        return circuitOf(WHOLE_STORE).call(() -> store.tryAcquireSweepLease(ttl));
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

    private Circuit circuitOf(SessionKey key) {
        return circuitOf(store.failureDomain(key));
    }

    private Circuit circuitOf(Object domain) {
        return circuits.computeIfAbsent(domain, d -> new Circuit(d == WHOLE_STORE
                ? "session store " + store.describe() : d + " of session store " + store.describe(), retryInterval, clock));
    }
}
