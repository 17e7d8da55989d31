package dev.cloakroom.file;

import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionStoreException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * The principal index of a store folder: {@code principals/<digest of the name>/<key>}, one empty marker file per
 * record that holds the principal, whose modification time is the record's expiry (as for record files). The folder
 * name is the SHA-256 of the name in UTF-8, so a user name never becomes a path.
 *
 * <p>The record file is the truth and a marker only a pointer: a marker is created before the record names its
 * principal and removed after the record stops naming it, each under the record's stripe lock (the caller's business),
 * so a crash leaves at most a stale marker, never a record that its principal's folder does not point to. A stale
 * marker (its record missing, or naming another principal) is never returned: readers check the record and remove the
 * marker, and so does the sweep. Markers of different keys share a principal's folder without a common lock: a folder
 * emptied is removed at once, and a marker whose folder vanished meanwhile is created again with its folder.
 */
final class PrincipalIndex {
    static final String DIR = "principals";
    private static final Pattern DIGEST = Pattern.compile("[0-9a-f]{64}");
    private static final int CREATE_ATTEMPTS = 10;

    private final Path root;
    private final FileAttribute<?>[] directoryAttributes;
    private final FileAttribute<?>[] fileAttributes;
    private final Consumer<Path> syncDirectory;

    PrincipalIndex(Path storeFolder, FileAttribute<?>[] directoryAttributes, FileAttribute<?>[] fileAttributes,
                   Consumer<Path> syncDirectory) {
        this.root = storeFolder.resolve(DIR);
        this.directoryAttributes = directoryAttributes;
        this.fileAttributes = fileAttributes;
        this.syncDirectory = syncDirectory;
    }

    /** A marker of the index: its file, the key it names, and its time (the expiry of that record when written). */
    record Marker(Path file, SessionKey key, Instant expiresAt) {
    }

    /** The folder of {@code principal}'s markers. */
    Path folderOf(String principal) {
        return root.resolve(digest(principal));
    }

    /**
     * Adds the marker of {@code key} under {@code principal}, with {@code expiresAt} as its time; idempotent. The new
     * marker's folder is fsynced before this returns, so that a record written after it is never left unindexed by a
     * crash (a "sign out everywhere" must not miss it).
     */
    void add(String principal, SessionKey key, Instant expiresAt) throws IOException {
        Path folder = folderOf(principal);
        Path marker = folder.resolve(key.value());
        for (int attempt = 1; ; attempt++) {
            try {
                if (ensureFolder(root)) {
                    syncDirectory.accept(root.getParent());
                }
                if (ensureFolder(folder)) {
                    syncDirectory.accept(root);
                }
                Files.newByteChannel(marker, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                        LinkOption.NOFOLLOW_LINKS), fileAttributes).close();
                syncDirectory.accept(folder);
                break;
            } catch (FileAlreadyExistsException e) {
                break;
            } catch (NoSuchFileException e) {
                // another key's removal took the emptied folder away between our two steps: make it again
                if (attempt == CREATE_ATTEMPTS) {
                    throw e;
                }
            }
        }
        RecordFolder.setExpiryHint(marker, expiresAt);
    }

    /** Moves the time of an existing marker to the record's new expiry, so the sweep and lookups can trust it. */
    void touch(String principal, SessionKey key, Instant expiresAt) {
        RecordFolder.setExpiryHint(folderOf(principal).resolve(key.value()), expiresAt);
    }

    /** Removes the marker of {@code key} under {@code principal}, and the principal's folder if that left it empty. */
    void remove(String principal, SessionKey key) throws IOException {
        remove(folderOf(principal).resolve(key.value()));
    }

    /** Removes a marker file, and its folder if that left it empty. */
    void remove(Path marker) throws IOException {
        Files.deleteIfExists(marker);
        removeIfEmpty(marker.getParent());
    }

    /** The markers of {@code principal}, latest expiry first; empty if it has none. */
    List<Marker> markersOf(String principal) throws IOException {
        return markersIn(folderOf(principal));
    }

    /** Every principal folder of the index, for the sweep. */
    List<Path> folders() throws IOException {
        List<Path> folders = new ArrayList<>();
        if (!isRealFolder(root)) {
            return folders;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
            for (Path entry : entries) {
                if (DIGEST.matcher(entry.getFileName().toString()).matches() && isRealFolder(entry)) {
                    folders.add(entry);
                }
            }
        } catch (DirectoryIteratorException e) {
            throw e.getCause();
        }
        return folders;
    }

    /** The markers in one principal folder, latest expiry first; a name that is not a key is not a marker. */
    List<Marker> markersIn(Path folder) throws IOException {
        List<Marker> markers = new ArrayList<>();
        if (!isRealFolder(folder)) {
            return markers;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                BasicFileAttributes attributes = RecordFolder.lstat(entry);
                if (SessionKey.isKey(name) && attributes != null && attributes.isRegularFile()) {
                    markers.add(new Marker(entry, new SessionKey(name), attributes.lastModifiedTime().toInstant()));
                }
            }
        } catch (DirectoryIteratorException e) {
            throw e.getCause();
        } catch (NoSuchFileException e) {
            return markers; // emptied and removed meanwhile
        }
        markers.sort((a, b) -> b.expiresAt().compareTo(a.expiresAt()));
        return markers;
    }

    private void removeIfEmpty(Path folder) throws IOException {
        try {
            Files.deleteIfExists(folder);
        } catch (DirectoryNotEmptyException e) {
            // another key of the principal still has a marker there
        }
    }

    /** Creates the folder if it is missing; true if this call created it. */
    private boolean ensureFolder(Path folder) throws IOException {
        if (isRealFolder(folder)) {
            return false;
        }
        try {
            Files.createDirectory(folder, directoryAttributes);
            return true;
        } catch (FileAlreadyExistsException e) {
            isRealFolder(folder); // created meanwhile by another thread or process; refused if not a folder
            return false;
        }
    }

    /** Whether a real folder is at {@code path}; something else there (a link, a file) is refused. */
    private static boolean isRealFolder(Path path) throws IOException {
        BasicFileAttributes attributes = RecordFolder.lstat(path);
        if (attributes == null) {
            return false;
        }
        if (!attributes.isDirectory()) {
            throw new SessionStoreException("refusing " + path + ": it is "
                    + (attributes.isSymbolicLink() ? "a symbolic link" : "not a folder") + " (symbolic links are never followed)");
        }
        return true;
    }

    static String digest(String principal) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(principal.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
