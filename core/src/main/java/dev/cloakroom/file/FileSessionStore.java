package dev.cloakroom.file;

import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionLimitExceededException;
import dev.cloakroom.SessionStoreException;
import dev.cloakroom.SessionStoreUnavailableException;
import dev.cloakroom.Sweeper;
import dev.cloakroom.spi.RecordPage;
import dev.cloakroom.spi.RecordSummary;
import dev.cloakroom.spi.SessionRecord;
import dev.cloakroom.spi.SessionStore;
import dev.cloakroom.spi.SessionWrite;
import dev.cloakroom.spi.SweepLease;
import dev.cloakroom.spi.WriteResult;

import java.io.IOException;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sessions as files in one folder on the local disk: the embedded default, no server needed. Several processes may
 * share the folder (application instances on one host); they coordinate through byte-range locks on a lock file.
 *
 * <h2>Layout</h2>
 * <pre>
 * SESSION_FILE_DIR/              0700
 *   .cloakroom/lock              0600  locks: one byte per key stripe, one for the sweep lease
 *   3f/                          0700  shard: the first two hex digits of the key's digest (256 shards)
 *     v13f…                      0600  one record per session, named by its {@link SessionKey} and nothing else
 *     .v13f….&lt;random&gt;.tmp          a write in progress, renamed over the record once complete
 *   principals/                  0700  the principal index ({@link PrincipalIndex})
 *     9b71…/                     0700  one folder per signed-in user: the SHA-256 of the name, never the name
 *       v13f…                    0600  an empty marker per record of that user, its time the record's expiry
 * </pre>
 * A record is a small JSON document: the key, a version, the timestamps as ISO-8601 text and the attributes' encoded
 * JSON texts, kept as strings so that they read back exactly as written.
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li><b>Crash-safe</b>: a write goes to a unique temp file in the shard, is fsynced, then renamed atomically over
 *       the record, and the shard folder is fsynced where the platform allows. A reader sees the old record or the new
 *       one, never a mix; a crash leaves at most a temp file, which the sweep removes once it is five minutes old.</li>
 *   <li><b>Atomic across threads and processes</b>: every write, move and delete holds its keys' stripe locks
 *       (in-process, then the byte range in the lock file) around its read-check-rename, so version checks, the size
 *       cap and "no resurrection" hold among all processes sharing the folder. Reads take no lock.</li>
 *   <li><b>Private and literal</b>: folders are created 0700 and files 0600 (set at creation); a store folder, shard
 *       or record that is a symbolic link is refused, never followed.</li>
 *   <li><b>Unreadable files</b> (unparseable, another key, a time out of range, a symbolic link, a FIFO or device,
 *       over 64 MiB) read as absent, with one warning, and are removed; a folder at a key's path is left in place.</li>
 *   <li><b>Never evicts a live session.</b> Reaching {@code fileThreshold} files asks the {@link Sweeper} for an
 *       immediate sweep, which deletes only expired records; reaching {@code maxSessions} refuses new sessions with
 *       {@link SessionLimitExceededException} while existing ones keep working. The file count behind both is
 *       approximate when several processes share the folder; the cap is checked against a recount before refusing.</li>
 *   <li><b>Swept by file time</b>: each record's modification time is its expiry, so a sweep reads only the files
 *       whose time has passed.</li>
 *   <li><b>Indexed by principal</b>: a record's marker is created before the record names its principal and removed
 *       after it stops naming it (deleted, swept, moved, signed out), under the record's lock; a stale marker left by
 *       a crash points at a missing or foreign record and is ignored, then removed by the lookup or the sweep.</li>
 * </ul>
 */
public final class FileSessionStore implements SessionStore {
    private static final Logger LOG = LoggerFactory.getLogger(FileSessionStore.class);

    /** {@code SESSION_FILE_THRESHOLD}'s default, as in Flask-Session. */
    public static final long DEFAULT_FILE_THRESHOLD = 500;

    private final RecordFolder folder;
    private final long fileThreshold;
    private final long maxSessions;
    private final Duration lockTimeout;
    private final FolderLocks locks;
    private final SessionCount count;
    private final FolderSweep sweep;
    private final PrincipalIndex principals;
    private volatile boolean closed;

