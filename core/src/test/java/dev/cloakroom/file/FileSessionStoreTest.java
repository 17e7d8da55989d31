package dev.cloakroom.file;

import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.MutableClock;
import dev.cloakroom.Session;
import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionLimitExceededException;
import dev.cloakroom.SessionListener;
import dev.cloakroom.SessionManager;
import dev.cloakroom.SessionStoreException;
import dev.cloakroom.SessionStoreUnavailableException;
import dev.cloakroom.SessionStores;
import dev.cloakroom.Settings;
import dev.cloakroom.UnsupportedAttributeException;
import dev.cloakroom.spi.SessionRecord;
import dev.cloakroom.spi.SessionStore;
import dev.cloakroom.spi.SessionWrite;
import dev.cloakroom.spi.SweepLease;
import dev.cloakroom.spi.WriteResult;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Tag("unit")
class FileSessionStoreTest {
    private static final Duration IDLE = Duration.ofMinutes(30);
    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    Path temp;

    private final MutableClock clock = new MutableClock();
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable closeable : toClose) {
            closeable.close();
        }
    }

    private Path folder() {
        return temp.resolve("flask_session");
    }

    private FileSessionStore open(FileSessionStore.Builder builder) {
        FileSessionStore store = builder.build();
        toClose.add(store);
        return store;
    }

    private FileSessionStore open() {
        return open(FileSessionStore.builder(folder()));
    }

    private static SessionKey randomKey() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return new SessionKey("v1" + HexFormat.of().formatHex(bytes));
    }

    private static SessionKey keyInShard(String shard) {
        while (true) {
            SessionKey key = randomKey();
            if (key.value().startsWith(shard, 2)) {
                return key;
            }
        }
    }

    private SessionWrite create(SessionKey key, Map<String, String> attributes) {
        Instant now = clock.instant();
        return new SessionWrite(key, true, attributes, Set.of(), now, now, IDLE, now.plus(IDLE), SessionWrite.ANY_VERSION, now, SessionWrite.NO_SIZE_LIMIT);
    }

    private SessionWrite change(SessionKey key, Map<String, String> upserts) {
        Instant now = clock.instant();
        return new SessionWrite(key, false, upserts, Set.of(), now, now, IDLE, now.plus(IDLE), SessionWrite.ANY_VERSION, now, SessionWrite.NO_SIZE_LIMIT);
    }

    private SessionWrite change(SessionKey key, Map<String, String> upserts, long maxBytes) {
        Instant now = clock.instant();
        return new SessionWrite(key, false, upserts, Set.of(), now, now, IDLE, now.plus(IDLE), SessionWrite.ANY_VERSION, now, maxBytes);
    }

    /** The locks the stores of this JVM share on {@link #folder()}, as another thread holding a stripe would see them. */
    private FolderLocks sharedLocks() throws IOException {
        return FolderLocks.open(folder().toRealPath(), folder().resolve(RecordFolder.HIDDEN_DIR)
                .resolve(RecordFolder.LOCK_FILE), new FileAttribute<?>[0], RecordFolder.SHARDS);
    }

    /** What {@code call} threw on another thread, or null; fails if it takes longer than ten seconds. */
    private static Throwable thrownElsewhere(Runnable call) throws Exception {
        return CompletableFuture.supplyAsync(() -> {
            try {
                call.run();
                return null;
            } catch (RuntimeException e) {
                return e;
            }
        }).get(10, TimeUnit.SECONDS);
    }

    private List<Path> filesUnder(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            return paths.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).sorted().collect(Collectors.toList());
        }
    }

    private List<Path> recordFiles() throws IOException {
        return filesUnder(folder()).stream()
                .filter(p -> SessionKey.isKey(p.getFileName().toString()))
                .collect(Collectors.toList());
    }

    private static String permissions(Path path) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS));
    }

    // Proves docs/persistence.md#filesystem-layout
    @Test
    void writeWhenCreatedThenOneFileNamedByTheKeyInItsShard() throws IOException {
        FileSessionStore store = open();
        SessionManager manager = SessionManager.builder(store).clock(clock).sweeping(false).build();
        Session session = manager.create();
        session.setAttribute("file_contents", List.of("hello"));
        manager.commit(session);

        String key = session.key().value();
        Path expected = folder().resolve(key.substring(2, 4)).resolve(key);
        assertThat(recordFiles()).containsExactly(expected);
        assertThat(filesUnder(folder())).containsExactlyInAnyOrder(expected, folder().resolve(".cloakroom").resolve("lock"));
        try (Stream<Path> paths = Files.walk(folder())) {
            assertThat(paths.map(p -> folder().relativize(p).toString()))
                    .noneMatch(name -> name.contains(session.id()))
                    .allMatch(name -> name.isEmpty() || name.matches("[0-9a-f]{2}(/v1[0-9a-f]{64})?|\\.cloakroom(/lock)?"));
        }
    }

    // Proves docs/persistence.md#filesystem-layout
    @Test
    void recordFileIsJsonWithExactAttributeTextsAndExpiryAsItsTime() throws IOException {
        FileSessionStore store = open();
        SessionKey key = randomKey();
        Map<String, String> attributes = Map.of("lines", "[\"a\",\"b  c\"]", "ratio", "0.50", "name", "\"Zoë \\u00e9\"");
        store.write(create(key, attributes));

        JsonNode json = new ObjectMapper().readTree(Files.readAllBytes(store.fileOf(key)));
        assertThat(json.get("format").asInt()).isEqualTo(1);
        assertThat(json.get("key").asText()).isEqualTo(key.value());
        assertThat(json.get("version").asLong()).isEqualTo(1);
        assertThat(json.get("expiresAt").asText()).isEqualTo(clock.instant().plus(IDLE).toString());
        assertThat(json.get("maxInactiveInterval").asText()).isEqualTo("PT30M");
        assertThat(json.get("attributes").get("ratio").asText()).isEqualTo("0.50");
        assertThat(store.load(key).orElseThrow().attributes()).isEqualTo(attributes);
        assertThat(Files.getLastModifiedTime(store.fileOf(key), LinkOption.NOFOLLOW_LINKS).toInstant())
                .isEqualTo(clock.instant().plus(IDLE));
    }

    // Proves docs/persistence.md#filesystem-layout
    @Test
    void buildWhenFolderMissingThenCreatedPrivateAndFilesArePrivate() throws IOException {
        FileSessionStore store = open();
        SessionKey key = randomKey();
        store.write(create(key, Map.of("a", "1")));

        Path record = store.fileOf(key);
        assertThat(permissions(folder())).isEqualTo("rwx------");
        assertThat(permissions(record.getParent())).isEqualTo("rwx------");
        assertThat(permissions(folder().resolve(".cloakroom"))).isEqualTo("rwx------");
        assertThat(permissions(record)).isEqualTo("rw-------");
        assertThat(permissions(folder().resolve(".cloakroom").resolve("lock"))).isEqualTo("rw-------");
    }

    @Test
    void buildWhenFolderIsASymbolicLinkThenRefused() throws IOException {
        Path real = Files.createDirectory(temp.resolve("real"));
        Path link = Files.createSymbolicLink(temp.resolve("link"), real);

        assertThatThrownBy(() -> FileSessionStore.builder(link).build())
                .isInstanceOf(SessionStoreException.class)
                .hasMessageContaining("symbolic link")
                .hasMessageContaining(link.toString());
        assertThat(real).isEmptyDirectory();
    }

    @Test
    void writeWhenShardIsASymbolicLinkThenRefusedAndNothingWrittenThere() throws IOException {
        FileSessionStore store = open();
        Path elsewhere = Files.createDirectory(temp.resolve("elsewhere"));
        Files.createSymbolicLink(folder().resolve("ab"), elsewhere);
        SessionKey key = keyInShard("ab");

        assertThatThrownBy(() -> store.write(create(key, Map.of("a", "1"))))
                .isInstanceOf(SessionStoreException.class)
                .hasMessageContaining("symbolic link");
        assertThatThrownBy(() -> store.load(key)).isInstanceOf(SessionStoreException.class);
        assertThat(elsewhere).isEmptyDirectory();
    }

    @Test
    void loadWhenRecordIsASymbolicLinkThenAbsentAndOnlyTheLinkRemoved() throws IOException {
        FileSessionStore store = open();
        SessionKey key = randomKey();
        store.write(create(key, Map.of("a", "1")));
        Path record = store.fileOf(key);
        Path target = temp.resolve("secret.json");
        Files.copy(record, target);
        Files.delete(record);
        Files.createSymbolicLink(record, target);

        assertThat(store.load(key)).isEmpty();
        assertThat(Files.exists(record, LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(target).exists();
    }

    @Test
    void writeWhenTheFileSystemFailsThenUnavailableNamingThePath() throws IOException {
        FileSessionStore store = open();
        SessionKey key = randomKey();
        Path record = store.fileOf(key);
        Files.createDirectories(record.resolve("occupied"));

        assertThatThrownBy(() -> store.write(create(key, Map.of("a", "1"))))
                .isInstanceOf(SessionStoreUnavailableException.class)
                .hasMessageContaining(record.toString())
                .hasCauseInstanceOf(IOException.class);
        try (Stream<Path> shard = Files.list(record.getParent())) {
            assertThat(shard).containsExactly(record); // the temp file was cleaned up
        }
    }

    @Test
    void buildWhenSettingsInvalidThenRejectedNamingTheValue() {
        assertThatThrownBy(() -> FileSessionStore.builder(folder()).fileThreshold(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1");
        assertThatThrownBy(() -> FileSessionStore.builder(folder()).maxSessions(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0");
    }

    @Test
    void fromSettingsWhenFilesystemThenStoreUsesTheFolderThresholdAndCap() {
        Settings settings = Settings.of(Map.of("SESSION_TYPE", "filesystem", "SESSION_FILE_DIR", folder().toString(),
                "SESSION_FILE_THRESHOLD", "7", "SESSION_MAX_SESSIONS", "1"));
        SessionStore store = SessionStores.fromSettings(settings, CloakroomConfig.fromSettings(settings));
        toClose.add(store);

        assertThat(store).isInstanceOf(FileSessionStore.class);
        assertThat(store.describe()).contains(folder().toString()).contains("threshold 7 files").contains("max sessions 1");
        store.write(create(randomKey(), Map.of("a", "1")));
        assertThat(folder()).isDirectory();
        assertThatThrownBy(() -> store.write(create(randomKey(), Map.of("a", "1")))).isInstanceOf(SessionLimitExceededException.class);
    }

    @Test
    void fromSettingsWhenStoreTimeoutSetThenALockHeldElsewhereIsAwaitedThatLong() throws Exception {
        Settings settings = Settings.of(Map.of("SESSION_FILE_DIR", folder().toString(), "SESSION_STORE_TIMEOUT_MS", "300"));
        SessionStore store = SessionStores.fromSettings(settings, CloakroomConfig.fromSettings(settings));
        toClose.add(store);
        SessionKey key = keyInShard("5a");
        FolderLocks shared = sharedLocks();
        try (FolderLocks.Held held = shared.lock(0x5a, Duration.ofSeconds(1))) {
            // Another thread of this process holds the stripe, as a slow write would.
            assertThat(thrownElsewhere(() -> store.write(create(key, Map.of("a", "1")))))
                    .as("contention on some keys, not an unavailable store: it must not open the circuit breaker")
                    .isInstanceOf(SessionStoreException.class)
                    .isNotInstanceOf(SessionStoreUnavailableException.class)
                    .hasMessageContaining("timed out after PT0.3S");
        } finally {
            shared.release();
        }
        assertThat(store.write(create(key, Map.of("a", "1")))).isEqualTo(WriteResult.WRITTEN);
    }

    @Test
    void buildWhenLockTimeoutNotPositiveThenRejectedNamingTheValue() {
        assertThatThrownBy(() -> FileSessionStore.builder(folder()).lockTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PT0S");
    }

    // Proves docs/persistence.md#filesystem-deleted
    // Proves docs/persistence.md#filesystem-crash
    @Test
    void sweepRemovesOldTempFilesAndCorruptRecordsButKeepsFreshTempFiles() throws IOException {
        FileSessionStore store = open();
        SessionKey live = randomKey();
        store.write(create(live, Map.of("a", "1")));
        Path shard = store.fileOf(live).getParent();
        Path oldTemp = shard.resolve("." + live.value() + ".0123456789abcdef.tmp");
        Path freshTemp = shard.resolve("." + live.value() + ".fedcba9876543210.tmp");
        Files.writeString(oldTemp, "{\"half\":");
        Files.setLastModifiedTime(oldTemp, FileTime.from(Instant.now().minus(Duration.ofMinutes(10))));
        Files.writeString(freshTemp, "{\"half\":");
        SessionKey corrupt = randomKey();
        Files.createDirectories(store.fileOf(corrupt).getParent());
        Files.writeString(store.fileOf(corrupt), "not json at all");
        Path foreign = folder().resolve("2029f10d9d0e7bb4bd2b5a3b0c1d2e3f"); // e.g. a Flask-Session file: not ours
        Files.writeString(foreign, "keep me");

        // Files written by something else carry the wall-clock time, which is their expiry hint.
        assertThat(sweepOnce(store, Instant.now(), 100)).isEmpty();

        assertThat(oldTemp).doesNotExist();
        assertThat(freshTemp).exists();
        assertThat(store.fileOf(corrupt)).doesNotExist();
        assertThat(foreign).exists();
        assertThat(store.load(live)).isPresent();
    }

    @Test
    void sweepWhenRecordLooksExpiredButIsNotThenKeepsItAndRestoresItsTime() throws IOException {
        FileSessionStore store = open();
        SessionKey key = randomKey();
        store.write(create(key, Map.of("a", "1")));
        Files.setLastModifiedTime(store.fileOf(key), FileTime.from(clock.instant().minusSeconds(60)));

        assertThat(sweepOnce(store, clock.instant(), 100)).isEmpty();

        assertThat(store.load(key)).isPresent();
        assertThat(Files.getLastModifiedTime(store.fileOf(key)).toInstant()).isEqualTo(clock.instant().plus(IDLE));
    }

    @Test
    void sweepWhenAShardIsASymbolicLinkThenSkipsItAndSweepsTheOthers() throws IOException {
        FileSessionStore store = open();
        SessionKey expired = keyInShard("cd");
        store.write(create(expired, Map.of("a", "1")));
        Path elsewhere = Files.createDirectory(temp.resolve("elsewhere"));
        SessionKey planted = keyInShard("ab");
        Files.writeString(elsewhere.resolve(planted.value()), "not json");
        Files.createSymbolicLink(folder().resolve("ab"), elsewhere);
        clock.advance(IDLE.plusSeconds(1));

        assertThat(sweepOnce(store, Instant.now().plus(IDLE.plusSeconds(1)), 100)).extracting(SessionRecord::key).containsExactly(expired);
        assertThat(elsewhere.resolve(planted.value())).exists();
    }

    @Test
    void writeWhenAttributeIsNotValidUnicodeThenRefusedAndStoredRecordKept() {
        FileSessionStore store = open();
        SessionKey key = randomKey();
        store.write(create(key, Map.of("a", "\"ok\"")));

        assertThatThrownBy(() -> store.write(change(key, Map.of("a", "\"\uD800\""))))
                .isInstanceOf(UnsupportedAttributeException.class)
                .hasMessageContaining("'a'");
        assertThatThrownBy(() -> store.write(change(key, Map.of("b\uDC00", "1"))))
                .isInstanceOf(UnsupportedAttributeException.class);
        SessionRecord stored = store.load(key).orElseThrow();
        assertThat(stored.attributes()).isEqualTo(Map.of("a", "\"ok\""));
        assertThat(stored.version()).isEqualTo(1);
    }

    @Test
    void callsOnAnInterruptedThreadAreUnavailableAndTheStoreKeepsWorking() {
        FileSessionStore store = open();
        SessionKey key = randomKey();
        store.write(create(key, Map.of("a", "1")));

        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> store.write(change(key, Map.of("a", "2")))).isInstanceOf(SessionStoreUnavailableException.class);
            assertThat(Thread.currentThread().isInterrupted()).as("interrupt flag kept").isTrue();
            assertThatThrownBy(() -> store.load(key)).isInstanceOf(SessionStoreUnavailableException.class);
            store.tryAcquireSweepLease(Duration.ofMinutes(1)).ifPresent(SweepLease::close); // must not break the lock file
        } finally {
            Thread.interrupted();
        }

        assertThat(store.write(change(key, Map.of("a", "3")))).isEqualTo(WriteResult.WRITTEN);
        assertThat(store.load(key).orElseThrow().attributes()).containsEntry("a", "3");
        Optional<SweepLease> lease = store.tryAcquireSweepLease(Duration.ofMinutes(1));
        assertThat(lease).isPresent();
        assertThat(open().tryAcquireSweepLease(Duration.ofMinutes(1))).isEmpty();
        lease.get().close();
    }

    @Test
    void callsAfterCloseAreUnavailableAsWithTheOtherStores() {
        FileSessionStore store = open();
        SessionKey key = randomKey();
        store.write(create(key, Map.of("a", "1")));
        store.close();

        assertThatThrownBy(() -> store.load(key)).isInstanceOf(SessionStoreUnavailableException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> store.write(change(key, Map.of("a", "2")))).isInstanceOf(SessionStoreUnavailableException.class);
        assertThatThrownBy(() -> store.move(key, create(randomKey(), Map.of()))).isInstanceOf(SessionStoreUnavailableException.class);
        assertThatThrownBy(() -> store.delete(key)).isInstanceOf(SessionStoreUnavailableException.class);
        assertThatThrownBy(() -> store.sweep(clock.instant(), 10, r -> { })).isInstanceOf(SessionStoreUnavailableException.class);
        assertThatThrownBy(() -> store.tryAcquireSweepLease(Duration.ofMinutes(1))).isInstanceOf(SessionStoreUnavailableException.class);
    }

    // Proves docs/persistence.md#filesystem-deleted
    @Test
    void sweepResumesWhereItStoppedAndReachesEveryShard() throws IOException {
        FileSessionStore store = open();
        List<SessionKey> keys = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            SessionKey key = randomKey();
            keys.add(key);
            store.write(create(key, Map.of("i", Integer.toString(i))));
        }
        clock.advance(IDLE.plusSeconds(1));

        List<SessionKey> swept = new ArrayList<>();
        for (int call = 0; call < 100; call++) {
            List<SessionRecord> batch = sweepOnce(store, clock.instant(), 7);
            assertThat(batch).hasSizeLessThanOrEqualTo(7);
            batch.forEach(r -> swept.add(r.key()));
            if (batch.size() < 7) {
                break;
            }
        }

        assertThat(swept).containsExactlyInAnyOrderElementsOf(keys);
        assertThat(recordFiles()).isEmpty();
        assertThat(store.approximateFileCount()).isZero();
    }

    // Proves docs/persistence.md#filesystem-threshold
    @Test
    void thresholdWhenReachedThenAsksForASweepOnceAndAgainOnlyAfterGrowth() {
        FileSessionStore store = open(FileSessionStore.builder(folder()).fileThreshold(100));
        AtomicInteger requests = new AtomicInteger();
        store.setSweepRequester(requests::incrementAndGet);

        for (int i = 0; i < 99; i++) {
            store.write(create(randomKey(), Map.of("a", "1")));
        }
        assertThat(requests).hasValue(0);
        store.write(create(randomKey(), Map.of("a", "1")));
        assertThat(requests).hasValue(1);
        for (int i = 0; i < 9; i++) {
            store.write(create(randomKey(), Map.of("a", "1")));
        }
        assertThat(requests).as("a tenth of the threshold has not been added yet").hasValue(1);
        store.write(create(randomKey(), Map.of("a", "1")));
        assertThat(requests).hasValue(2);
    }

    // Proves docs/persistence.md#filesystem-deleted
    // Proves docs/persistence.md#filesystem-threshold
    @Test
    void thresholdWhenExceededByLiveSessionsThenOnlyExpiredFilesAreDeleted() throws Exception {
        FileSessionStore store = open(FileSessionStore.builder(folder()).fileThreshold(5));
        List<SessionKey> destroyed = new java.util.concurrent.CopyOnWriteArrayList<>();
        SessionManager manager = SessionManager.builder(store)
                .config(CloakroomConfig.builder().idleTimeout(IDLE).cleanupInterval(Duration.ofHours(1)).build())
                .clock(clock)
                .listener(new SessionListener() {
                    @Override
                    public void sessionDestroyed(SessionKey key, Map<String, Object> attributes, Reason reason) {
                        destroyed.add(key);
                    }
                })
                .sweeping(true)
                .build();
        toClose.add(manager);
        List<Session> old = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Session session = manager.create();
            session.setAttribute("n", i);
            manager.commit(session);
            old.add(session);
        }
        clock.advance(IDLE.plusSeconds(1));
        List<Session> live = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            Session session = manager.create();
            session.setAttribute("n", i);
            manager.commit(session);
            live.add(session);
        }

        // No scheduled run within the hour: only the threshold's request can have swept.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (destroyed.size() < 3 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(destroyed).containsExactlyInAnyOrderElementsOf(old.stream().map(Session::key).collect(Collectors.toList()));
        assertThat(recordFiles()).hasSize(60);
        for (Session session : live) {
            assertThat(manager.find(session.id())).as("live session").isPresent();
        }
    }

    // Proves docs/persistence.md#filesystem-max-sessions
    @Test
    void maxSessionsWhenReachedThenCreatesRefusedButExistingSessionsStillWrite() {
        FileSessionStore store = open(FileSessionStore.builder(folder()).maxSessions(3));
        List<SessionKey> keys = List.of(randomKey(), randomKey(), randomKey());
        keys.forEach(key -> assertThat(store.write(create(key, Map.of("a", "1")))).isEqualTo(WriteResult.WRITTEN));

        SessionKey fourth = randomKey();
        assertThatThrownBy(() -> store.write(create(fourth, Map.of("a", "1"))))
                .isInstanceOf(SessionLimitExceededException.class)
                .hasMessageContaining("3");
        assertThat(store.load(fourth)).isEmpty();
        assertThat(store.write(change(keys.get(0), Map.of("a", "2")))).isEqualTo(WriteResult.WRITTEN);
        assertThat(store.load(keys.get(0)).orElseThrow().attributes()).containsEntry("a", "2");

        store.delete(keys.get(1));
        assertThat(store.write(create(fourth, Map.of("a", "1")))).isEqualTo(WriteResult.WRITTEN);
    }

    @Test
    void maxSessionsWhenManyCreateAtOnceThenTheCapHolds() throws Exception {
        createAtOnceIntoAFolderCappedAtTwo(20, false);
    }

    @Test
    void maxSessionsWhenManyCreateAtOnceWhileTheFolderIsRecountedThenTheCapHolds() throws Exception {
        createAtOnceIntoAFolderCappedAtTwo(4, true);
    }

    /** With {@code recountDue}, the first refused create recounts the folder while the others are being written. */
    private void createAtOnceIntoAFolderCappedAtTwo(int rounds, boolean recountDue) throws Exception {
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (int round = 0; round < rounds; round++) {
                Path folder = temp.resolve("capped-" + round);
                FileSessionStore store = open(FileSessionStore.builder(folder).maxSessions(2));
                if (recountDue) {
                    Thread.sleep(1100); // a recount is allowed once a second
                }
                CountDownLatch start = new CountDownLatch(1);
                List<Future<?>> attempts = new ArrayList<>();
                for (int i = 0; i < threads; i++) {
                    SessionKey key = keyInShard(String.format("%02x", i)); // another stripe each, so no lock is shared
                    attempts.add(pool.submit(() -> {
                        start.await();
                        try {
                            store.write(create(key, Map.of("a", "1")));
                        } catch (SessionLimitExceededException refused) {
                            // expected for all but two
                        }
                        return null;
                    }));
                }
                start.countDown();
                for (Future<?> attempt : attempts) {
                    attempt.get(30, TimeUnit.SECONDS);
                }
                try (Stream<Path> files = Files.walk(folder)) {
                    assertThat(files.filter(p -> SessionKey.isKey(p.getFileName().toString()))).as("round " + round).hasSize(2);
                }
                assertThat(store.approximateFileCount()).isEqualTo(2);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    // Proves docs/persistence.md#filesystem-max-sessions
    @Test
    void maxSessionsWhenOnlyExpiredSessionsFillItThenASweepMakesRoom() {
        FileSessionStore store = open(FileSessionStore.builder(folder()).maxSessions(2));
        AtomicInteger requests = new AtomicInteger();
        store.setSweepRequester(requests::incrementAndGet);
        store.write(create(randomKey(), Map.of("a", "1")));
        store.write(create(randomKey(), Map.of("a", "1")));
        clock.advance(IDLE.plusSeconds(1));

        assertThatThrownBy(() -> store.write(create(randomKey(), Map.of("a", "1"))))
                .isInstanceOf(SessionLimitExceededException.class);
        assertThat(requests.get()).isPositive();

        assertThat(sweepOnce(store, clock.instant(), 10)).hasSize(2);
        assertThat(store.write(create(randomKey(), Map.of("a", "1")))).isEqualTo(WriteResult.WRITTEN);
    }

    @Test
    void maxSessionsWhenAnotherInstanceFreedRoomThenRecountAllowsCreate() throws Exception {
        FileSessionStore first = open(FileSessionStore.builder(folder()).maxSessions(2));
        FileSessionStore second = open(FileSessionStore.builder(folder()).maxSessions(2));
        SessionKey a = randomKey();
        first.write(create(a, Map.of("a", "1")));
        first.write(create(randomKey(), Map.of("a", "1")));
        second.delete(a); // first's own count still says 2

        // The recount happens at most once a second, so the first attempts may still be refused.
        SessionKey third = randomKey();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        WriteResult result = null;
        while (result == null && System.nanoTime() < deadline) {
            try {
                result = first.write(create(third, Map.of("a", "1")));
            } catch (SessionLimitExceededException refused) {
                Thread.sleep(50);
            }
        }
        assertThat(result).isEqualTo(WriteResult.WRITTEN);
    }

    // Proves docs/persistence.md#filesystem-written
    @Test
    void twoInstancesOnOneFolderKeepConcurrentUpdatesAtomic() throws Exception {
        FileSessionStore first = open();
        FileSessionStore second = open();
        SessionKey key = randomKey();
        first.write(create(key, Map.of("n", "0")));

        int threadsPerStore = 4;
        int incrementsPerThread = 25;
        ExecutorService pool = Executors.newFixedThreadPool(2 * threadsPerStore);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (FileSessionStore store : List.of(first, second)) {
                for (int t = 0; t < threadsPerStore; t++) {
                    futures.add(pool.submit(() -> {
                        start.await();
                        for (int i = 0; i < incrementsPerThread; i++) {
                            FileStoreHammer.increment(store, key);
                        }
                        return null;
                    }));
                }
            }
            start.countDown();
            for (Future<?> future : futures) {
                future.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        SessionRecord record = second.load(key).orElseThrow();
        assertThat(record.attributes()).containsEntry("n", Integer.toString(2 * threadsPerStore * incrementsPerThread));
        assertThat(record.version()).isEqualTo(1 + 2 * threadsPerStore * incrementsPerThread);
    }

    @Test
    void twoInstancesCreatingOneKeyAtOnceThenExactlyOneWins() throws Exception {
        FileSessionStore first = open();
        FileSessionStore second = open();
        for (int round = 0; round < 20; round++) {
            SessionKey key = randomKey();
            ExecutorService pool = Executors.newFixedThreadPool(4);
            CountDownLatch start = new CountDownLatch(1);
            try {
                List<Future<WriteResult>> results = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    FileSessionStore store = t % 2 == 0 ? first : second;
                    String owner = Integer.toString(t);
                    results.add(pool.submit(() -> {
                        start.await();
                        return store.write(create(key, Map.of("owner", owner)));
                    }));
                }
                start.countDown();
                List<WriteResult> answers = new ArrayList<>();
                for (Future<WriteResult> result : results) {
                    answers.add(result.get(30, TimeUnit.SECONDS));
                }
                assertThat(answers).containsOnlyOnce(WriteResult.WRITTEN).containsOnly(WriteResult.WRITTEN, WriteResult.CONFLICT);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void sweepRacingTouchesFromAnotherInstanceNeverDeletesATouchedRecord() throws Exception {
        FileSessionStore sweeper = open();
        FileSessionStore writer = open();
        List<SessionKey> keys = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            SessionKey key = randomKey();
            keys.add(key);
            writer.write(create(key, Map.of("i", Integer.toString(i))));
        }
        Instant expiry = clock.instant().plus(IDLE);
        Instant justBefore = expiry.minusMillis(1);

        ExecutorService pool = Executors.newFixedThreadPool(2);
        CountDownLatch start = new CountDownLatch(1);
        List<SessionKey> swept = new java.util.concurrent.CopyOnWriteArrayList<>();
        Map<SessionKey, WriteResult> touched = new java.util.concurrent.ConcurrentHashMap<>();
        try {
            Future<?> sweeping = pool.submit(() -> {
                start.await();
                List<SessionRecord> batch;
                do {
                    batch = sweepOnce(sweeper, expiry, 10);
                    batch.forEach(r -> swept.add(r.key()));
                } while (batch.size() == 10);
                return null;
            });
            Future<?> touching = pool.submit(() -> {
                start.await();
                for (SessionKey key : keys) {
                    touched.put(key, writer.write(new SessionWrite(key, false, Map.of(), Set.of(), justBefore, justBefore,
                            IDLE, justBefore.plus(IDLE), SessionWrite.ANY_VERSION, justBefore, SessionWrite.NO_SIZE_LIMIT)));
                }
                return null;
            });
            start.countDown();
            sweeping.get(60, TimeUnit.SECONDS);
            touching.get(60, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }

        for (SessionKey key : keys) {
            boolean wasSwept = swept.contains(key);
            boolean wasTouched = touched.get(key) == WriteResult.WRITTEN;
            assertThat(wasSwept ^ wasTouched).as("%s swept=%s touched=%s", key, wasSwept, wasTouched).isTrue();
            assertThat(writer.load(key).isPresent()).isEqualTo(wasTouched);
            if (!wasTouched) {
                assertThat(touched.get(key)).isEqualTo(WriteResult.GONE);
            }
        }
        System.out.println("sweep/touch race: " + swept.size() + " swept, " + (keys.size() - swept.size()) + " touched first");
    }

    @Test
    void sweepLeaseIsExclusiveBetweenInstancesUntilReleased() {
        FileSessionStore first = open();
        FileSessionStore second = open();

        Optional<SweepLease> held = first.tryAcquireSweepLease(Duration.ofMinutes(1));
        assertThat(held).isPresent();
        assertThat(second.tryAcquireSweepLease(Duration.ofMinutes(1))).isEmpty();
        assertThat(first.tryAcquireSweepLease(Duration.ofMinutes(1))).isEmpty();

        held.get().close();
        Optional<SweepLease> next = second.tryAcquireSweepLease(Duration.ofMinutes(1));
        assertThat(next).isPresent();
        next.get().close();
    }

    @Test
    void closingOneInstanceKeepsTheOtherInstancesLocks() {
        FileSessionStore first = open();
        FileSessionStore second = open(); // shares first's lock file: closing it must not drop first's lease
        Optional<SweepLease> held = first.tryAcquireSweepLease(Duration.ofMinutes(1));
        second.close();

        FileSessionStore third = open();
        assertThat(third.tryAcquireSweepLease(Duration.ofMinutes(1))).isEmpty();
        held.orElseThrow().close();
    }

    private Process startHammer(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                FileStoreHammer.class.getName(), folder().toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command)
                .redirectError(temp.resolve("hammer-" + System.nanoTime() + ".log").toFile())
                .start();
        toClose.add(process::destroyForcibly);
        return process;
    }

    private static String readLine(Process process) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        return out.readLine();
    }

    // Proves docs/persistence.md#filesystem-written
    @Test
    void secondProcessHammeringTheSameFolderLosesNoUpdate() throws Exception {
        FileSessionStore store = open();
        SessionKey key = randomKey();
        Instant now = Instant.now();
        store.write(new SessionWrite(key, true, Map.of("n", "0"), Set.of(), now, now, FileStoreHammer.IDLE,
                now.plus(FileStoreHammer.IDLE), SessionWrite.ANY_VERSION, now, SessionWrite.NO_SIZE_LIMIT));
        int perProcess = 200;
        Process other = startHammer("increment", key.value(), Integer.toString(perProcess));
        BufferedReader otherOut = new BufferedReader(new InputStreamReader(other.getInputStream(), StandardCharsets.UTF_8));
        assertThat(otherOut.readLine()).isEqualTo("ready");

        try (Writer go = new java.io.OutputStreamWriter(other.getOutputStream(), StandardCharsets.UTF_8)) {
            go.write("go\n");
        }
        long started = System.currentTimeMillis();
        int conflicts = 0;
        for (int i = 0; i < perProcess; i++) {
            conflicts += FileStoreHammer.increment(store, key) - 1;
        }
        long ended = System.currentTimeMillis();
        String otherReport = otherOut.readLine();
        assertThat(otherReport).startsWith("done");
        assertThat(other.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(other.exitValue()).isZero();

        SessionRecord record = store.load(key).orElseThrow();
        assertThat(record.attributes()).containsEntry("n", Integer.toString(2 * perProcess));
        assertThat(record.version()).isEqualTo(1 + 2 * perProcess);
        System.out.println("cross-process hammer: this process " + conflicts + " conflicts, from " + started + " to " + ended
                + "; other process " + otherReport);
    }

    @Test
    void sweepLeaseHeldByAnotherProcessIsRefusedUntilItEnds() throws Exception {
        FileSessionStore store = open();
        Process other = startHammer("lease");
        assertThat(readLine(other)).isEqualTo("held");

        assertThat(store.tryAcquireSweepLease(Duration.ofMinutes(1))).isEmpty();

        other.getOutputStream().close();
        assertThat(other.waitFor(60, TimeUnit.SECONDS)).isTrue();
        Optional<SweepLease> lease = store.tryAcquireSweepLease(Duration.ofMinutes(1));
        assertThat(lease).isPresent();
        lease.get().close();
    }

    @Test
    void sweepWhenALaterShardFailsThenTheEarlierDeletionsAreReportedOnceAndItThrows() throws Exception {
        FileSessionStore store = open(FileSessionStore.builder(folder()).lockTimeout(Duration.ofMillis(200)));
        SessionKey first = keyInShard("10");
        SessionKey second = keyInShard("20");
        store.write(create(first, Map.of("a", "1")));
        store.write(create(second, Map.of("a", "2")));
        clock.advance(IDLE.plusSeconds(1));
        List<SessionRecord> reported = new CopyOnWriteArrayList<>();

        FolderLocks shared = sharedLocks();
        try (FolderLocks.Held held = shared.lock(0x20, Duration.ofSeconds(1))) {
            // A writer stuck on the second shard's stripe: the sweep cannot finish that shard.
            assertThat(thrownElsewhere(() -> store.sweep(clock.instant(), 100, reported::add)))
                    .isInstanceOf(SessionStoreException.class);
        } finally {
            shared.release();
        }

        assertThat(reported).extracting(SessionRecord::key).containsExactly(first);
        assertThat(store.fileOf(first)).doesNotExist();
        assertThat(sweepOnce(store, clock.instant(), 100)).extracting(SessionRecord::key).containsExactly(second);
        assertThat(recordFiles()).isEmpty();
    }

    @Test
    void moveWhenLiveThenTheNewKeyHoldsTheMergedRecordAndTheOldOneIsGone() throws IOException {
        FileSessionStore store = open();
        SessionKey from = randomKey();
        SessionKey to = randomKey();
        store.write(create(from, Map.of("a", "1", "b", "2")));
        Instant created = clock.instant();
        clock.advance(Duration.ofMinutes(1));
        Instant now = clock.instant();

        WriteResult result = store.move(from, new SessionWrite(to, false, Map.of("c", "3"), Set.of("b"), now, now, IDLE,
                now.plus(IDLE), SessionWrite.ANY_VERSION, now, SessionWrite.NO_SIZE_LIMIT));

        assertThat(result).isEqualTo(WriteResult.WRITTEN);
        SessionRecord moved = store.load(to).orElseThrow();
        assertThat(moved.attributes()).isEqualTo(Map.of("a", "1", "c", "3"));
        assertThat(moved.createdAt()).isEqualTo(created);
        assertThat(moved.expiresAt()).isEqualTo(now.plus(IDLE));
        assertThat(store.load(from)).isEmpty();
        assertThat(recordFiles()).containsExactly(store.fileOf(to));
        assertThat(store.approximateFileCount()).isEqualTo(1);
    }

    @Test
    void moveWhenTheOldKeyIsAbsentOrExpiredThenGoneAndNothingWritten() throws IOException {
        FileSessionStore store = open();
        SessionKey expired = randomKey();
        store.write(create(expired, Map.of("a", "1")));
        clock.advance(IDLE.plusSeconds(1));

        assertThat(store.move(randomKey(), change(randomKey(), Map.of()))).isEqualTo(WriteResult.GONE);
        assertThat(store.move(expired, change(randomKey(), Map.of()))).isEqualTo(WriteResult.GONE);
        assertThat(recordFiles()).containsExactly(store.fileOf(expired));
    }

    @Test
    void moveWhenTheNewKeyIsTakenThenConflictAndBothRecordsUnchanged() {
        FileSessionStore store = open();
        SessionKey from = randomKey();
        SessionKey taken = randomKey();
        store.write(create(from, Map.of("a", "1")));
        store.write(create(taken, Map.of("other", "1")));

        assertThat(store.move(from, change(taken, Map.of("b", "2")))).isEqualTo(WriteResult.CONFLICT);
        assertThat(store.move(from, change(from, Map.of("b", "2")))).isEqualTo(WriteResult.CONFLICT);

        assertThat(store.load(from).orElseThrow().attributes()).isEqualTo(Map.of("a", "1"));
        assertThat(store.load(taken).orElseThrow().attributes()).isEqualTo(Map.of("other", "1"));
    }

    @Test
    void moveWhenTheMergedRecordExceedsTheCapThenTooLargeAndTheOldKeyKeptUnchanged() {
        FileSessionStore store = open();
        SessionKey from = randomKey();
        SessionKey to = randomKey();
        store.write(create(from, Map.of("a", "12345")));

        assertThat(store.move(from, change(to, Map.of("b", "12345"), 10))).isEqualTo(WriteResult.TOO_LARGE);

        assertThat(store.load(from).orElseThrow().attributes()).isEqualTo(Map.of("a", "12345"));
        assertThat(store.load(to)).isEmpty();
    }

    @Test
    void moveWhenTheNewPathCannotBeClearedThenRefusedAndTheOldKeyStaysLive() throws IOException {
        FileSessionStore store = open();
        SessionKey from = randomKey();
        SessionKey to = randomKey();
        store.write(create(from, Map.of("a", "1")));
        Files.createDirectories(store.fileOf(to).resolve("occupied"));

        assertThatThrownBy(() -> store.move(from, change(to, Map.of("b", "2")))).isInstanceOf(SessionStoreException.class);

        assertThat(store.load(from).orElseThrow().attributes()).isEqualTo(Map.of("a", "1"));
    }

    @Test
    void moveWhileAnotherInstanceWritesTheOldKeyThenNoWriteIsLost() throws Exception {
        FileSessionStore mover = open();
        FileSessionStore writer = open();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 20; round++) {
                SessionKey from = randomKey();
                SessionKey to = randomKey();
                mover.write(create(from, Map.of("a", "1")));
                Raced<Integer, WriteResult> raced = atOnce(pool, () -> {
                    int last = 0;
                    for (int i = 1; writer.write(change(from, Map.of("b", Integer.toString(i)))) == WriteResult.WRITTEN; i++) {
                        last = i;
                    }
                    return last;
                }, () -> mover.move(from, change(to, Map.of("c", "1"))));

                assertThat(raced.second()).isEqualTo(WriteResult.WRITTEN);
                int last = raced.first();
                Map<String, String> attributes = writer.load(to).orElseThrow().attributes();
                assertThat(attributes.get("b")).as("round %d: the last write to the old key", round)
                        .isEqualTo(last == 0 ? null : Integer.toString(last));
                assertThat(writer.load(from)).isEmpty();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void moveWhileAnotherInstanceDeletesTheOldKeyThenEitherTheDeleteOrTheMoveWins() throws Exception {
        FileSessionStore mover = open();
        FileSessionStore deleter = open();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 20; round++) {
                SessionKey from = randomKey();
                SessionKey to = randomKey();
                mover.write(create(from, Map.of("a", "1")));
                Raced<Boolean, WriteResult> raced = atOnce(pool, () -> deleter.delete(from), () -> mover.move(from, change(to, Map.of())));

                boolean deleteWon = raced.first();
                assertThat(raced.second()).isEqualTo(deleteWon ? WriteResult.GONE : WriteResult.WRITTEN);
                assertThat(deleter.load(to).isPresent()).as("round %d: the new key lives", round).isEqualTo(!deleteWon);
                assertThat(deleter.load(from)).isEmpty();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void movesCrossingTwoStripesAtOnceThroughTwoInstancesThenBothSucceedWithoutDeadlock() throws Exception {
        FileSessionStore first = open();
        FileSessionStore second = open();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 20; round++) {
                SessionKey a = keyInShard("11");
                SessionKey b = keyInShard("22");
                SessionKey c = keyInShard("22");
                SessionKey d = keyInShard("11");
                first.write(create(a, Map.of("n", "a")));
                first.write(create(c, Map.of("n", "c")));
                Raced<WriteResult, WriteResult> raced = atOnce(pool,
                        () -> first.move(a, change(b, Map.of())), () -> second.move(c, change(d, Map.of())));

                assertThat(raced.first()).isEqualTo(WriteResult.WRITTEN);
                assertThat(raced.second()).isEqualTo(WriteResult.WRITTEN);
                assertThat(first.load(b).orElseThrow().attributes()).containsEntry("n", "a");
                assertThat(first.load(d).orElseThrow().attributes()).containsEntry("n", "c");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void writeWhenTheMergedRecordWouldExceedTheCapThenTooLargeAndNothingChanged() {
        FileSessionStore store = open();
        SessionKey key = randomKey();
        store.write(create(key, Map.of("a", "12345")));

        assertThat(store.write(change(key, Map.of("b", "12345"), 10))).isEqualTo(WriteResult.TOO_LARGE);
        assertThat(store.write(change(key, Map.of("a", "1234"), 10))).isEqualTo(WriteResult.WRITTEN);

        SessionRecord stored = store.load(key).orElseThrow();
        assertThat(stored.attributes()).isEqualTo(Map.of("a", "1234"));
        assertThat(stored.version()).isEqualTo(2);
    }

    @Test
    void createWhenOverTheCapThenTooLargeAndNoFile() throws IOException {
        FileSessionStore store = open();
        Instant now = clock.instant();
        SessionWrite tooLarge = new SessionWrite(randomKey(), true, Map.of("a", "12345"), Set.of(), now, now, IDLE,
                now.plus(IDLE), SessionWrite.ANY_VERSION, now, 5);

        assertThat(store.write(tooLarge)).isEqualTo(WriteResult.TOO_LARGE);
        assertThat(recordFiles()).isEmpty();
        assertThat(store.approximateFileCount()).isZero();
    }

    @Test
    void writesAddingDifferentAttributesAtOnceThroughTwoInstancesNeverExceedTheCap() throws Exception {
        FileSessionStore first = open();
        FileSessionStore second = open();
        SessionKey key = randomKey();
        first.write(create(key, Map.of()));
        long cap = 1000;
        String value = "x".repeat(298); // with its two-character name, 300 bytes: three fit, the fourth does not
        int writers = 8;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<WriteResult>> results = new ArrayList<>();
        try {
            for (int i = 0; i < writers; i++) {
                FileSessionStore store = i % 2 == 0 ? first : second;
                String name = "a" + i;
                results.add(pool.submit(() -> {
                    start.await();
                    return store.write(change(key, Map.of(name, value), cap));
                }));
            }
            start.countDown();
            List<WriteResult> answers = new ArrayList<>();
            for (Future<WriteResult> result : results) {
                answers.add(result.get(30, TimeUnit.SECONDS));
            }

            assertThat(answers).containsOnly(WriteResult.WRITTEN, WriteResult.TOO_LARGE);
            SessionRecord stored = second.load(key).orElseThrow();
            assertThat(stored.sizeInBytes()).isLessThanOrEqualTo(cap);
            assertThat(stored.attributes()).hasSize(3);
            assertThat(answers.stream().filter(WriteResult.WRITTEN::equals)).hasSize(3);
        } finally {
            pool.shutdownNow();
        }
    }

    @ParameterizedTest
    @CsvSource({
            "maxInactiveInterval, PT2562047788015215H",
            "maxInactiveInterval, -PT30M",
            "maxInactiveInterval, PT0S",
            "createdAt, +1000000000-12-31T23:59:59Z",
            "lastAccessedAt, -1000000000-01-01T00:00:00Z",
            "expiresAt, +1000000000-12-31T23:59:59.999999999Z",
    })
    void loadWhenAStoredTimeIsOutOfRangeThenAbsentAndTheFileRemoved(String field, String value) throws IOException {
        FileSessionStore store = open();
        SessionKey key = randomKey();
        store.write(create(key, Map.of("a", "1")));
        overwriteField(store.fileOf(key), field, value);

        assertThat(store.load(key)).isEmpty();
        assertThat(store.fileOf(key)).doesNotExist();
        assertThat(store.write(change(key, Map.of("a", "2")))).isEqualTo(WriteResult.GONE);
    }

    @Test
    void findWhenTheStoredIdleTimeoutIsExtremeThenNoSessionRatherThanAnError() throws IOException {
        FileSessionStore store = open();
        SessionManager manager = SessionManager.builder(store).clock(clock).sweeping(false).build();
        Session session = manager.create();
        session.setAttribute("a", 1);
        manager.commit(session);
        overwriteField(store.fileOf(session.key()), "maxInactiveInterval", "PT2562047788015215H");

        assertThat(manager.find(session.id())).isEmpty();
    }

    private static void overwriteField(Path file, String field, String value) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode record = (ObjectNode) json.readTree(Files.readAllBytes(file));
        record.put(field, value);
        Files.write(file, json.writeValueAsBytes(record));
    }

    @Test
    void loadWhenTheRecordPathIsAFifoThenAbsentAtOnceAndTheFifoRemoved() throws Exception {
        FileSessionStore store = open();
        SessionKey key = randomKey();
        Path fifo = store.fileOf(key);
        makeFifo(fifo);

        CompletableFuture<Optional<SessionRecord>> loaded = CompletableFuture.supplyAsync(() -> store.load(key));
        try {
            assertThat(loaded.get(10, TimeUnit.SECONDS)).isEmpty();
        } finally {
            if (!loaded.isDone()) {
                Files.write(fifo, new byte[0]); // lets the blocked open return, so no thread is left behind
            }
        }
        assertThat(Files.exists(fifo, LinkOption.NOFOLLOW_LINKS)).isFalse();
    }

    @Test
    void createWhenAFifoSitsAtTheRecordPathThenWrittenOverItWithoutBlocking() throws Exception {
        FileSessionStore store = open();
        SessionKey key = randomKey();
        Path fifo = store.fileOf(key);
        makeFifo(fifo);

        CompletableFuture<WriteResult> written = CompletableFuture.supplyAsync(() -> store.write(create(key, Map.of("a", "1"))));
        try {
            assertThat(written.get(10, TimeUnit.SECONDS)).isEqualTo(WriteResult.WRITTEN);
        } finally {
            if (!written.isDone()) {
                Files.write(fifo, new byte[0]);
            }
        }
        assertThat(store.load(key).orElseThrow().attributes()).isEqualTo(Map.of("a", "1"));
    }

    private static void makeFifo(Path path) throws Exception {
        Files.createDirectories(path.getParent());
        Process mkfifo = new ProcessBuilder("mkfifo", path.toString()).inheritIO().start();
        assertThat(mkfifo.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(mkfifo.exitValue()).isZero();
    }

    @Test
    void loadWhenTheRecordIsAHugeSparseFileThenAbsentAndTheFileRemoved() throws IOException {
        FileSessionStore store = open();
        SessionKey key = randomKey();
        Path huge = store.fileOf(key);
        Files.createDirectories(huge.getParent());
        try (RandomAccessFile file = new RandomAccessFile(huge.toFile(), "rw")) {
            file.setLength(RecordFormat.MAX_RECORD_BYTES + 1L);
        }

        assertThat(store.load(key)).isEmpty();
        assertThat(huge).doesNotExist();
    }

    @Test
    void loadWhenTheRecordPathIsAFolderThenAbsentAndTheFolderLeftAlone() throws IOException {
        FileSessionStore store = open();
        SessionKey key = randomKey();
        Path folder = Files.createDirectories(store.fileOf(key));

        assertThat(store.load(key)).isEmpty();
        assertThat(store.write(change(key, Map.of("a", "1")))).isEqualTo(WriteResult.GONE);
        assertThat(folder).isDirectory();
    }

    private static List<SessionRecord> sweepOnce(SessionStore store, Instant now, int limit) {
        List<SessionRecord> reported = new ArrayList<>();
        int swept = store.sweep(now, limit, reported::add);
        assertThat(reported).hasSize(swept);
        return reported;
    }

    /** What two calls answered when released together on {@code pool} (each within 30 s). */
    private record Raced<A, B>(A first, B second) {
    }

    private static <A, B> Raced<A, B> atOnce(ExecutorService pool, Callable<A> first, Callable<B> second) throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        Future<A> a = pool.submit(() -> {
            start.await();
            return first.call();
        });
        Future<B> b = pool.submit(() -> {
            start.await();
            return second.call();
        });
        start.countDown();
        return new Raced<>(a.get(30, TimeUnit.SECONDS), b.get(30, TimeUnit.SECONDS));
    }
}
