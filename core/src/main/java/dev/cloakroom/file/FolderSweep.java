package dev.cloakroom.file;

import dev.cloakroom.SessionKey;
import dev.cloakroom.spi.SessionRecord;

import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The sweep of one store folder, a walk over its shards by file time. Each record's modification time is its
 * {@code expiresAt}, so a sweep lists a shard and reads only the files whose time has passed, then re-checks each under
 * its lock before removing it. A call resumes where the last one stopped and lists each shard at most once. If
 * something else changes a file's time, the sweep may read a live record for nothing or reach an expired one late;
 * expiry on read does not depend on it.
 *
 * <p>Each deleted record is handed on the moment its file is gone, outside the lock, so that a failure in a later
 * shard loses no report. Unreadable records and temp files older than {@link RecordFolder#TEMP_MAX_AGE} go too, and so
 * does a deleted record's principal index marker, in the same locked step. A call that reached every shard then
 * removes the index's stale markers ({@link PrincipalIndex}).
 */
final class FolderSweep {

    /** Reads a record while its caller holds the key's lock, removing it if unreadable. */
    interface LockedReader {
        Optional<SessionRecord> read(SessionKey key, Path file) throws IOException;
    }

    private final RecordFolder folder;
    private final FolderLocks locks;
    private final SessionCount count;
    private final Duration lockTimeout;
    private final LockedReader reader;
    private final AtomicInteger cursor = new AtomicInteger();
    private final PrincipalIndex principals;

    FolderSweep(RecordFolder folder, FolderLocks locks, SessionCount count, Duration lockTimeout, LockedReader reader,
                PrincipalIndex principals) {
        this.principals = principals;
        this.folder = folder;
        this.locks = locks;
        this.count = count;
        this.lockTimeout = lockTimeout;
        this.reader = reader;
    }

    /** As {@link dev.cloakroom.spi.SessionStore#sweep}; the caller has checked the arguments. */
    int sweep(Instant now, int limit, Consumer<SessionRecord> deleted) {
        Tally tally = new Tally(limit, deleted);
        int start = cursor.get();
        for (int i = 0; i < RecordFolder.SHARDS; i++) {
            int shard = (start + i) % RecordFolder.SHARDS;
            try {
                if (!sweepShard(shard, now, tally)) {
                    cursor.set(shard);
                    return tally.count;
                }
            } catch (RuntimeException | Error e) {
                // The next call starts after the shard that failed, so that one stuck shard cannot stall all the others.
                cursor.set((shard + 1) % RecordFolder.SHARDS);
                throw e;
            }
        }
        sweepIndex(now);
        return tally.count;
    }

    /**
     * Once every shard was swept: removes the principal index's stale markers, those whose time has passed and whose
     * record, read under its lock, is missing or names another principal (leftovers of a crash or of an unreadable
     * record removed). A marker of a record written meanwhile gets the record's time back.
     */
    private void sweepIndex(Instant now) {
        try {
            for (Path principalFolder : principals.folders()) {
                for (PrincipalIndex.Marker marker : principals.markersIn(principalFolder)) {
                    if (!marker.expiresAt().isAfter(now)) {
                        sweepMarker(marker, principalFolder);
                    }
                }
            }
        } catch (IOException e) {
            throw RecordFolder.unavailable("sweeping the principal index in", folder.directory(), e);
        }
    }

    private void sweepMarker(PrincipalIndex.Marker marker, Path principalFolder) throws IOException {
        SessionKey key = marker.key();
        try (FolderLocks.Held held = locks.lock(RecordFolder.shardOf(key), lockTimeout)) {
            Path file = folder.fileOf(key);
            Optional<SessionRecord> record = folder.isUsableShard(file.getParent()) ? reader.read(key, file) : Optional.empty();
            if (record.isEmpty() || record.get().principal() == null
                    || !principals.folderOf(record.get().principal()).equals(principalFolder)) {
                principals.remove(marker.file());
            } else if (record.get().expiresAt().isAfter(marker.expiresAt())) {
                RecordFolder.setExpiryHint(marker.file(), record.get().expiresAt());
            }
        }
    }

    /** Sweeps one shard; false if it stopped early because the tally reached its limit. */
    private boolean sweepShard(int shard, Instant now, Tally tally) {
        Path shardPath = folder.shardPath(shard);
        Instant tempCutoff = Instant.now().minus(RecordFolder.TEMP_MAX_AGE);
        long seen = 0;
        long gone = 0;
        try {
            if (!folder.isUsableShard(shardPath)) {
                count.observed(shard, 0);
                return true;
            }
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(shardPath)) {
                for (Path entry : entries) {
                    String name = entry.getFileName().toString();
                    if (RecordFolder.isRecordName(shard, name)) {
                        if (tally.full()) {
                            return false;
                        }
                        seen++;
                        BasicFileAttributes attributes = RecordFolder.lstat(entry);
                        if (attributes == null) {
                            gone++;
                        } else if (attributes.isRegularFile() && attributes.lastModifiedTime().toInstant().isAfter(now)) {
                            continue; // live by its expiry hint
                        } else if (sweepRecord(new SessionKey(name), entry, now, tally)) {
                            gone++;
                        }
                    } else if (RecordFolder.isTempName(name)) {
                        RecordFolder.removeIfStaleTemp(entry, tempCutoff);
                    }
                }
            } catch (DirectoryIteratorException e) {
                throw e.getCause();
            }
        } catch (IOException e) {
            throw RecordFolder.unavailable("sweeping", shardPath, e);
        }
        count.observed(shard, seen - gone);
        return true;
    }

    /** Removes the record if it is still expired (or unreadable) under its lock; true if the file is gone. */
    private boolean sweepRecord(SessionKey key, Path file, Instant now, Tally tally) throws IOException {
        SessionRecord deleted = null;
        try (FolderLocks.Held held = locks.lock(RecordFolder.shardOf(key), lockTimeout)) {
            Optional<SessionRecord> stored = reader.read(key, file);
            if (stored.isEmpty()) {
                return true;
            }
            SessionRecord record = stored.get();
            if (!record.isExpiredAt(now)) {
                // Written meanwhile, or its time was changed by something else: it stays, with a fresh hint.
                RecordFolder.setExpiryHint(file, record.expiresAt());
                return false;
            }
            if (Files.deleteIfExists(file)) {
                count.removed(RecordFolder.shardOf(key));
                deleted = record;
                if (record.principal() != null) {
                    principals.remove(record.principal(), key);
                }
            }
        }
        // Handed on outside the lock: a listener that calls the store must not find this thread holding a stripe.
        if (deleted != null) {
            tally.deleted(deleted);
        }
        return true;
    }

    /** The deletions of one sweep call. */
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
}
