package dev.cloakroom;

import dev.cloakroom.memory.MemorySessionStore;
import dev.cloakroom.spi.RecordPage;
import dev.cloakroom.spi.SessionRecord;
import dev.cloakroom.spi.SessionStore;
import dev.cloakroom.spi.SessionWrite;
import dev.cloakroom.spi.SweepLease;
import dev.cloakroom.spi.WriteResult;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A {@link MemorySessionStore} that can be switched to fail, for the circuit breaker's tests: {@link Mode#UNAVAILABLE}
 * stands for a network store that does not answer (it fails after {@link #delay}, its "timeout"), {@link Mode#BROKEN}
 * for one that answers with an error. Counts the calls that reached it, and can hold the next one until released.
 */
final class SwitchableStore implements SessionStore {
    enum Mode { UP, UNAVAILABLE, BROKEN, FULL }

    final MemorySessionStore memory = new MemorySessionStore();
    final AtomicInteger reached = new AtomicInteger();
    volatile Mode mode = Mode.UP;
    volatile Duration delay = Duration.ZERO;
    /** Every versioned write answers {@link WriteResult#CONFLICT}, as if another request always wrote first. */
    volatile boolean conflicting;
    volatile Function<SessionKey, Object> domainOf = key -> WHOLE_STORE;
    private volatile CountDownLatch entered;
    private volatile CountDownLatch release;

    /** The next call that reaches the store waits inside it until {@link #release()}; returns a latch it opens on entry. */
    CountDownLatch holdNextCall() {
        release = new CountDownLatch(1);
        entered = new CountDownLatch(1);
        return entered;
    }

    void release() {
        release.countDown();
    }

    private <T> T reach(Supplier<T> call) {
        reached.incrementAndGet();
        CountDownLatch held = entered;
        if (held != null) {
            entered = null;
            held.countDown();
            await(release);
        }
        switch (mode) {
            case UNAVAILABLE -> {
                if (!delay.isZero()) {
                    pause(delay); // what a store pays before its timeout tells it the server is not answering
                }
                throw new SessionStoreUnavailableException("simulated outage");
            }
            case BROKEN -> throw new SessionStoreException("simulated constraint violation");
            case FULL -> throw new SessionLimitExceededException("simulated full store");
            default -> {
                return call.get();
            }
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new AssertionError("the held call was never released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SessionStoreUnavailableException("interrupted while held", e);
        }
    }

    private static void pause(Duration delay) {
        try {
            Thread.sleep(delay.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SessionStoreUnavailableException("interrupted during the simulated timeout", e);
        }
    }

    @Override
    public Optional<SessionRecord> load(SessionKey key) {
        return reach(() -> memory.load(key));
    }

    @Override
    public WriteResult write(SessionWrite write) {
        return reach(() -> conflicting && write.expectedVersion() != SessionWrite.ANY_VERSION
                ? WriteResult.CONFLICT : memory.write(write));
    }

    @Override
    public WriteResult move(SessionKey from, SessionWrite write) {
        return reach(() -> memory.move(from, write));
    }

    @Override
    public boolean delete(SessionKey key) {
        return reach(() -> memory.delete(key));
    }

    @Override
    public RecordPage list(String cursor, int limit) {
        return reach(() -> memory.list(cursor, limit));
    }

    @Override
    public int sweep(Instant now, int limit, Consumer<SessionRecord> deleted) {
        return reach(() -> memory.sweep(now, limit, deleted));
    }

    @Override
    public Optional<SweepLease> tryAcquireSweepLease(Duration ttl) {
        return reach(() -> memory.tryAcquireSweepLease(ttl));
    }

    @Override
    public Object failureDomain(SessionKey key) {
        return domainOf.apply(key);
    }

    @Override
    public String describe() {
        return "switchable " + memory.describe();
    }

    @Override
    public void close() {
        memory.close();
    }
}
