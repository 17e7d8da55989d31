package dev.cloakroom.file;

import dev.cloakroom.SessionStoreException;
import dev.cloakroom.SessionStoreUnavailableException;
import dev.cloakroom.SessionStoreException;
import dev.cloakroom.SessionStoreUnavailableException;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The locks of one store folder, shared by every {@link FileSessionStore} of this JVM that opens that folder.
 *
 * <p>One lock file holds a byte-range lock per key stripe, plus one byte for the sweep lease. A stripe is taken in two
 * steps: first an in-process lock (a {@link FileLock} belongs to the whole JVM, so two threads asking for the same
 * range would get {@link OverlappingFileLockException} rather than wait), then the byte range in the file, which makes
 * other processes wait. There is one instance and one channel per folder and JVM because POSIX releases all of a
 * process's locks on a file when <em>any</em> descriptor of that file is closed.
 *
 * <p>Ranges are only ever taken with {@link FileChannel#tryLock(long, long, boolean)}, polled until a deadline: it is
 * bounded, and unlike the blocking {@code lock} it is not interruptible, so an interrupted request thread cannot close
 * the shared channel (which would drop every range this process holds). Should the channel be closed all the same, the
 * next call reopens it; the in-process stripes still exclude this JVM's threads meanwhile.
 */
final class FolderLocks {
    private static final Logger LOG = LoggerFactory.getLogger(FolderLocks.class);
    /** Open folders of this JVM, by real path. */
    private static final Map<Path, FolderLocks> OPEN = new HashMap<>();
    private static final long MAX_PAUSE_MILLIS = 5;

    private final Path folder;
    private final Path lockFile;
    private final FileAttribute<?>[] fileAttributes;
    private final ReentrantLock[] stripes;
    private final long leasePosition;
    private FileChannel channel; // guarded by this
    private boolean released; // guarded by this
    private int users; // guarded by OPEN

    private FolderLocks(Path folder, Path lockFile, FileAttribute<?>[] fileAttributes, int stripeCount) {
        this.folder = folder;
        this.lockFile = lockFile;
        this.fileAttributes = fileAttributes;
        this.stripes = new ReentrantLock[stripeCount];
        for (int i = 0; i < stripeCount; i++) {
            stripes[i] = new ReentrantLock();
        }
        this.leasePosition = stripeCount;
    }

    /** The locks of {@code realFolder}, shared with other stores of this JVM on it; {@link #release()} when done. */
    static FolderLocks open(Path realFolder, Path lockFile, FileAttribute<?>[] fileAttributes, int stripeCount) throws IOException {
        synchronized (OPEN) {
            FolderLocks locks = OPEN.get(realFolder);
            if (locks == null) {
                locks = new FolderLocks(realFolder, lockFile, fileAttributes, stripeCount);
                locks.channel();
                OPEN.put(realFolder, locks);
            }
            locks.users++;
            return locks;
        }
    }

    void release() {
        synchronized (OPEN) {
            if (--users > 0) {
                return;
            }
            OPEN.remove(folder);
        }
        synchronized (this) {
            released = true;
            try {
                if (channel != null) {
                    channel.close();
                }
            } catch (IOException e) {
                LOG.warn("closing lock file {} failed: {}", lockFile, e.toString());
            }
        }
    }

    /** A held stripe; closing it releases the file range, then the in-process lock. */
    interface Held extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Takes stripe {@code stripe} within {@code timeout}.
     *
     * @throws SessionStoreException when the time runs out: contention on some keys,
     *         not an unavailable store, so that it does not open the circuit breaker for every session
     * @throws SessionStoreUnavailableException when the thread is interrupted
     * @throws IOException when the lock file fails
     */
    Held lock(int stripe, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        ReentrantLock local = stripes[stripe];
        if (local.isHeldByCurrentThread()) {
            throw new IllegalStateException("lock stripe " + stripe + " of " + lockFile + " is already held by this thread");
        }
        try {
            if (!local.tryLock(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new SessionStoreException("timed out after " + timeout + " waiting for lock stripe "
                        + stripe + " of " + lockFile + " (held by another thread of this process)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SessionStoreUnavailableException("interrupted while waiting for a lock on " + lockFile, e);
        }
        try {
            return held(stripe, local, lockRange(stripe, deadline, timeout));
        } catch (IOException | RuntimeException | Error e) {
            local.unlock();
            throw e;
        }
    }

    /** Takes stripe {@code stripe} if no other thread or process holds it at this moment; never waits. */
    Optional<Held> tryLock(int stripe) throws IOException {
        ReentrantLock local = stripes[stripe];
        if (local.isHeldByCurrentThread() || !local.tryLock()) {
            return Optional.empty();
        }
        try {
            FileLock range = channel().tryLock(stripe, 1, false);
            if (range == null) {
                local.unlock();
                return Optional.empty();
            }
            return Optional.of(held(stripe, local, range));
        } catch (ClosedChannelException e) {
            local.unlock();
            return Optional.empty();
        } catch (IOException | RuntimeException | Error e) {
            local.unlock();
            throw e;
        }
    }

    private Held held(int stripe, ReentrantLock local, FileLock range) {
        return () -> {
            try {
                range.release();
            } catch (ClosedChannelException e) {
                // the range went with the channel
            } catch (IOException e) {
                LOG.warn("releasing lock stripe {} of {} failed; it goes when the channel closes: {}", stripe, lockFile, e.toString());
            } finally {
                local.unlock();
            }
        };
    }

    /**
     * Takes two stripes within {@code timeout}, the lower one first: every caller taking two does so in that order, in
     * every process, so two of them can never each hold the stripe the other waits for. One stripe if both are the same.
     */
    Held lockBoth(int one, int other, Duration timeout) throws IOException {
        if (one == other) {
            return lock(one, timeout);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        Held first = lock(Math.min(one, other), timeout);
        try {
            Held second = lock(Math.max(one, other), Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            return () -> {
                try {
                    second.close();
                } finally {
                    first.close();
                }
            };
        } catch (IOException | RuntimeException | Error e) {
            first.close();
            throw e;
        }
    }

    /** The sweep lease range if no process (this one included) holds it. */
    Optional<FileLock> tryLease() throws IOException {
        try {
            return Optional.ofNullable(channel().tryLock(leasePosition, 1, false));
        } catch (OverlappingFileLockException e) {
            return Optional.empty();
        }
    }

    private FileLock lockRange(long position, long deadline, Duration timeout) throws IOException {
        long pause = 1;
        while (true) {
            try {
                FileLock range = channel().tryLock(position, 1, false);
                if (range != null) {
                    return range;
                }
            } catch (ClosedChannelException e) {
                if (Thread.currentThread().isInterrupted()) {
                    throw new SessionStoreUnavailableException("interrupted while locking " + lockFile, e);
                }
                // closed under us: the next round reopens it
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new SessionStoreException("timed out after " + timeout + " waiting for lock stripe "
                        + position + " of " + lockFile + " (held by another process)");
            }
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SessionStoreUnavailableException("interrupted while waiting for a lock on " + lockFile, e);
            }
            pause = Math.min(pause + 1, MAX_PAUSE_MILLIS);
        }
    }

    private synchronized FileChannel channel() throws IOException {
        if (released) {
            throw new SessionStoreException("the session folder's lock file " + lockFile + " has been closed with its store");
        }
        if (channel == null || !channel.isOpen()) {
            if (channel != null) {
                LOG.warn("lock file {} was closed unexpectedly; reopening it", lockFile);
            }
            Set<OpenOption> options = Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS);
            channel = FileChannel.open(lockFile, options, fileAttributes);
        }
        return channel;
    }
}
