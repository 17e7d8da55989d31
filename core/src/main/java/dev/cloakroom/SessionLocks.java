package dev.cloakroom;

import dev.cloakroom.spi.SessionRecord;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The local side of the write path: one lock per session key, taken by every write a {@link SessionManager} sends for
 * a stored session, so that requests of this process that change the same session queue here instead of racing each
 * other's compare-and-set at the store. Only writes from other processes then cost an {@link Session#update} a retry.
 *
 * <p>An update needs more than mutual exclusion: the session it holds was loaded before it queued, and may be stale by
 * a write that another request of this process made meanwhile. Two facts let it catch up without a conflict:
 * <ul>
 *   <li>the lock entry keeps the record as the last holder's compare-and-set left it, exactly, so the next one in the
 *       queue starts from that instead of what it loaded;</li>
 *   <li>every write stamps its key's stripe with a sequence number, and a session remembers the stamp taken before its
 *       load: a higher stamp on its stripe means a local write may have landed since (or one to another key of the
 *       stripe), and the update reloads before it writes.</li>
 * </ul>
 * Both are hints: the store's compare-and-set still decides, so a stale hint costs a retry, never an update.
 *
 * <p>Bounded: an entry exists only while a thread holds or waits for it, so the map never holds more entries than
 * there are threads writing; the stripes are a fixed array. Waits are bounded by the caller's timeout and fair, so a
 * queue of requests on one session is served in order.
 */
final class SessionLocks {
    private static final int STRIPES = 256;

    private final ConcurrentHashMap<SessionKey, Entry> entries = new ConcurrentHashMap<>();
    private final AtomicLong sequence = new AtomicLong();
    private final AtomicLongArray stripeStamps = new AtomicLongArray(STRIPES);

    /** One key's lock, with its users (holders and waiters) counted so that the last one out removes it. */
    private static final class Entry {
        final ReentrantLock lock = new ReentrantLock(true);
        /** Guarded by the map's compute for the key. */
        int users;
        /** Guarded by {@link #lock}: the record as the last holder's compare-and-set left it, or null if unknown. */
        SessionRecord latest;
    }

    /** A stamp to take before loading a session: what {@link Held#writtenSince} compares against. */
    long stamp() {
        return sequence.get();
    }

    /**
     * Waits at most {@code timeoutNanos} for {@code key}'s lock.
     *
     * @return the held lock, to close when the write is done; null if the wait timed out
     * @throws SessionStoreException if the thread was interrupted while waiting (its interrupt flag is restored)
     */
    Held acquire(SessionKey key, long timeoutNanos) {
        Entry entry = entries.compute(key, (k, existing) -> {
            Entry e = existing != null ? existing : new Entry();
            e.users++;
            return e;
        });
        boolean locked = false;
        try {
            locked = entry.lock.tryLock(Math.max(timeoutNanos, 0), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SessionStoreException("interrupted while waiting for the other writes to " + key, e);
        } finally {
            if (!locked) {
                leave(key, entry);
            }
        }
        return locked ? new Held(key, entry) : null;
    }

    /** How many keys have an entry now: holders and waiters only. */
    int size() {
        return entries.size();
    }

    private void leave(SessionKey key, Entry entry) {
        entries.computeIfPresent(key, (k, e) -> e == entry && --e.users == 0 ? null : e);
    }

    private int stripeOf(SessionKey key) {
        return Math.floorMod(key.hashCode(), STRIPES);
    }

    /** A key's lock, held by the current thread. */
    final class Held implements AutoCloseable {
        private final SessionKey key;
        private final Entry entry;

        private Held(SessionKey key, Entry entry) {
            this.key = key;
            this.entry = entry;
        }

        /** The record as the last holder's compare-and-set left it, or null if that is not known. */
        SessionRecord latest() {
            return entry.latest;
        }

        /** Whether a write of this process may have changed the key's record after {@code stamp} was taken. */
        boolean writtenSince(long stamp) {
            return stripeStamps.get(stripeOf(key)) > stamp;
        }

        /**
         * Records a write that landed, or may have ({@code exact} null), or a compare-and-set that left exactly
         * {@code exact}.
         *
         * @return the stamp of this write: a session whose view is {@code exact} is current as of it
         */
        long wrote(SessionRecord exact) {
            entry.latest = exact;
            long stamp = sequence.incrementAndGet();
            stripeStamps.accumulateAndGet(stripeOf(key), stamp, Math::max);
            return stamp;
        }

        @Override
        public void close() {
            entry.lock.unlock();
            leave(key, entry);
        }
    }
}
