package dev.cloakroom.servlet;

import dev.cloakroom.memory.MemorySessionStore;
import dev.cloakroom.SessionKey;
import dev.cloakroom.spi.RecordPage;
import dev.cloakroom.spi.SessionRecord;
import dev.cloakroom.spi.SessionStore;
import dev.cloakroom.SessionStoreUnavailableException;
import dev.cloakroom.spi.SessionWrite;
import dev.cloakroom.spi.WriteResult;
import dev.cloakroom.testkit.RecordingStore;
import java.time.Instant;
import java.util.function.Consumer;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The real {@link MemorySessionStore}, seen through a {@link RecordingStore}, with its calls counted (to prove "no store I/O") and an outage switch that
 * stands in for a network store that stopped answering (what the testkit's TCP proxy does for the network stores).
 */
final class ObservedStore implements SessionStore {
    final RecordingStore memory;
    final AtomicInteger loads = new AtomicInteger();
    final AtomicInteger writes = new AtomicInteger();
    final AtomicInteger deletes = new AtomicInteger();
    volatile boolean down;
    /** Only deletes fail: a store that went away between a request's read and its invalidation. */
    volatile boolean deletesFail;
    /** Runs before each delete reaches the store: where a test lets another request act; it runs once. */
    volatile Runnable beforeDelete;
    /** Runs before each write reaches the store, once, as {@link #beforeDelete}. */
    volatile Runnable beforeWrite;

    ObservedStore(MemorySessionStore memory) {
        this.memory = new RecordingStore(memory);
    }

    void resetCounts() {
        loads.set(0);
        writes.set(0);
        deletes.set(0);
    }

    int calls() {
        return loads.get() + writes.get() + deletes.get();
    }

    private void checkUp() {
        if (down) {
            throw new SessionStoreUnavailableException("store unreachable (simulated outage)");
        }
    }

    @Override
    public Optional<SessionRecord> load(SessionKey key) {
        loads.incrementAndGet();
        checkUp();
        return memory.load(key);
    }

    @Override
    public WriteResult write(SessionWrite write) {
        writes.incrementAndGet();
        Runnable hook = beforeWrite;
        beforeWrite = null;
        if (hook != null) {
            hook.run();
        }
        checkUp();
        return memory.write(write);
    }

    @Override
    public WriteResult move(SessionKey from, SessionWrite write) {
        writes.incrementAndGet();
        checkUp();
        return memory.move(from, write);
    }

    @Override
    public boolean delete(SessionKey key) {
        deletes.incrementAndGet();
        Runnable hook = beforeDelete;
        beforeDelete = null;
        if (hook != null) {
            hook.run();
        }
        checkUp();
        if (deletesFail) {
            throw new SessionStoreUnavailableException("store unreachable while deleting (simulated outage)");
        }
        return memory.delete(key);
    }

    @Override
    public RecordPage list(String cursor, int limit) {
        checkUp();
        return memory.list(cursor, limit);
    }

    @Override
    public int sweep(Instant now, int limit, Consumer<SessionRecord> deleted) {
        checkUp();
        return memory.sweep(now, limit, deleted);
    }

    @Override
    public String describe() {
        return "observed " + memory.describe();
    }

    @Override
    public void close() {
        memory.close();
    }
}