    private FileSessionStore(Builder b) {
        this.fileThreshold = b.fileThreshold;
        this.maxSessions = b.maxSessions;
        this.lockTimeout = b.lockTimeout;
        try {
            this.folder = new RecordFolder(b.directory);
            this.locks = folder.openLocks();
        } catch (IOException e) {
            throw RecordFolder.unavailable("preparing the session folder", b.directory, e);
        }
        try {
            this.count = new SessionCount(folder, maxSessions, fileThreshold, lockTimeout);
        } catch (RuntimeException e) {
            locks.release();
            throw e;
        }
        this.principals = folder.principalIndex();
        this.sweep = new FolderSweep(folder, locks, count, lockTimeout, this::readLocked, principals);
        LOG.debug("{} holds {} session file(s)", folder.directory(), count.approximate());
    }

    public static Builder builder(Path directory) {
        return new Builder(directory);
    }

    @Override
    public Optional<SessionRecord> load(SessionKey key) {
        ensureOpen();
        Path file = folder.fileOf(key);
        try {
            if (!folder.shardExists(file.getParent())) {
                return Optional.empty();
            }
            byte[] bytes = RecordFolder.read(file);
            return bytes == null ? Optional.empty() : Optional.of(RecordFormat.parse(key, bytes));
        } catch (CorruptRecordException e) {
            // Re-read under the lock: a writer may have replaced the file since.
            try (FolderLocks.Held held = locks.lock(stripeOf(key), lockTimeout)) {
                return readLocked(key, file);
            } catch (IOException io) {
                throw RecordFolder.unavailable("reading", file, io);
            }
        } catch (IOException e) {
            throw RecordFolder.unavailable("reading", file, e);
        }
    }

