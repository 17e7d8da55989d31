package dev.cloakroom.file;

import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionStoreException;
import dev.cloakroom.SessionStoreUnavailableException;
import dev.cloakroom.SessionTooLargeException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
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
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store folder's layout and every file operation on it, kept in one place so that each of them is crash-safe and
 * literal in the same way: files are written to a unique temp file, fsynced and renamed atomically, and the folder is
 * fsynced where the platform allows; folders are created 0700 and files 0600; no symbolic link is ever followed; and a
 * read checks what is at a path before opening it, so that a FIFO cannot block it and a huge file cannot fill the heap.
 *
 * <p>Layout: {@code <folder>/<shard>/<key>}, where the shard is the key digest's first two hex digits, beside
 * {@code .<key>.<random>.tmp} for a write in progress, and {@code .cloakroom/lock} for the {@link FolderLocks}.
 * Locking is the caller's business: this class only does the I/O.
 */
final class RecordFolder {
    private static final Logger LOG = LoggerFactory.getLogger(RecordFolder.class);

    static final int SHARDS = 256;
    static final String HIDDEN_DIR = ".cloakroom";
    static final String LOCK_FILE = "lock";
    /** Age after which a temp file is a leftover of an interrupted write: far beyond any lock timeout. */
    static final Duration TEMP_MAX_AGE = Duration.ofMinutes(5);
    private static final Pattern TEMP_NAME = Pattern.compile("\\.v1[0-9a-f]{64}\\.[0-9a-f]{16}\\.tmp");
    private static final HexFormat HEX = HexFormat.of();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path directory;
    private final FileAttribute<?>[] directoryAttributes;
    private final FileAttribute<?>[] fileAttributes;
    private volatile boolean directorySyncWorks = true;

    /** Creates the folder and its hidden folder (0700) if missing, or checks that they are real folders. */
    RecordFolder(Path directory) throws IOException {
        this.directory = directory.toAbsolutePath().normalize();
        boolean posix = this.directory.getFileSystem().supportedFileAttributeViews().contains("posix");
        this.directoryAttributes = posix
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"))}
                : new FileAttribute<?>[0];
        this.fileAttributes = posix
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
                : new FileAttribute<?>[0];
        prepareDirectory(this.directory, true);
        prepareDirectory(this.directory.resolve(HIDDEN_DIR), false);
    }

    Path directory() {
        return directory;
    }

    /** The locks of this folder, shared with the other stores of this JVM on it. */
    FolderLocks openLocks() throws IOException {
        return FolderLocks.open(directory.toRealPath(), directory.resolve(HIDDEN_DIR).resolve(LOCK_FILE), fileAttributes, SHARDS);
    }

    /** The principal index beside the shards, with this folder's permissions. */
    PrincipalIndex principalIndex() {
        return new PrincipalIndex(directory, directoryAttributes, fileAttributes, this::syncDirectory);
    }

    Path fileOf(SessionKey key) {
        String value = key.value();
        return directory.resolve(value.substring(2, 4)).resolve(value);
    }

    Path shardPath(int shard) {
        return directory.resolve(HEX.toHexDigits((byte) shard));
    }

    static int shardOf(SessionKey key) {
        return Integer.parseInt(key.value().substring(2, 4), 16);
    }

    /** Whether {@code name}, listed in shard {@code shard}, is the name of a record that belongs there. */
    static boolean isRecordName(int shard, String name) {
        return SessionKey.isKey(name) && name.startsWith(HEX.toHexDigits((byte) shard), 2);
    }

    static boolean isTempName(String name) {
        return TEMP_NAME.matcher(name).matches();
    }

    /** Whether the shard exists; refuses one that is not a real folder. */
    boolean shardExists(Path shard) throws IOException {
        BasicFileAttributes attributes = lstat(shard);
        if (attributes == null) {
            return false;
        }
        if (!attributes.isDirectory()) {
            throw new SessionStoreException("refusing " + shard + ": it is "
                    + (attributes.isSymbolicLink() ? "a symbolic link" : "not a folder") + " (symbolic links are never followed)");
        }
        return true;
    }

    /** For listing: whether the shard exists and is a real folder; one that is not is skipped with a warning. */
    boolean isUsableShard(Path shard) throws IOException {
        try {
            return shardExists(shard);
        } catch (SessionStoreException e) {
            LOG.warn("skipping {}: {}", shard, e.getMessage());
            return false;
        }
    }

    void ensureShard(Path shard) throws IOException {
        if (!shardExists(shard)) {
            try {
                Files.createDirectory(shard, directoryAttributes);
            } catch (FileAlreadyExistsException e) {
                shardExists(shard); // created by another thread or process meanwhile
            }
        }
    }

