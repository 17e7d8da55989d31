package dev.cloakroom.file;

import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.Session;
import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionLimitExceededException;
import dev.cloakroom.SessionStoreException;
import dev.cloakroom.SessionStoreUnavailableException;
import dev.cloakroom.SessionTooLargeException;
import dev.cloakroom.Settings;
import dev.cloakroom.Sweeper;
import dev.cloakroom.UnsupportedAttributeException;
import dev.cloakroom.spi.SessionRecord;
import dev.cloakroom.spi.SessionStore;
import dev.cloakroom.spi.SessionWrite;
import dev.cloakroom.spi.SweepLease;
import dev.cloakroom.spi.WriteResult;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamWriteException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Consumer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.regex.Pattern;
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
 * </pre>
 * A record is a small JSON document: {@code format}, {@code key}, {@code version}, the timestamps as ISO-8601 text,
 * {@code maxInactiveInterval} as an ISO-8601 duration, and {@code attributes} mapping each name to its encoded JSON
 * text, kept as a string so it reads back exactly as written.
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li><b>Crash-safe</b>: a write goes to a unique temp file in the shard, is fsynced, then renamed atomically over
 *       the record, and the shard folder is fsynced where the platform allows. A reader sees the old record or the new
 *       one, never a mix; a crash leaves at most a temp file, which the sweep removes once it is
 *       five minutes old.</li>
 *   <li><b>Atomic across threads and processes</b>: every write and delete of a key holds that key's stripe lock
 *       (in-process, then the byte range in the lock file) around its read-check-rename, so version checks and "no
 *       resurrection" hold among all processes sharing the folder. Reads take no lock.</li>
 *   <li><b>Private and literal</b>: folders are created 0700 and files 0600 (set at creation); a store folder, shard
 *       or record that is a symbolic link is refused, never followed.</li>
 *   <li><b>Corrupt files</b> (unparseable, wrong key, symbolic link, over 64 MiB) read as
 *       absent and are removed.</li>
 *   <li><b>Never evicts a live session.</b> Reaching {@code fileThreshold} files asks the {@link Sweeper} for an
 *       immediate sweep, which deletes only expired records; reaching {@code maxSessions} refuses new sessions with
 *       {@link SessionLimitExceededException} while existing ones keep working.</li>
 * </ul>
 *
 * <h2>The file count is approximate</h2>
 * The store counts the record files at start, then adds its own creates and removals. Each sweep recounts the shards
 * it lists completely, which picks up what other processes created or deleted meanwhile. So with several processes
 * on one folder, the count may lag by what the others did since the last sweep; before refusing a new session
 * because of {@code maxSessions}, the store recounts the folder (at most once a second) rather than trust it. Among
 * the threads of one store the cap is exact: a create is counted before its file is written, and that recount waits
 * for the creates in flight. (A sweep listing a shard while a create into it is in flight can still miss that one.)
 *
 * <h2>Sweeping</h2>
 * Each record's modification time is set to its {@code expiresAt}, so a sweep lists a shard and reads only files
 * whose time has passed, then re-checks each under its lock. A call resumes where the last one stopped and lists at
 * most every shard once. If something else changes a file's time, the sweep may read a live record for nothing or
 * reach an expired one late; expiry on read does not depend on it.
 */
public final class FileSessionStore implements SessionStore {
    private static final Logger LOG = LoggerFactory.getLogger(FileSessionStore.class);

    /** {@code SESSION_FILE_THRESHOLD}'s default, as in Flask-Session. */
    public static final long DEFAULT_FILE_THRESHOLD = 500;

