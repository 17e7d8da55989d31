package dev.cloakroom.file;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloakroom.MutableClock;
import dev.cloakroom.SessionKey;
import dev.cloakroom.spi.SessionRecord;
import dev.cloakroom.spi.SessionWrite;
import dev.cloakroom.spi.WriteResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a writer killed part-way leaves in the folder, and what the store makes of it. The crash is simulated by
 * leaving exactly the files the store's own steps would have left at that point (a temp file named and placed as
 * {@link RecordFolder#writeTemp} names and places it, holding what {@link RecordFormat#encode} wrote, in full or cut
 * short), then opening a new store on the folder, as a restarted application does. A real {@code kill -9} of a
 * separate process is the system tests' part.
 */
@Tag("unit")
class FileStoreCrashTest {
    private static final Duration IDLE = Duration.ofMinutes(30);
    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    Path temp;

    private final MutableClock clock = new MutableClock();
    private final List<FileSessionStore> stores = new ArrayList<>();

    @AfterEach
    void closeAll() {
        stores.forEach(FileSessionStore::close);
    }

    /** A store on the folder, as the application (re)started on it opens one. */
    private FileSessionStore open() {
        FileSessionStore store = FileSessionStore.builder(temp.resolve("flask_session")).build();
        stores.add(store);
        return store;
    }

    // Proves docs/persistence.md#filesystem-crash
    @Test
    void writeWhenKilledBeforeItsRenameThenTheRecordKeepsItsLastCompleteVersionAndTheSweepRemovesTheTempFile() throws IOException {
        FileSessionStore before = open();
        SessionKey key = randomKey();
        assertThat(before.write(write(key, true, Map.of("file_contents", "[\"first\"]")))).isEqualTo(WriteResult.WRITTEN);
        SessionRecord written = before.load(key).orElseThrow();
        byte[] next = RecordFormat.encode(write(key, false, Map.of("file_contents", "[\"second\"]")).applyTo(written));
        // killed after the fsync, before the rename; and another write killed half-way through its bytes
        Path complete = leftoverTemp(before, key, next);
        Path half = leftoverTemp(before, key, Arrays.copyOf(next, next.length / 2));

        FileSessionStore restarted = open();

        assertThat(restarted.load(key)).contains(written);
        assertThat(restarted.list(null, 10).records()).hasSize(1);
        assertThat(sweep(restarted)).as("nothing expired").isZero();
        assertThat(complete).as("fresh: it may be a write in progress").exists();
        assertThat(half).exists();
        assertThat(restarted.write(write(key, false, Map.of("file_contents", "[\"third\"]")))).isEqualTo(WriteResult.WRITTEN);
        assertThat(restarted.load(key).orElseThrow().attributes()).containsEntry("file_contents", "[\"third\"]");

        age(complete, half);
        assertThat(sweep(restarted)).isZero();

        assertThat(complete).doesNotExist();
        assertThat(half).doesNotExist();
        assertThat(restarted.load(key).orElseThrow().attributes()).containsEntry("file_contents", "[\"third\"]");
    }

    // Proves docs/persistence.md#filesystem-crash
    @Test
    void moveWhenKilledBetweenItsStepsThenTheOldKeyIsLiveOrNeitherButNeverBoth() throws IOException {
        FileSessionStore before = open();
        SessionKey from = randomKey();
        SessionKey to = randomKey();
        before.write(write(from, true, Map.of("user", "\"ann\"")));
        SessionRecord stored = before.load(from).orElseThrow();
        byte[] moved = RecordFormat.encode(write(to, false, Map.of()).applyTo(stored));

        // killed once the new record's temp file was fsynced, before the old file was removed
        Files.createDirectories(before.fileOf(to).getParent());
        Path first = leftoverTemp(before, to, moved);
        FileSessionStore restarted = open();
        assertThat(restarted.load(from)).contains(stored);
        assertThat(restarted.load(to)).isEmpty();

        // killed once the old file was removed, before the rename: the session is lost, not doubled
        Files.delete(restarted.fileOf(from));
        Path second = leftoverTemp(restarted, to, moved);
        FileSessionStore again = open();
        assertThat(again.load(from)).isEmpty();
        assertThat(again.load(to)).isEmpty();

        age(first, second);
        sweep(again);
        assertThat(first).doesNotExist();
        assertThat(second).doesNotExist();
    }

    // Proves docs/persistence.md#filesystem-crash
    @Test
    void recordWhenCutShortAtAnyLengthThenNeverReturnedPartlyButAbsentAndRemoved() throws IOException {
        FileSessionStore store = open();
        SessionKey key = randomKey();
        store.write(write(key, true, Map.of("file_contents", "[\"a line\",\"  indented\"]", "count", "3")));
        SessionRecord whole = store.load(key).orElseThrow();
        Path file = store.fileOf(key);
        byte[] bytes = Files.readAllBytes(file);

        // about 60 cuts spread over the record, and each of its last 16 bytes, where only closing characters remain
        int step = Math.max(1, bytes.length / 60);
        for (int length = 0; length < bytes.length; length += length < bytes.length - 16 ? step : 1) {
            Files.write(file, Arrays.copyOf(bytes, length));

            Optional<SessionRecord> loaded = store.load(key);

            // a prefix that still parses can only be the whole record less trailing white space
            assertThat(loaded).as("cut to %d of %d bytes", length, bytes.length).satisfiesAnyOf(
                    found -> assertThat(found).isEmpty(), found -> assertThat(found).contains(whole));
            if (loaded.isEmpty()) {
                assertThat(file).as("removed, cut to %d bytes", length).doesNotExist();
            }
        }
    }

    /** The file a write killed after {@link RecordFolder#writeTemp} leaves: {@code .<key>.<16 hex>.tmp} in the key's shard. */
    private static Path leftoverTemp(FileSessionStore store, SessionKey key, byte[] content) throws IOException {
        byte[] suffix = new byte[8];
        RANDOM.nextBytes(suffix);
        String name = "." + key.value() + "." + HexFormat.of().formatHex(suffix) + ".tmp";
        assertThat(RecordFolder.isTempName(name)).as("named as the store names its temp files").isTrue();
        return Files.write(store.fileOf(key).getParent().resolve(name), content);
    }

    /** Older than the age at which the sweep takes a temp file for a leftover rather than a write in progress. */
    private static void age(Path... files) throws IOException {
        for (Path file : files) {
            Files.setLastModifiedTime(file, FileTime.from(Instant.now().minus(RecordFolder.TEMP_MAX_AGE).minusSeconds(60)));
        }
    }

    private int sweep(FileSessionStore store) {
        return store.sweep(clock.instant(), 100, record -> { });
    }

    private SessionWrite write(SessionKey key, boolean create, Map<String, String> upserts) {
        Instant now = clock.instant();
        return new SessionWrite(key, create, upserts, Set.of(), now, now, IDLE, now.plus(IDLE), SessionWrite.ANY_VERSION, now,
                SessionWrite.NO_SIZE_LIMIT);
    }

    private static SessionKey randomKey() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return new SessionKey("v1" + HexFormat.of().formatHex(bytes));
    }
}