    @Override
    public WriteResult write(SessionWrite write) {
        ensureOpen();
        RecordFormat.requireWellFormedText(write);
        SessionKey key = write.key();
        Path file = folder.fileOf(key);
        try (FolderLocks.Held held = locks.lock(stripeOf(key), lockTimeout)) {
            Optional<SessionRecord> stored = folder.shardExists(file.getParent()) ? readLocked(key, file) : Optional.empty();
            if (write.create()) {
                if (stored.isPresent()) {
                    return WriteResult.CONFLICT;
                }
                SessionRecord created = write.applyTo(null);
                if (write.exceedsCap(created)) {
                    return WriteResult.TOO_LARGE;
                }
                indexBefore(null, created);
                try {
                    count.create(RecordFolder.shardOf(key), () -> {
                        folder.ensureShard(file.getParent());
                        folder.write(file, key, RecordFormat.encode(created), created.expiresAt());
                    });
                } catch (IOException | RuntimeException e) {
                    unindexQuietly(created.principal(), key);
                    throw e;
                }
                return WriteResult.WRITTEN;
            }
            if (stored.isEmpty() || stored.get().isExpiredAt(write.now())) {
                return WriteResult.GONE;
            }
            if (write.expectedVersion() != SessionWrite.ANY_VERSION && write.expectedVersion() != stored.get().version()) {
                return WriteResult.CONFLICT;
            }
            SessionRecord merged = write.applyTo(stored.get());
            if (write.exceedsCap(merged)) {
                return WriteResult.TOO_LARGE;
            }
            indexBefore(stored.get(), merged);
            folder.write(file, key, RecordFormat.encode(merged), merged.expiresAt());
            indexAfter(stored.get(), merged);
            return WriteResult.WRITTEN;
        } catch (IOException e) {
            throw RecordFolder.unavailable("writing", file, e);
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Holds both keys' stripes (in stripe order, so that crossing moves cannot deadlock) for the whole step. The new
     * record goes to a temp file, fsynced, before anything visible changes; then the old file is removed and its folder
     * fsynced; then the temp file is renamed to the new key. So a crash leaves the old key live, or neither (the session
     * is lost and the temp file swept), but never both keys live.
     */
    @Override
    public WriteResult move(SessionKey from, SessionWrite write) {
        ensureOpen();
        RecordFormat.requireWellFormedText(write);
        SessionKey to = write.key();
        Path oldFile = folder.fileOf(from);
        Path newFile = folder.fileOf(to);
        try (FolderLocks.Held held = locks.lockBoth(stripeOf(from), stripeOf(to), lockTimeout)) {
            Optional<SessionRecord> stored = folder.shardExists(oldFile.getParent()) ? readLocked(from, oldFile) : Optional.empty();
            if (stored.isEmpty() || stored.get().isExpiredAt(write.now())) {
                return WriteResult.GONE;
            }
            if (folder.shardExists(newFile.getParent()) && readLocked(to, newFile).isPresent()) {
                return WriteResult.CONFLICT;
            }
            if (RecordFolder.lstat(newFile) != null) {
                throw new SessionStoreException("cannot move " + from + " to " + to + ": " + newFile
                        + " is held by something that is not a session file");
            }
            SessionRecord merged = write.applyTo(stored.get());
            if (write.exceedsCap(merged)) {
                return WriteResult.TOO_LARGE;
            }
            indexBefore(null, merged);
            folder.ensureShard(newFile.getParent());
            Path temp;
            boolean removed;
            try {
                temp = folder.writeTemp(newFile.getParent(), to, RecordFormat.encode(merged));
            } catch (IOException | RuntimeException e) {
                unindexQuietly(merged.principal(), to);
                throw e;
            }
            try {
                removed = folder.delete(oldFile);
            } catch (IOException | RuntimeException e) {
                RecordFolder.deleteTemp(temp);
                unindexQuietly(merged.principal(), to);
                throw e;
            }
            if (!removed) {
                // Removed by something that takes no lock (an operator): the session is gone all the same.
                RecordFolder.deleteTemp(temp);
                unindexQuietly(merged.principal(), to);
                unindexQuietly(stored.get().principal(), from);
                return WriteResult.GONE;
            }
            // The old record is gone: its marker is stale now, and a crash from here on leaves it for the sweep.
            unindexQuietly(stored.get().principal(), from);
            count.removed(RecordFolder.shardOf(from));
            try {
                folder.install(temp, newFile, merged.expiresAt());
            } catch (IOException | RuntimeException e) {
                LOG.warn("moving {} to {} failed once the old file was gone: the session is lost", from, to);
                throw e;
            }
            count.added(RecordFolder.shardOf(to));
            return WriteResult.WRITTEN;
        } catch (IOException e) {
            throw RecordFolder.unavailable("moving " + from + " to", newFile, e);
        }
    }

    @Override
    public boolean delete(SessionKey key) {
        ensureOpen();
        Path file = folder.fileOf(key);
        try (FolderLocks.Held held = locks.lock(stripeOf(key), lockTimeout)) {
            if (!folder.shardExists(file.getParent())) {
                return false;
            }
            String principal = principalOf(key, file);
            if (!folder.delete(file)) {
                return false;
            }
            count.removed(RecordFolder.shardOf(key));
            if (principal != null) {
                principals.remove(principal, key);
            }
            return true;
        } catch (IOException e) {
            throw RecordFolder.unavailable("deleting", file, e);
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Also removes unreadable records and temp files older than five minutes (judged by the wall clock, as they
     * carry no session time). Lists each shard at most once per call, starting where the previous call stopped, or
     * after the shard where it failed.
     */
    @Override
    public int sweep(Instant now, int limit, Consumer<SessionRecord> deleted) {
        ensureOpen();
        Objects.requireNonNull(now, "now");
        Objects.requireNonNull(deleted, "deleted");
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be positive: " + limit);
        }
        return sweep.sweep(now, limit, deleted);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Walks the shards in order and each shard's records by name, which together is key order, so the cursor is the
     * last key returned: its first two hex digits name the shard to resume in. A call lists one shard folder at a time
     * (a few thousand names even for a million sessions) and reads the records it returns; an unreadable one is
     * removed and skipped, as {@link #load} does.
     */
    @Override
    public RecordPage list(String cursor, int limit) {
        ensureOpen();
        RecordPage.requireLimit(limit);
        SessionKey after = cursor == null ? null : new SessionKey(cursor);
        List<RecordSummary> page = new ArrayList<>();
        for (int shard = after == null ? 0 : RecordFolder.shardOf(after); shard < RecordFolder.SHARDS; shard++) {
            List<String> names;
            try {
                names = folder.recordNames(shard, after == null ? "" : after.value());
            } catch (IOException e) {
                throw RecordFolder.unavailable("listing", folder.shardPath(shard), e);
            }
            for (String name : names) {
                SessionKey key = new SessionKey(name);
                load(key).ifPresent(record -> page.add(RecordSummary.of(record)));
                if (page.size() == limit) {
                    return new RecordPage(page, Optional.of(name));
                }
            }
        }
        return new RecordPage(page, Optional.empty());
    }

    /**
     * {@inheritDoc}
     *
     * <p>Lists the principal's folder of the index and reads the records its markers name, latest expiry first (by the
     * markers' times), until {@code limit} records are found. A marker whose record is missing or names someone else is
     * skipped and removed under the record's lock.
     */
    @Override
    public List<RecordSummary> findByPrincipal(String principal, int limit) {
        ensureOpen();
        Objects.requireNonNull(principal, "principal");
        RecordPage.requireLimit(limit);
        List<RecordSummary> found = new ArrayList<>();
        Path index = principals.folderOf(principal);
        try {
            for (PrincipalIndex.Marker marker : principals.markersOf(principal)) {
                Optional<SessionRecord> record = load(marker.key());
                if (record.isPresent() && principal.equals(record.get().principal())) {
                    found.add(RecordSummary.of(record.get()));
                    if (found.size() == limit) {
                        break;
                    }
                } else {
                    removeIfStale(marker, principal);
                }
            }
        } catch (IOException e) {
            throw RecordFolder.unavailable("reading the principal index", index, e);
        }
        found.sort(LATEST_EXPIRY_FIRST);
        return found;
    }

    /**
     * One sweeper per folder among all processes: a byte-range lock in {@code .cloakroom/lock}, held until the lease
     * is closed. The operating system drops it when its process dies, so {@code ttl} is not needed and is ignored.
     */
    @Override
    public Optional<SweepLease> tryAcquireSweepLease(Duration ttl) {
        ensureOpen();
        try {
            Optional<FileLock> lock = locks.tryLease();
            return lock.map(held -> () -> {
                try {
                    held.release();
                } catch (IOException e) {
                    LOG.debug("releasing the sweep lease of {}: {}", folder.directory(), e.toString());
                }
            });
        } catch (IOException e) {
            throw RecordFolder.unavailable("taking the sweep lease of", folder.directory(), e);
        }
    }

    @Override
    public void setSweepRequester(Runnable requestSweep) {
        count.setSweepRequester(requestSweep);
    }

    @Override
    public String describe() {
        return "filesystem " + folder.directory() + " (threshold " + (fileThreshold == 0 ? "off" : fileThreshold + " files")
                + ", max sessions " + (maxSessions == Long.MAX_VALUE ? "unlimited" : maxSessions) + ")";
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            locks.release();
        }
    }

    /** Where the record of {@code key} lives, for tests. */
    Path fileOf(SessionKey key) {
        return folder.fileOf(key);
    }

    /** The approximate number of record files (see {@link SessionCount}), for tests. */
    long approximateFileCount() {
        return count.approximate();
    }

    /** Keys of one shard share a stripe, so a sweep of a shard and the writes to it contend on the same locks. */
    private static int stripeOf(SessionKey key) {
        return RecordFolder.shardOf(key);
    }

    /** Removes a marker whose record, read again under its lock, is missing or names another principal. */
    private void removeIfStale(PrincipalIndex.Marker marker, String principal) throws IOException {
        SessionKey key = marker.key();
        try (FolderLocks.Held held = locks.lock(stripeOf(key), lockTimeout)) {
            Path file = folder.fileOf(key);
            Optional<SessionRecord> record = folder.shardExists(file.getParent()) ? readLocked(key, file) : Optional.empty();
            if (record.isEmpty() || !principal.equals(record.get().principal())) {
                LOG.debug("removing a stale principal index entry of {}", key);
                principals.remove(marker.file());
            }
        }
    }

    /** Adds the marker a record is about to need (before it names the principal), or moves its time on. */
    private void indexBefore(SessionRecord stored, SessionRecord written) throws IOException {
        String principal = written.principal();
        if (principal == null) {
            return;
        }
        if (stored != null && principal.equals(stored.principal())) {
            principals.touch(principal, written.key(), written.expiresAt());
        } else {
            principals.add(principal, written.key(), written.expiresAt());
        }
    }

    /** Removes the marker the record no longer needs, once it no longer names its old principal. */
    private void indexAfter(SessionRecord stored, SessionRecord written) {
        if (stored.principal() != null && !stored.principal().equals(written.principal())) {
            unindexQuietly(stored.principal(), stored.key());
        }
    }

    /**
     * Removes a marker whose record does not need it (any more); a failure only leaves a stale marker, which lookups
     * ignore and the sweep removes, so it is logged and the call goes on.
     */
    private void unindexQuietly(String principal, SessionKey key) {
        if (principal == null) {
            return;
        }
        try {
            principals.remove(principal, key);
        } catch (IOException | RuntimeException e) {
            LOG.warn("could not remove the principal index entry of {}; the sweep will: {}", key, e.toString());
        }
    }

    /** The principal of the record in {@code file}, or null if it has none or cannot be read. */
    private static String principalOf(SessionKey key, Path file) throws IOException {
        try {
            byte[] bytes = RecordFolder.read(file);
            return bytes == null ? null : RecordFormat.parse(key, bytes).principal();
        } catch (CorruptRecordException e) {
            return null;
        }
    }

    /** Reads the record while holding its lock; an unreadable one is removed and reported absent, with one warning. */
    private Optional<SessionRecord> readLocked(SessionKey key, Path file) throws IOException {
        try {
            byte[] bytes = RecordFolder.read(file);
            return bytes == null ? Optional.empty() : Optional.of(RecordFormat.parse(key, bytes));
        } catch (CorruptRecordException e) {
            try {
                if (RecordFolder.discard(file)) {
                    count.removed(RecordFolder.shardOf(key));
                    LOG.warn("session file of {} was unreadable ({}) and has been removed", key, e.getMessage());
                } else {
                    LOG.warn("session file of {} is unreadable ({}) and is left in place: {}", key, e.getMessage(), file);
                }
            } catch (IOException removal) {
                LOG.warn("session file of {} is unreadable ({}) and could not be removed: {}", key, e.getMessage(),
                        removal.toString());
            }
            return Optional.empty();
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new SessionStoreUnavailableException("file session store " + folder.directory() + " is closed");
        }
    }

    /** Settings of a {@link FileSessionStore}; {@link #build()} validates them and prepares the folder. */
    public static final class Builder {
        private final Path directory;
        private long fileThreshold = DEFAULT_FILE_THRESHOLD;
        private long maxSessions = Long.MAX_VALUE;
        private Duration lockTimeout = CloakroomConfig.DEFAULT_STORE_TIMEOUT;

        private Builder(Path directory) {
            this.directory = Objects.requireNonNull(directory, "directory");
        }

        /**
         * Number of session files at which a sweep of expired files starts at once (default
         * {@value FileSessionStore#DEFAULT_FILE_THRESHOLD}; 0 turns it off, as in Flask-Session). Never evicts a
         * live session.
         *
         * @throws IllegalArgumentException if negative
         */
        public Builder fileThreshold(long value) {
            if (value < 0) {
                throw new IllegalArgumentException("fileThreshold must not be negative: " + value);
            }
            this.fileThreshold = value;
            return this;
        }

        /**
         * Hard cap on stored sessions: beyond it new sessions are refused ({@link SessionLimitExceededException});
         * default none.
         *
         * @throws IllegalArgumentException if below 1
         */
        public Builder maxSessions(long value) {
            if (value < 1) {
                throw new IllegalArgumentException("maxSessions must be positive: " + value);
            }
            this.maxSessions = value;
            return this;
        }

        /**
         * Bound on the wait for a session's lock while another thread or process writes it (default
         * {@link CloakroomConfig#DEFAULT_STORE_TIMEOUT}); beyond it the call throws {@link SessionStoreException}.
         * File operations themselves are local and not bounded by it.
         *
         * @throws IllegalArgumentException if not positive
         */
        public Builder lockTimeout(Duration value) {
            Objects.requireNonNull(value, "lockTimeout");
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException("lockTimeout must be positive: " + value);
            }
            this.lockTimeout = value;
            return this;
        }

        /**
         * Creates the folder (0700) if it is missing and counts its session files.
         *
         * @throws SessionStoreException if the folder is a symbolic link or not a folder
         * @throws SessionStoreUnavailableException if the folder cannot be created or read
         */
        public FileSessionStore build() {
            return new FileSessionStore(this);
        }
    }
}
