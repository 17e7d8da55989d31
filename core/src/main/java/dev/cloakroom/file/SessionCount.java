package dev.cloakroom.file;

import dev.cloakroom.SessionLimitExceededException;
import dev.cloakroom.SessionStoreUnavailableException;
import dev.cloakroom.Sweeper;

import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many records the folder holds, and the two limits that depend on it: {@code maxSessions}, beyond which new
 * sessions are refused, and {@code fileThreshold}, at which the {@link Sweeper} is asked to sweep at once. Neither ever
 * evicts a live session.
 *
 * <p>The count is approximate. It is taken by listing the folder at start, then follows this store's own creates and
 * removals; each sweep recounts the shards it lists completely, which picks up what other processes created or deleted
 * meanwhile. So with several processes on one folder it may lag by what the others did since the last sweep; before
 * refusing a new session, the folder is recounted (at most once a second) rather than trusted. Among the threads of
 * one store the cap is exact: a create is counted before its file is written, and a recount waits for the creates in
 * flight. (A sweep listing a shard while a create into it is in flight can still miss that one.)
 */
final class SessionCount {
    private static final Logger LOG = LoggerFactory.getLogger(SessionCount.class);
    private static final long RECOUNT_MIN_GAP_NANOS = Duration.ofSeconds(1).toNanos();

    private final RecordFolder folder;
    private final long maxSessions;
    private final long fileThreshold;
    private final Duration timeout;
    private final long sweepRequestStep;
    private final AtomicLongArray shardCounts = new AtomicLongArray(RecordFolder.SHARDS);
    private final AtomicLong total = new AtomicLong();
    /** Shared by creates between counting and writing their file, exclusive for a recount; see {@link #create}. */
    private final ReadWriteLock createGate = new ReentrantReadWriteLock();
    private final AtomicLong countAtLastSweepRequest = new AtomicLong(Long.MIN_VALUE / 2);
    private final AtomicLong lastRecountNanos;
    private volatile Runnable sweepRequester = () -> { };

    /** Counts the folder's records at once. */
    SessionCount(RecordFolder folder, long maxSessions, long fileThreshold, Duration timeout) {
        this.folder = folder;
        this.maxSessions = maxSessions;
        this.fileThreshold = fileThreshold;
        this.timeout = timeout;
        this.sweepRequestStep = Math.max(1, fileThreshold / 10);
        recount();
        this.lastRecountNanos = new AtomicLong(System.nanoTime());
    }

    /** Something that writes a file. */
    interface FileWrite {
        void run() throws IOException;
    }

    /**
     * Counts the record that {@code write} creates in {@code shard}, or refuses it once {@code maxSessions} records
     * exist (recounting first, as the count may be stale). Counting before the write, in one atomic step, keeps creates
     * on other stripes from all passing the check at once; the count is taken back if the write fails. The create gate
     * is held shared meanwhile: a recount takes it exclusively, so that it never misses a file counted but not written.
     *
     * @throws SessionLimitExceededException when the folder is full
     */
    void create(int shard, FileWrite write) throws IOException {
        reserve(shard);
        try {
            write.run();
        } catch (IOException | RuntimeException | Error e) {
            add(shard, -1);
            throw e;
        } finally {
            createGate.readLock().unlock();
        }
        requestSweepIfOverThreshold();
    }

    /** A record file appeared in {@code shard} other than by {@link #create} (a move landing there). */
    void added(int shard) {
        add(shard, +1);
    }

    /** A record file of {@code shard} was removed. */
    void removed(int shard) {
        add(shard, -1);
    }

    /** A listing found {@code observed} record files in {@code shard}. */
    void observed(int shard, long observed) {
        long before = shardCounts.getAndSet(shard, observed);
        total.addAndGet(observed - before);
    }

    long approximate() {
        return total.get();
    }

    void setSweepRequester(Runnable requestSweep) {
        this.sweepRequester = Objects.requireNonNull(requestSweep, "requestSweep");
    }

    /** Returns holding the create gate shared, the record counted; or throws, holding nothing. */
    private void reserve(int shard) {
        Lock shared = createGate.readLock();
        acquire(shared);
        if (add(shard, +1) <= maxSessions) {
            return;
        }
        add(shard, -1);
        shared.unlock();
        long last = lastRecountNanos.get();
        if (System.nanoTime() - last >= RECOUNT_MIN_GAP_NANOS && lastRecountNanos.compareAndSet(last, System.nanoTime())) {
            Lock exclusive = createGate.writeLock();
            acquire(exclusive);
            try {
                recount();
            } finally {
                exclusive.unlock();
            }
        }
        acquire(shared);
        if (add(shard, +1) <= maxSessions) {
            return;
        }
        add(shard, -1);
        shared.unlock();
        requestSweep();
        throw new SessionLimitExceededException("the session folder " + folder.directory() + " holds its maximum of "
                + maxSessions + " sessions; new sessions are refused until some expire");
    }

    private void acquire(Lock lock) {
        try {
            if (!lock.tryLock(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new SessionStoreUnavailableException("timed out after " + timeout
                        + " waiting for the session count of " + folder.directory());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SessionStoreUnavailableException("interrupted while waiting for the session count of "
                    + folder.directory(), e);
        }
    }

    /**
     * Asks for a sweep when the count reaches the threshold; again only once it has grown by a tenth of the threshold
     * or a sweep has lowered it, so that a folder full of live sessions is not listed on every create.
     */
    private void requestSweepIfOverThreshold() {
        long count = total.get();
        if (fileThreshold == 0 || count < fileThreshold) {
            return;
        }
        long last = countAtLastSweepRequest.get();
        if ((count < last || count >= last + sweepRequestStep) && countAtLastSweepRequest.compareAndSet(last, count)) {
            LOG.debug("{} holds about {} session files (threshold {}): sweeping expired ones now", folder.directory(), count,
                    fileThreshold);
            requestSweep();
        }
    }

    private void requestSweep() {
        try {
            sweepRequester.run();
        } catch (RuntimeException e) {
            LOG.warn("asking for a sweep of {} failed: {}", folder.directory(), e.toString());
        }
    }

    private void recount() {
        for (int shard = 0; shard < RecordFolder.SHARDS; shard++) {
            try {
                observed(shard, folder.countRecords(shard));
            } catch (IOException e) {
                throw RecordFolder.unavailable("counting the files of", folder.shardPath(shard), e);
            }
        }
    }

    /** @return the new total */
    private long add(int shard, long delta) {
        shardCounts.addAndGet(shard, delta);
        return total.addAndGet(delta);
    }
}