    /** The number of record files in the shard, by listing it. */
    long countRecords(int shard) throws IOException {
        Path folder = shardPath(shard);
        if (!isUsableShard(folder)) {
            return 0;
        }
        long seen = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder)) {
            for (Path entry : entries) {
                if (isRecordName(shard, entry.getFileName().toString())) {
                    seen++;
                }
            }
        } catch (DirectoryIteratorException e) {
            throw e.getCause();
        }
        return seen;
    }

    /** The names of the shard's records that sort after {@code after}, in order; none if the shard is missing. */
    List<String> recordNames(int shard, String after) throws IOException {
        Path folder = shardPath(shard);
        if (!isUsableShard(folder)) {
            return List.of();
        }
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (isRecordName(shard, name) && name.compareTo(after) > 0) {
                    names.add(name);
                }
            }
        } catch (DirectoryIteratorException e) {
            throw e.getCause();
        }
        Collections.sort(names);
        return names;
    }

    /**
     * The file's bytes, or null if there is no file. Its type and size are checked before it is opened, without
     * following links: opening a FIFO would block until something writes to it, and a huge file would fill the heap.
     * (The folder is its owner's alone, so nothing else can swap the file between the check and the open.)
     */
    static byte[] read(Path file) throws IOException, CorruptRecordException {
        BasicFileAttributes attributes = lstat(file);
        if (attributes == null) {
            return null;
        }
        if (!attributes.isRegularFile()) {
            throw new CorruptRecordException(attributes.isDirectory() ? "a folder"
                    : attributes.isSymbolicLink() ? "a symbolic link, never followed" : "not a regular file");
        }
        requireRecordSize(attributes.size());
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            long size = channel.size();
            requireRecordSize(size);
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

    private static void requireRecordSize(long size) throws CorruptRecordException {
        if (size > RecordFormat.MAX_RECORD_BYTES) {
            throw new CorruptRecordException("larger than " + RecordFormat.MAX_RECORD_BYTES + " bytes: " + size);
        }
    }

    /** Writes {@code bytes} over {@code file} crash-safely: a temp file, fsynced, renamed into place. */
    void write(Path file, SessionKey key, byte[] bytes, Instant expiresAt) throws IOException {
        install(writeTemp(file.getParent(), key, bytes), file, expiresAt);
    }

    /** The bytes in a new temp file of {@code shard}, fsynced: nothing a reader can see has changed yet. */
    Path writeTemp(Path shard, SessionKey key, byte[] bytes) throws IOException {
        if (bytes.length > RecordFormat.MAX_RECORD_BYTES) {
            throw new SessionTooLargeException(bytes.length, RecordFormat.MAX_RECORD_BYTES);
        }
        byte[] suffix = new byte[8];
        RANDOM.nextBytes(suffix);
        Path temp = shard.resolve("." + key.value() + "." + HEX.formatHex(suffix) + ".tmp");
        Set<OpenOption> options = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        try (FileChannel channel = FileChannel.open(temp, options, fileAttributes)) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        } catch (IOException | RuntimeException e) {
            deleteTemp(temp);
            throw e;
        }
        return temp;
    }

    /** Renames the temp file over {@code file} atomically, sets its expiry hint and fsyncs the folder. */
    void install(Path temp, Path file, Instant expiresAt) throws IOException {
        try {
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            deleteTemp(temp);
            throw new SessionStoreException("the file system of " + file.getParent() + " cannot rename atomically", e);
        } catch (IOException | RuntimeException e) {
            deleteTemp(temp);
            throw e;
        }
        setExpiryHint(file, expiresAt);
        syncDirectory(file.getParent());
    }

    /** Removes the file and fsyncs its folder, so that the removal outlives a crash; returns whether it was there. */
    boolean delete(Path file) throws IOException {
        boolean existed = Files.deleteIfExists(file);
        if (existed) {
            syncDirectory(file.getParent());
        }
        return existed;
    }

    /**
     * Removes what sits at a record's path unless it is a folder, which the store never creates under a key's name
     * and so never removes; returns whether something was removed.
     */
    static boolean discard(Path file) throws IOException {
        BasicFileAttributes attributes = lstat(file);
        return attributes != null && !attributes.isDirectory() && Files.deleteIfExists(file);
    }

    /** Removes a temp file whose write was interrupted, judged by its age on the wall clock (it carries no session time). */
    static void removeIfStaleTemp(Path entry, Instant cutoff) throws IOException {
        BasicFileAttributes attributes = lstat(entry);
        if (attributes != null && attributes.lastModifiedTime().toInstant().isBefore(cutoff)) {
            LOG.info("removing leftover temp file {} (an interrupted write)", entry);
            Files.deleteIfExists(entry);
        }
    }

    /** The record's time becomes its expiry, so that a sweep can skip live records without reading them. */
    static void setExpiryHint(Path file, Instant expiresAt) {
        try {
            Files.getFileAttributeView(file, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .setTimes(FileTime.from(expiresAt), null, null);
        } catch (IOException e) {
            // The time stays at the write, which is not after expiry: the sweep will read the file, not miss it.
            LOG.debug("could not set the expiry time of {}: {}", file, e.toString());
        }
    }

    /** The attributes of what is at {@code path} itself (a link is not followed), or null if nothing is. */
    static BasicFileAttributes lstat(Path path) throws IOException {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    static SessionStoreUnavailableException unavailable(String action, Path path, IOException cause) {
        return new SessionStoreUnavailableException(action + " " + path + " failed: " + cause, cause);
    }

    void syncDirectory(Path folder) {
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

    /** Removes a temp file that will not be installed; a failure is logged, as the sweep removes it later. */
    static void deleteTemp(Path temp) {
        try {
            Files.deleteIfExists(temp);
        } catch (IOException e) {
            LOG.warn("could not remove temp file {}; the sweep will: {}", temp, e.toString());
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
}