    static final int SHARDS = 256;
    static final String HIDDEN_DIR = ".cloakroom";
    static final String LOCK_FILE = "lock";
    static final int FORMAT = 1;
    /** Bound on a record file, read or written; far above the default session size cap of 4 MiB. */
    static final int MAX_RECORD_BYTES = 64 * 1024 * 1024;
    /** Age after which a temp file is a leftover of an interrupted write: far beyond any lock timeout. */
    static final Duration TEMP_MAX_AGE = Duration.ofMinutes(5);
    /** Bounds on a stored instant: four-digit years. */
    static final Instant EARLIEST_INSTANT = Instant.parse("0000-01-01T00:00:00Z");
    static final Instant LATEST_INSTANT = Instant.parse("9999-12-31T23:59:59.999999999Z");
    /** Bound on a stored idle timeout: ten thousand years is beyond any session, and far below an overflow. */
    static final Duration LONGEST_INTERVAL = Duration.ofDays(3_652_425);
    private static final long RECOUNT_MIN_GAP_NANOS = Duration.ofSeconds(1).toNanos();
    private static final Pattern TEMP_NAME = Pattern.compile("\\.v1[0-9a-f]{64}\\.[0-9a-f]{16}\\.tmp");
    private static final HexFormat HEX = HexFormat.of();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final ObjectMapper JSON = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(MAX_RECORD_BYTES).build())
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private final Path directory;
    private final long fileThreshold;
    private final long maxSessions;
    private final Duration lockTimeout;
    private final FileAttribute<?>[] directoryAttributes;
    private final FileAttribute<?>[] fileAttributes;
    private final FolderLocks locks;
    private final AtomicLongArray shardCounts = new AtomicLongArray(SHARDS);
    /** Shared by creates between counting and writing their file, exclusive for a recount; see reserveRoomForNewSession. */
    private final ReadWriteLock createGate = new ReentrantReadWriteLock();
    private final AtomicLong fileCount = new AtomicLong();
    private final AtomicLong countAtLastSweepRequest = new AtomicLong(Long.MIN_VALUE / 2);
    private final AtomicLong lastRecountNanos;
    private final AtomicInteger sweepCursor = new AtomicInteger();
    private final long sweepRequestStep;
    private volatile Runnable sweepRequester = () -> { };
    private volatile boolean directorySyncWorks = true;
    private volatile boolean closed;

    private FileSessionStore(Builder b) {
        this.directory = b.directory.toAbsolutePath().normalize();
        this.fileThreshold = b.fileThreshold;
        this.maxSessions = b.maxSessions;
        this.lockTimeout = b.lockTimeout;
        this.sweepRequestStep = Math.max(1, fileThreshold / 10);
        boolean posix = directory.getFileSystem().supportedFileAttributeViews().contains("posix");
        this.directoryAttributes = posix
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"))}
                : new FileAttribute<?>[0];
        this.fileAttributes = posix
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
                : new FileAttribute<?>[0];
        try {
            prepareDirectory(directory, true);
            Path hidden = directory.resolve(HIDDEN_DIR);
            prepareDirectory(hidden, false);
            this.locks = FolderLocks.open(directory.toRealPath(), hidden.resolve(LOCK_FILE), fileAttributes, SHARDS);
        } catch (IOException e) {
            throw unavailable("preparing the session folder", directory, e);
        }
        try {
            recount();
        } catch (RuntimeException e) {
            locks.release();
            throw e;
        }
        this.lastRecountNanos = new AtomicLong(System.nanoTime());
        LOG.debug("{} holds {} session file(s)", directory, fileCount.get());
    }

    public static Builder builder(Path directory) {
        return new Builder(directory);
    }

    @Override
    public Optional<SessionRecord> load(SessionKey key) {
        ensureOpen();
        Path file = fileOf(key);
        try {
            if (!checkShard(file.getParent())) {
                return Optional.empty();
            }
            byte[] bytes = readBytes(file);
            if (bytes == null) {
                return Optional.empty();
            }
            return Optional.of(parse(key, bytes));
        } catch (CorruptRecordException e) {
            // Re-read under the lock: a writer may have replaced the file since.
            try (FolderLocks.Held held = locks.lock(stripeOf(key), lockTimeout)) {
                return readLocked(key, file);
            } catch (IOException io) {
                throw unavailable("reading", file, io);
            }
        } catch (IOException e) {
            throw unavailable("reading", file, e);
        }
    }

    @Override
    public WriteResult write(SessionWrite write) {
        ensureOpen();
        requireWellFormedText(write);
        SessionKey key = write.key();
        Path file = fileOf(key);
        try (FolderLocks.Held held = locks.lock(stripeOf(key), lockTimeout)) {
            Optional<SessionRecord> stored = checkShard(file.getParent()) ? readLocked(key, file) : Optional.empty();
            if (write.create()) {
                if (stored.isPresent()) {
                    return WriteResult.CONFLICT;
                }
                SessionRecord created = write.applyTo(null);
                if (write.exceedsCap(created)) {
                    return WriteResult.TOO_LARGE;
                }
                reserveRoomForNewSession(shardOf(key));
                try {
                    ensureShard(file.getParent());
                    writeRecord(file, created);
                } catch (IOException | RuntimeException e) {
                    counted(shardOf(key), -1);
                    throw e;
                } finally {
                    createGate.readLock().unlock();
                }
                requestSweepIfOverThreshold();
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
            writeRecord(file, merged);
            return WriteResult.WRITTEN;
        } catch (IOException e) {
            throw unavailable("writing", file, e);
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
        requireWellFormedText(write);
        SessionKey to = write.key();
        Path oldFile = fileOf(from);
        Path newFile = fileOf(to);
        try (FolderLocks.Held held = locks.lockBoth(stripeOf(from), stripeOf(to), lockTimeout)) {
            Optional<SessionRecord> stored = checkShard(oldFile.getParent()) ? readLocked(from, oldFile) : Optional.empty();
            if (stored.isEmpty() || stored.get().isExpiredAt(write.now())) {
                return WriteResult.GONE;
            }
            if (checkShard(newFile.getParent()) && readLocked(to, newFile).isPresent()) {
                return WriteResult.CONFLICT;
            }
            if (lstat(newFile) != null) {
                throw new SessionStoreException("cannot move " + from + " to " + to + ": " + newFile
                        + " is held by something that is not a session file");
            }
            SessionRecord merged = write.applyTo(stored.get());
            if (write.exceedsCap(merged)) {
                return WriteResult.TOO_LARGE;
            }
            ensureShard(newFile.getParent());
            Path temp = writeTemp(newFile.getParent(), merged);
            try {
                Files.delete(oldFile);
            } catch (IOException | RuntimeException e) {
                deleteQuietly(temp);
                throw e;
            }
            counted(shardOf(from), -1);
            syncDirectory(oldFile.getParent());
            try {
                install(temp, newFile, merged.expiresAt());
            } catch (IOException | RuntimeException e) {
                LOG.warn("moving {} to {} failed once the old file was gone: the session is lost", from, to);
                throw e;
            }
            counted(shardOf(to), +1);
            return WriteResult.WRITTEN;
        } catch (IOException e) {
            throw unavailable("moving " + from + " to", newFile, e);
        }
    }

    @Override
    public boolean delete(SessionKey key) {
        ensureOpen();
        Path file = fileOf(key);
        try (FolderLocks.Held held = locks.lock(stripeOf(key), lockTimeout)) {
            if (!checkShard(file.getParent())) {
                return false;
            }
            boolean existed = Files.deleteIfExists(file);
            if (existed) {
                counted(shardOf(key), -1);
                syncDirectory(file.getParent());
            }
            return existed;
        } catch (IOException e) {
            throw unavailable("deleting", file, e);
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Also removes corrupt records and temp files older than five minutes (judged by the
     * wall clock, as they carry no session time). Lists each shard at most once per call, starting where the previous
     * call stopped.
     */
    @Override
    public int sweep(Instant now, int limit, Consumer<SessionRecord> deleted) {
        ensureOpen();
        Objects.requireNonNull(now, "now");
        Objects.requireNonNull(deleted, "deleted");
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be positive: " + limit);
        }
        Tally tally = new Tally(limit, deleted);
        int start = sweepCursor.get();
        for (int i = 0; i < SHARDS; i++) {
            int shard = (start + i) % SHARDS;
            try {
                if (!sweepShard(shard, now, tally)) {
                    sweepCursor.set(shard);
                    return tally.count;
                }
            } catch (RuntimeException | Error e) {
                // The next call starts after the shard that failed, so that one stuck shard cannot stall all the others.
                sweepCursor.set((shard + 1) % SHARDS);
                throw e;
            }
        }
        return tally.count;
    }

    /** The deletions of one sweep call: each is handed on the moment its file is gone. */
    private static final class Tally {
        final int limit;
        final Consumer<SessionRecord> deleted;
        int count;

        Tally(int limit, Consumer<SessionRecord> deleted) {
            this.limit = limit;
            this.deleted = deleted;
        }

        boolean full() {
            return count >= limit;
        }

        void deleted(SessionRecord record) {
            count++;
            deleted.accept(record);
        }
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
                    LOG.debug("releasing the sweep lease of {}: {}", directory, e.toString());
                }
            });
        } catch (IOException e) {
            throw unavailable("taking the sweep lease of", directory, e);
        }
    }

    @Override
    public void setSweepRequester(Runnable requestSweep) {
        this.sweepRequester = Objects.requireNonNull(requestSweep, "requestSweep");
    }

    @Override
    public String describe() {
        return "filesystem " + directory + " (threshold " + (fileThreshold == 0 ? "off" : fileThreshold + " files")
                + ", max sessions " + (maxSessions == Long.MAX_VALUE ? "unlimited" : maxSessions) + ")";
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            locks.release();
        }
    }

    // ---- package-private views for tests ----

    Path directory() {
        return directory;
    }

    Path fileOf(SessionKey key) {
        String value = key.value();
        return directory.resolve(value.substring(2, 4)).resolve(value);
    }

    /** The approximate number of record files (see the class comment). */
    long approximateFileCount() {
        return fileCount.get();
    }

    // ---- records ----

    /** Reads the record while holding its lock; a corrupt one is removed and reported absent. */
    private Optional<SessionRecord> readLocked(SessionKey key, Path file) throws IOException {
        try {
            byte[] bytes = readBytes(file);
            return bytes == null ? Optional.empty() : Optional.of(parse(key, bytes));
        } catch (CorruptRecordException e) {
            try {
                BasicFileAttributes attributes = lstat(file);
                if (attributes != null && attributes.isDirectory()) {
                    // Never ours to remove: the store creates no folder under a key's name.
                    LOG.warn("the path of {}'s session file is a folder, which is left in place: {}", key, file);
                } else {
                    if (Files.deleteIfExists(file)) {
                        counted(shardOf(key), -1);
                    }
                    LOG.warn("session file of {} was unreadable ({}) and has been removed", key, e.getMessage());
                }
            } catch (IOException deleteFailure) {
                LOG.warn("session file of {} is unreadable ({}) and could not be removed: {}", key, e.getMessage(),
                        deleteFailure.toString());
            }
            return Optional.empty();
        }
    }

    /**
     * The file's bytes, or null if there is no file. Its type and size are checked before it is opened, without
     * following links: opening a FIFO would block until something writes to it, and a huge file would fill the heap.
     */
    private static byte[] readBytes(Path file) throws IOException, CorruptRecordException {
        BasicFileAttributes attributes = lstat(file);
        if (attributes == null) {
            return null;
        }
        if (!attributes.isRegularFile()) {
            throw new CorruptRecordException(attributes.isDirectory() ? "a folder"
                    : attributes.isSymbolicLink() ? "a symbolic link, never followed" : "not a regular file");
        }
        if (attributes.size() > MAX_RECORD_BYTES) {
            throw new CorruptRecordException("larger than " + MAX_RECORD_BYTES + " bytes: " + attributes.size());
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            long size = channel.size();
            if (size > MAX_RECORD_BYTES) {
                throw new CorruptRecordException("larger than " + MAX_RECORD_BYTES + " bytes: " + size);
            }
            ByteBuffer buffer = ByteBuffer.allocate((int) size);
            while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
                // read until full or end of file
            }
            if (buffer.hasRemaining()) {
                throw new CorruptRecordException("shorter than its size");
            }
            return buffer.array();
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    static SessionRecord parse(SessionKey key, byte[] bytes) throws CorruptRecordException {
        try {
            JsonNode root = JSON.readTree(bytes);
            if (root == null || !root.isObject()) {
                throw new CorruptRecordException("not a JSON object");
            }
            if (root.path("format").asInt(-1) != FORMAT || !root.path("format").isInt()) {
                throw new CorruptRecordException("unknown format " + root.path("format"));
            }
            if (!key.value().equals(root.path("key").textValue())) {
                throw new CorruptRecordException("holds another key");
            }
            JsonNode version = root.path("version");
            if (!version.isIntegralNumber() || !version.canConvertToLong()) {
                throw new CorruptRecordException("bad version");
            }
            JsonNode attributes = root.path("attributes");
            if (!attributes.isObject()) {
                throw new CorruptRecordException("no attributes object");
            }
            Map<String, String> values = new TreeMap<>();
            for (Map.Entry<String, JsonNode> entry : attributes.properties()) {
                if (!entry.getValue().isTextual()) {
                    throw new CorruptRecordException("attribute is not text");
                }
                values.put(entry.getKey(), entry.getValue().textValue());
            }
            return new SessionRecord(key, values, instant(root, "createdAt"), instant(root, "lastAccessedAt"),
                    interval(root, "maxInactiveInterval"), instant(root, "expiresAt"), version.longValue());
        } catch (IOException e) {
            throw new CorruptRecordException("not JSON: " + e.getClass().getSimpleName());
        } catch (RuntimeException e) {
            throw new CorruptRecordException("bad field: " + e.getClass().getSimpleName());
        }
    }

    /** An instant with a four-digit year: what a real clock writes, and far from where arithmetic on it overflows. */
    private static Instant instant(JsonNode root, String field) throws CorruptRecordException {
        Instant value = Instant.parse(text(root, field));
        if (value.isBefore(EARLIEST_INSTANT) || value.isAfter(LATEST_INSTANT)) {
            throw new CorruptRecordException(field + " out of range: " + value);
        }
        return value;
    }

    /** A positive duration of at most {@link #LONGEST_INTERVAL}, so that deadlines computed from it cannot overflow. */
    private static Duration interval(JsonNode root, String field) throws CorruptRecordException {
        Duration value = Duration.parse(text(root, field));
        if (value.isNegative() || value.isZero() || value.compareTo(LONGEST_INTERVAL) > 0) {
            throw new CorruptRecordException(field + " out of range: " + value);
        }
        return value;
    }

    private static String text(JsonNode root, String field) throws CorruptRecordException {
        String value = root.path(field).textValue();
        if (value == null) {
            throw new CorruptRecordException("no " + field);
        }
        return value;
    }

    static byte[] encode(SessionRecord record) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(512);
        try (JsonGenerator json = JSON.getFactory().createGenerator(out)) {
            json.writeStartObject();
            json.writeNumberField("format", FORMAT);
            json.writeStringField("key", record.key().value());
            json.writeNumberField("version", record.version());
            json.writeStringField("createdAt", record.createdAt().toString());
            json.writeStringField("lastAccessedAt", record.lastAccessedAt().toString());
            json.writeStringField("maxInactiveInterval", record.maxInactiveInterval().toString());
            json.writeStringField("expiresAt", record.expiresAt().toString());
            json.writeObjectFieldStart("attributes");
            for (Map.Entry<String, String> entry : new TreeMap<>(record.attributes()).entrySet()) {
                json.writeStringField(entry.getKey(), entry.getValue());
            }
            json.writeEndObject();
            json.writeEndObject();
        } catch (StreamWriteException e) {
            throw new UnsupportedAttributeException("an attribute of " + record.key() + " cannot be written as UTF-8 JSON: "
                    + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new IllegalStateException("writing to memory cannot fail", e);
        }
        out.write('\n');
        return out.toByteArray();
    }

    /**
     * Refuses text that UTF-8 cannot carry (a lone surrogate), which the JSON writer would otherwise replace silently,
     * so that what is read back is always exactly what was written.
     */
    private static void requireWellFormedText(SessionWrite write) {
        for (Map.Entry<String, String> entry : write.upserts().entrySet()) {
            if (hasLoneSurrogate(entry.getKey()) || hasLoneSurrogate(entry.getValue())) {
                throw new UnsupportedAttributeException("attribute '" + entry.getKey().replaceAll("[\\x{D800}-\\x{DFFF}]", "?")
                        + "' of " + write.key() + " holds a lone UTF-16 surrogate, which a session file cannot store");
            }
        }
    }

    private static boolean hasLoneSurrogate(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    /** Temp file, fsync, atomic rename, expiry hint, folder fsync. The caller holds the key's lock. */
    private void writeRecord(Path file, SessionRecord record) throws IOException {
        install(writeTemp(file.getParent(), record), file, record.expiresAt());
    }

    /** The record in a new temp file of {@code shard}, fsynced: nothing a reader can see has changed yet. */
    private Path writeTemp(Path shard, SessionRecord record) throws IOException {
        byte[] bytes = encode(record);
        if (bytes.length > MAX_RECORD_BYTES) {
            throw new SessionTooLargeException(bytes.length, MAX_RECORD_BYTES);
        }
        byte[] suffix = new byte[8];
        RANDOM.nextBytes(suffix);
        Path temp = shard.resolve("." + record.key().value() + "." + HEX.formatHex(suffix) + ".tmp");
        Set<OpenOption> options = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        try (FileChannel channel = FileChannel.open(temp, options, fileAttributes)) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        } catch (IOException | RuntimeException e) {
            deleteQuietly(temp);
            throw e;
        }
        return temp;
    }

    /** Renames the temp file over {@code file} atomically, sets its expiry hint and fsyncs the folder. */
    private void install(Path temp, Path file, Instant expiresAt) throws IOException {
        try {
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            deleteQuietly(temp);
            throw new SessionStoreException("the file system of " + file.getParent() + " cannot rename atomically", e);
        } catch (IOException | RuntimeException e) {
            deleteQuietly(temp);
            throw e;
        }
        setExpiryHint(file, expiresAt);
        syncDirectory(file.getParent());
    }

    /** The record's time becomes its expiry, so that a sweep can skip live records without reading them. */
    private static void setExpiryHint(Path file, Instant expiresAt) {
        try {
            Files.getFileAttributeView(file, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .setTimes(FileTime.from(expiresAt), null, null);
        } catch (IOException e) {
            // The time stays at the write, which is not after expiry: the sweep will read the file, not miss it.
            LOG.debug("could not set the expiry time of {}: {}", file, e.toString());
        }
    }

    private void syncDirectory(Path folder) {
        if (!directorySyncWorks) {
            return;
        }
        try (FileChannel channel = FileChannel.open(folder, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            directorySyncWorks = false;
            LOG.info("this platform cannot fsync folders ({}); renames in {} are durable once the OS flushes them",
                    e.toString(), directory);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.warn("could not remove temp file {}; the sweep will: {}", file, e.toString());
        }
    }

    // ---- sweeping and counting ----

    /** Sweeps one shard; false if it stopped early because the tally reached its limit. */
    private boolean sweepShard(int shard, Instant now, Tally tally) {
        Path folder = shardPath(shard);
        String prefix = folder.getFileName().toString();
        Instant tempCutoff = Instant.now().minus(TEMP_MAX_AGE);
        long seen = 0;
        long gone = 0;
        try {
            if (!isUsableShard(folder)) {
                setShardCount(shard, 0);
                return true;
            }
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder)) {
                for (Path entry : entries) {
                    String name = entry.getFileName().toString();
                    if (SessionKey.isKey(name) && name.startsWith(prefix, 2)) {
                        if (tally.full()) {
                            return false;
                        }
                        seen++;
                        BasicFileAttributes attributes = lstat(entry);
                        if (attributes == null) {
                            gone++;
                        } else if (attributes.isRegularFile() && attributes.lastModifiedTime().toInstant().isAfter(now)) {
                            continue; // live by its expiry hint
                        } else if (sweepRecord(new SessionKey(name), entry, now, tally)) {
                            gone++;
                        }
                    } else if (TEMP_NAME.matcher(name).matches()) {
                        BasicFileAttributes attributes = lstat(entry);
                        if (attributes != null && attributes.lastModifiedTime().toInstant().isBefore(tempCutoff)) {
                            LOG.info("removing leftover temp file {} (an interrupted write)", entry);
                            Files.deleteIfExists(entry);
                        }
                    }
                }
            } catch (DirectoryIteratorException e) {
                throw e.getCause();
            }
        } catch (IOException e) {
            throw unavailable("sweeping", folder, e);
        }
        setShardCount(shard, seen - gone);
        return true;
    }

    /** Removes the record if it is still expired (or corrupt) under its lock; true if the file is gone. */
    private boolean sweepRecord(SessionKey key, Path file, Instant now, Tally tally) throws IOException {
        SessionRecord deleted = null;
        try (FolderLocks.Held held = locks.lock(stripeOf(key), lockTimeout)) {
            Optional<SessionRecord> stored = readLocked(key, file);
            if (stored.isEmpty()) {
                return true;
            }
            SessionRecord record = stored.get();
            if (!record.isExpiredAt(now)) {
                // Written meanwhile, or its time was changed by something else: it stays, with a fresh hint.
                setExpiryHint(file, record.expiresAt());
                return false;
            }
            if (Files.deleteIfExists(file)) {
                counted(shardOf(key), -1);
                deleted = record;
            }
        }
        // Handed on outside the lock: a listener that calls the store must not find this thread holding a stripe.
        if (deleted != null) {
            tally.deleted(deleted);
        }
        return true;
    }

    /**
     * Counts the record about to be created, or refuses it once {@code maxSessions} records exist (recounting first, as
     * the count may be stale). Counting before the write, in one atomic step, keeps creates on other stripes from all
     * passing the check at once; the caller takes the count back if the write fails. Returns holding
     * {@link #createGate} shared, which the caller releases once the file is written: a recount takes it exclusively,
     * so that it never misses a file that is counted but not written yet.
     */
    private void reserveRoomForNewSession(int shard) {
        Lock shared = createGate.readLock();
        acquire(shared);
        if (counted(shard, +1) <= maxSessions) {
            return;
        }
        counted(shard, -1);
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
        if (counted(shard, +1) <= maxSessions) {
            return;
        }
        counted(shard, -1);
        shared.unlock();
        requestSweep();
        throw new SessionLimitExceededException("the session folder " + directory + " holds its maximum of "
                + maxSessions + " sessions; new sessions are refused until some expire");
    }

    private void acquire(Lock lock) {
        try {
            if (!lock.tryLock(lockTimeout.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new SessionStoreUnavailableException("timed out after " + lockTimeout
                        + " waiting for the session count of " + directory);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SessionStoreUnavailableException("interrupted while waiting for the session count of " + directory, e);
        }
    }

    /**
     * Asks for a sweep when the count reaches the threshold; again only once it has grown by a tenth of the threshold
     * or a sweep has lowered it, so that a folder full of live sessions is not listed on every create.
     */
    private void requestSweepIfOverThreshold() {
        long count = fileCount.get();
        if (fileThreshold == 0 || count < fileThreshold) {
            return;
        }
        long last = countAtLastSweepRequest.get();
        if ((count < last || count >= last + sweepRequestStep) && countAtLastSweepRequest.compareAndSet(last, count)) {
            LOG.debug("{} holds about {} session files (threshold {}): sweeping expired ones now", directory, count, fileThreshold);
            requestSweep();
        }
    }

    private void requestSweep() {
        try {
            sweepRequester.run();
        } catch (RuntimeException e) {
            LOG.warn("asking for a sweep of {} failed: {}", directory, e.toString());
        }
    }

    private void recount() {
        for (int shard = 0; shard < SHARDS; shard++) {
            Path folder = shardPath(shard);
            String prefix = folder.getFileName().toString();
            long seen = 0;
            try {
                if (isUsableShard(folder)) {
                    try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder)) {
                        for (Path entry : entries) {
                            String name = entry.getFileName().toString();
                            if (SessionKey.isKey(name) && name.startsWith(prefix, 2)) {
                                seen++;
                            }
                        }
                    } catch (DirectoryIteratorException e) {
                        throw e.getCause();
                    }
                }
            } catch (IOException e) {
                throw unavailable("counting the files of", folder, e);
            }
            setShardCount(shard, seen);
        }
    }

    private void setShardCount(int shard, long observed) {
        long before = shardCounts.getAndSet(shard, observed);
        fileCount.addAndGet(observed - before);
    }

    /** @return the new total */
    private long counted(int shard, long delta) {
        shardCounts.addAndGet(shard, delta);
        return fileCount.addAndGet(delta);
    }

    // ---- folders ----

    private Path shardPath(int shard) {
        return directory.resolve(HEX.toHexDigits((byte) shard));
    }

    private static int shardOf(SessionKey key) {
        return Integer.parseInt(key.value().substring(2, 4), 16);
    }

    /** Keys of one shard share a stripe, so a sweep of a shard and the writes to it contend on the same locks. */
    private static int stripeOf(SessionKey key) {
        return shardOf(key);
    }

    /** Whether the shard exists; refuses one that is not a real folder. */
    private boolean checkShard(Path folder) throws IOException {
        BasicFileAttributes attributes = lstat(folder);
        if (attributes == null) {
            return false;
        }
        if (!attributes.isDirectory()) {
            throw new SessionStoreException("refusing " + folder + ": it is "
                    + (attributes.isSymbolicLink() ? "a symbolic link" : "not a folder") + " (symbolic links are never followed)");
        }
        return true;
    }

    /** For listing: whether the shard exists and is a real folder; one that is not is skipped with a warning. */
    private boolean isUsableShard(Path folder) throws IOException {
        try {
            return checkShard(folder);
        } catch (SessionStoreException e) {
            LOG.warn("skipping {}: {}", folder, e.getMessage());
            return false;
        }
    }

    private void ensureShard(Path folder) throws IOException {
        if (!checkShard(folder)) {
            try {
                Files.createDirectory(folder, directoryAttributes);
            } catch (FileAlreadyExistsException e) {
                checkShard(folder); // created by another thread or process meanwhile
            }
        }
    }

    /** Creates the folder 0700 or checks that the existing one is a real folder, not a symbolic link. */
    private void prepareDirectory(Path folder, boolean withParents) throws IOException {
        BasicFileAttributes attributes = lstat(folder);
        if (attributes == null) {
            try {
                if (withParents) {
                    Files.createDirectories(folder, directoryAttributes);
                } else {
                    Files.createDirectory(folder, directoryAttributes);
                }
            } catch (FileAlreadyExistsException e) {
                // created by another process meanwhile; checked below
            }
            attributes = lstat(folder);
        }
        if (attributes == null || !attributes.isDirectory()) {
            throw new SessionStoreException("refusing session folder " + folder + ": it is "
                    + (attributes == null ? "missing" : attributes.isSymbolicLink() ? "a symbolic link" : "not a folder")
                    + " (symbolic links are never followed)");
        }
        if (directoryAttributes.length > 0) {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(folder, LinkOption.NOFOLLOW_LINKS);
            if (permissions.stream().anyMatch(p -> !p.name().startsWith("OWNER"))) {
                LOG.warn("session folder {} is open to other users ({}); session data should be readable by its owner only",
                        folder, PosixFilePermissions.toString(permissions));
            }
        }
    }

    private static BasicFileAttributes lstat(Path path) throws IOException {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new SessionStoreUnavailableException("file session store " + directory + " is closed");
        }
    }

    private static SessionStoreUnavailableException unavailable(String action, Path path, IOException cause) {
        return new SessionStoreUnavailableException(action + " " + path + " failed: " + cause, cause);
    }

    /** A record file that is not a record we wrote. */
    static final class CorruptRecordException extends Exception {
        CorruptRecordException(String message) {
            super(message, null, false, false);
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
         */
        public Builder fileThreshold(long value) { this.fileThreshold = value; return this; }

        /** Hard cap on stored sessions: beyond it new sessions are refused ({@link SessionLimitExceededException}). */
        public Builder maxSessions(long value) { this.maxSessions = value; return this; }

        /**
         * Bound on the wait for a session's lock while another thread or process writes it (default
         * {@link CloakroomConfig#DEFAULT_STORE_TIMEOUT}); beyond it the call throws
         * {@link SessionStoreUnavailableException}. File operations themselves are local and not bounded by it.
         */
        public Builder lockTimeout(Duration value) { this.lockTimeout = Objects.requireNonNull(value, "lockTimeout"); return this; }

        /**
         * Validates the settings, creates the folder (0700) if it is missing and counts its session files.
         *
         * @throws IllegalArgumentException for a negative threshold, a cap below 1 or a lock timeout that is not positive
         * @throws SessionStoreException if the folder is a symbolic link or not a folder
         * @throws SessionStoreUnavailableException if the folder cannot be created or read
         */
        public FileSessionStore build() {
            if (fileThreshold < 0) {
                throw new IllegalArgumentException("fileThreshold must not be negative: " + fileThreshold);
            }
            if (maxSessions < 1) {
                throw new IllegalArgumentException("maxSessions must be positive: " + maxSessions);
            }
            if (lockTimeout.isNegative() || lockTimeout.isZero()) {
                throw new IllegalArgumentException("lockTimeout must be positive: " + lockTimeout);
            }
            return new FileSessionStore(this);
        }
    }
}
