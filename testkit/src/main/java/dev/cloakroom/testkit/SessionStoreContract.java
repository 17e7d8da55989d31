package dev.cloakroom.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.CommitOutcome;
import dev.cloakroom.Session;
import dev.cloakroom.SessionCodec;
import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionManager;
import dev.cloakroom.spi.RecordPage;
import dev.cloakroom.spi.RecordSummary;
import dev.cloakroom.spi.SessionRecord;
import dev.cloakroom.spi.SessionStore;
import dev.cloakroom.SessionTooLargeException;
import dev.cloakroom.UnsupportedAttributeException;
import dev.cloakroom.spi.SessionWrite;
import dev.cloakroom.spi.WriteResult;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The tests every {@link SessionStore} must pass. A store's test class extends this, returns a store connected to a
 * real medium from {@link #createStore()}, and shows the raw medium in {@link #dumpStorage()} so that the suite can
 * check what is really kept there. Each test uses fresh random keys, so stores may share a database with other data.
 */
public abstract class SessionStoreContract {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration IDLE = Duration.ofMinutes(30);
    /** How often each race is run: enough for a store without a real atomic step to lose one. */
    private static final int RACE_ROUNDS = 25;
    /**
     * Text with each UTF-16 edge a store might mangle: the last ASCII character, the first two- and three-byte ones,
     * both sides of the surrogate block, the private use area, U+FFFD, the noncharacters U+FFFE and U+FFFF, and paired
     * surrogates from U+10000 to U+10FFFF.
     */
    private static final String EVERY_UTF16_EDGE = "a\u007f\u0080\u07ff\u0800\ud7ff\ue000\ufffd\ufffe\uffff"
            + "\ud800\udc00\uD83D\uDE00\udbff\udfff z";

    protected final TestClock clock = new TestClock();
    protected SessionStore store;
    private final List<SessionManager> managers = new ArrayList<>();

    /** A store on the real medium; closed after each test. */
    protected abstract SessionStore createStore();

    /** Everything the medium holds for this store as text (names, keys, rows, values), for leak checks. */
    protected abstract String dumpStorage();

    /**
     * Puts bytes that are not a valid record under {@code key} directly in the medium. Stores with no raw medium of
     * their own leave this as it is, and the test that needs it is skipped.
     */
    protected void writeGarbage(SessionKey key) {
        Assumptions.abort("this store has no raw medium to corrupt");
    }

    /**
     * A second store on the same kind of medium that holds nothing yet (a fresh folder, table or key prefix), closed by
     * the caller: {@link #createStore()}'s medium outlives each test, so only this one is known to be empty.
     */
    protected abstract SessionStore createEmptyStore();

    /**
     * What the medium holds for {@code principal}'s index, whatever the records say (file names, index rows, set
     * members), as text: empty when it holds nothing, which the leak tests require once every record of the principal
     * is gone. The default asks {@link SessionStore#findByPrincipal}, which a store with an index of its own overrides
     * with a look at the raw medium, so that an entry the store would filter out is seen too.
     */
    protected String principalIndexOf(String principal) {
        StringBuilder held = new StringBuilder();
        store.findByPrincipal(principal, 10_000).forEach(summary -> held.append(summary.key().value()).append('\n'));
        return held.toString();
    }

    @BeforeEach
    void openStore() {
        store = createStore();
    }

    @AfterEach
    void closeStore() {
        managers.forEach(m -> m.sweeper().close());
        store.close();
    }

    /** A manager over {@link #store} with this suite's clock and no background sweeper. */
    protected SessionManager manager(CloakroomConfig config) {
        SessionManager manager = SessionManager.builder(store).config(config).clock(clock).sweeping(false).build();
        managers.add(manager);
        return manager;
    }

    protected SessionManager manager() {
        return manager(CloakroomConfig.builder().idleTimeout(IDLE).build());
    }

    protected static SessionKey randomKey() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return new SessionKey("v1" + HexFormat.of().formatHex(bytes));
    }

    protected SessionWrite create(SessionKey key, Map<String, String> attributes) {
        Instant now = clock.instant();
        return new SessionWrite(key, true, attributes, Set.of(), now, now, IDLE, now.plus(IDLE), SessionWrite.ANY_VERSION, now, SessionWrite.NO_SIZE_LIMIT);
    }

    protected SessionWrite change(SessionKey key, Map<String, String> upserts, Set<String> removals, long expectedVersion) {
        return change(key, upserts, removals, expectedVersion, SessionWrite.NO_SIZE_LIMIT);
    }

    protected SessionWrite change(SessionKey key, Map<String, String> upserts, Set<String> removals, long expectedVersion,
                                  long maxBytes) {
        Instant now = clock.instant();
        return new SessionWrite(key, false, upserts, removals, now.minus(IDLE), now, IDLE, now.plus(IDLE), expectedVersion, now, maxBytes);
    }

    /**
     * The write a move to {@code to} carries. Its creation time is now, unlike the moved record's, so that a store
     * which took it instead of keeping the stored one is seen.
     */
    protected SessionWrite moveTo(SessionKey to, Map<String, String> upserts, Set<String> removals, long maxBytes) {
        Instant now = clock.instant();
        return new SessionWrite(to, false, upserts, removals, now, now, IDLE, now.plus(IDLE), SessionWrite.ANY_VERSION, now, maxBytes);
    }

    /** A principal name no other test uses, with characters beyond ASCII so that no store narrows it. */
    protected static String randomPrincipal() {
        byte[] bytes = new byte[8];
        RANDOM.nextBytes(bytes);
        return "usér \uD83D\uDE00 " + HexFormat.of().formatHex(bytes) + "@example.org";
    }

    /** The create of a record signed in as {@code principal}. */
    protected SessionWrite createFor(SessionKey key, String principal, Map<String, String> attributes) {
        Instant now = clock.instant();
        return new SessionWrite(key, true, attributes, Set.of(), now, now, IDLE, now.plus(IDLE), SessionWrite.ANY_VERSION,
                now, SessionWrite.NO_SIZE_LIMIT, true, principal);
    }

    /** A write that sets the principal ({@code null} clears it) and puts {@code upserts}. */
    protected SessionWrite signIn(SessionKey key, String principal, Map<String, String> upserts) {
        Instant now = clock.instant();
        return new SessionWrite(key, false, upserts, Set.of(), now.minus(IDLE), now, IDLE, now.plus(IDLE),
                SessionWrite.ANY_VERSION, now, SessionWrite.NO_SIZE_LIMIT, true, principal);
    }

    private List<SessionKey> keysOf(String principal) {
        return store.findByPrincipal(principal, 100).stream().map(RecordSummary::key).toList();
    }

    @Test
    void loadWhenAbsentThenEmpty() {
        assertThat(store.load(randomKey())).isEmpty();
    }

    @Test
    void createThenLoadReturnsWhatWasWritten() {
        SessionKey key = randomKey();
        SessionWrite write = create(key, Map.of("name", "\"Zoë\"", "lines", "[\"a\",\"b  c\"]", "n", "42"));

        assertThat(store.write(write)).isEqualTo(WriteResult.WRITTEN);

        SessionRecord record = store.load(key).orElseThrow();
        assertThat(record.key()).isEqualTo(key);
        assertThat(record.attributes()).containsOnlyKeys("name", "lines", "n");
        assertThat(record.attributes().get("lines")).isEqualToIgnoringWhitespace("[\"a\",\"b  c\"]");
        assertThat(record.createdAt()).isEqualTo(write.createdAt());
        assertThat(record.lastAccessedAt()).isEqualTo(write.lastAccessedAt());
        assertThat(record.expiresAt()).isEqualTo(write.expiresAt());
        assertThat(record.maxInactiveInterval()).isEqualTo(IDLE);
        assertThat(record.version()).isEqualTo(1);
    }

    @Test
    void createWhenKeyTakenThenConflictAndStoredRecordKept() {
        SessionKey key = randomKey();
        store.write(create(key, Map.of("owner", "\"first\"")));

        assertThat(store.write(create(key, Map.of("owner", "\"second\"")))).isEqualTo(WriteResult.CONFLICT);
        assertThat(store.load(key).orElseThrow().attributes()).containsEntry("owner", "\"first\"");
    }

    @Test
    void writeWhenAbsentThenGoneAndNothingCreated() {
        SessionKey key = randomKey();

        assertThat(store.write(change(key, Map.of("a", "1"), Set.of(), SessionWrite.ANY_VERSION))).isEqualTo(WriteResult.GONE);
        assertThat(store.load(key)).isEmpty();
    }

    @Test
    void writeWhenExpiredThenGoneAndRecordUnchanged() {
        SessionKey key = randomKey();
        store.write(create(key, Map.of("a", "1")));
        clock.advance(IDLE.plusSeconds(1));

        assertThat(store.write(change(key, Map.of("a", "2"), Set.of(), SessionWrite.ANY_VERSION))).isEqualTo(WriteResult.GONE);
        store.load(key).ifPresent(record -> assertThat(record.attributes()).containsEntry("a", "1"));
    }

    // Proves docs/persistence.md#redis-written
    @Test
    void writesMergeAttributeDeltas() {
        SessionKey key = randomKey();
        store.write(create(key, Map.of("a", "1", "b", "2", "c", "3")));

        assertThat(store.write(change(key, Map.of("a", "10"), Set.of(), SessionWrite.ANY_VERSION))).isEqualTo(WriteResult.WRITTEN);
        assertThat(store.write(change(key, Map.of("d", "4"), Set.of("b"), SessionWrite.ANY_VERSION))).isEqualTo(WriteResult.WRITTEN);

        SessionRecord record = store.load(key).orElseThrow();
        assertThat(record.attributes()).isEqualTo(Map.of("a", "10", "c", "3", "d", "4"));
        assertThat(record.version()).isEqualTo(3);
    }

    @Test
    void writeWithStaleVersionThenConflictAndRecordUnchanged() {
        SessionKey key = randomKey();
        store.write(create(key, Map.of("n", "1")));
        store.write(change(key, Map.of("n", "2"), Set.of(), 1));

        assertThat(store.write(change(key, Map.of("n", "99"), Set.of(), 1))).isEqualTo(WriteResult.CONFLICT);
        SessionRecord record = store.load(key).orElseThrow();
        assertThat(record.attributes()).containsEntry("n", "2");
        assertThat(record.version()).isEqualTo(2);
    }

    @Test
    void touchMovesDeadlinesAndKeepsAttributesAndCreation() {
        SessionKey key = randomKey();
        SessionWrite created = create(key, Map.of("a", "1"));
        store.write(created);
        clock.advance(Duration.ofMinutes(5));

        assertThat(store.write(change(key, Map.of(), Set.of(), SessionWrite.ANY_VERSION))).isEqualTo(WriteResult.WRITTEN);

        SessionRecord record = store.load(key).orElseThrow();
        assertThat(record.attributes()).isEqualTo(Map.of("a", "1"));
        assertThat(record.createdAt()).isEqualTo(created.createdAt());
        assertThat(record.lastAccessedAt()).isEqualTo(clock.instant());
        assertThat(record.expiresAt()).isEqualTo(clock.instant().plus(IDLE));
    }

    // Proves docs/persistence.md#filesystem-deleted
    // Proves docs/persistence.md#postgresql-deleted
    // Proves docs/persistence.md#redis-deleted
    @Test
    void deleteRemovesAndTellsWhetherSomethingWasThere() {
        SessionKey key = randomKey();
        store.write(create(key, Map.of("a", "1")));

        assertThat(store.delete(key)).isTrue();
        assertThat(store.load(key)).isEmpty();
        assertThat(store.delete(key)).isFalse();
    }

    @Test
    void sweepDeletesOnlyExpiredRecordsAndReturnsTheirAttributes() {
        SessionKey old1 = randomKey();
        SessionKey old2 = randomKey();
        store.write(create(old1, Map.of("file_contents", "[\"x\"]")));
        store.write(create(old2, Map.of("n", "1")));
        clock.advance(IDLE.minusMinutes(1));
        SessionKey live = randomKey();
        store.write(create(live, Map.of("n", "2")));
        clock.advance(Duration.ofMinutes(2));

        List<SessionRecord> swept = sweepAll();

        assertThat(swept).extracting(SessionRecord::key).contains(old1, old2).doesNotContain(live);
        assertThat(swept).filteredOn(r -> r.key().equals(old1)).singleElement()
                .extracting(SessionRecord::attributes).isEqualTo(Map.of("file_contents", "[\"x\"]"));
        assertThat(store.load(old1)).isEmpty();
        assertThat(store.load(old2)).isEmpty();
        assertThat(store.load(live)).isPresent();
    }

    @Test
    void sweepHonoursItsLimit() {
        for (int i = 0; i < 5; i++) {
            store.write(create(randomKey(), Map.of("i", Integer.toString(i))));
        }
        clock.advance(IDLE.plusSeconds(1));

        List<SessionRecord> reported = new ArrayList<>();
        int swept = store.sweep(clock.instant(), 2, reported::add);

        assertThat(swept).isBetween(1, 2);
        assertThat(reported).hasSize(swept);
    }

    @Test
    void createWhenAboveTheCapThenTooLargeAndNothingStored() {
        SessionKey key = randomKey();
        Instant now = clock.instant();
        SessionWrite oversized = new SessionWrite(key, true, Map.of("big", "\"" + "x".repeat(200) + "\""), Set.of(), now, now,
                IDLE, now.plus(IDLE), SessionWrite.ANY_VERSION, now, 100);

        assertThat(store.write(oversized)).isEqualTo(WriteResult.TOO_LARGE);
        assertThat(store.load(key)).isEmpty();
    }

    @Test
    void writeWhenTheMergedRecordExceedsTheCapThenTooLargeAndNothingChanged() {
        SessionKey key = randomKey();
        store.write(create(key, Map.of("first", "\"" + "x".repeat(600) + "\"")));

        SessionWrite second = change(key, Map.of("second", "\"" + "y".repeat(600) + "\""), Set.of(), SessionWrite.ANY_VERSION, 1000);

        assertThat(store.write(second)).isEqualTo(WriteResult.TOO_LARGE);
        SessionRecord record = store.load(key).orElseThrow();
        assertThat(record.attributes()).containsOnlyKeys("first");
        assertThat(record.version()).isEqualTo(1);
    }

    @Test
    void textWhenItHoldsEveryKindOfUtf16CharacterThenTheStoreGivesBackExactlyWhatWasWritten() {
        SessionKey key = randomKey();
        String encoded = SessionCodec.plain().encode(EVERY_UTF16_EDGE);
        store.write(create(key, Map.of("text", encoded, "n\u00e4me\uD83D\uDE00", "1")));

        assertThat(store.load(key).orElseThrow().attributes()).isEqualTo(Map.of("text", encoded, "n\u00e4me\uD83D\uDE00", "1"));
    }

    @Test
    void moveWhenTheOldKeyIsLiveThenTheMergedRecordLivesUnderTheNewKeyOnlyAndKeepsItsCreation() {
        SessionKey from = randomKey();
        SessionKey to = randomKey();
        SessionWrite created = create(from, Map.of("a", "1", "b", "2"));
        store.write(created);
        clock.advance(Duration.ofMinutes(5));

        assertThat(store.move(from, moveTo(to, Map.of("c", "3"), Set.of("b"), SessionWrite.NO_SIZE_LIMIT))).isEqualTo(WriteResult.WRITTEN);

        assertThat(store.load(from)).isEmpty();
        SessionRecord moved = store.load(to).orElseThrow();
        assertThat(moved.key()).isEqualTo(to);
        assertThat(moved.attributes()).isEqualTo(Map.of("a", "1", "c", "3"));
        assertThat(moved.createdAt()).isEqualTo(created.createdAt());
        assertThat(moved.lastAccessedAt()).isEqualTo(clock.instant());
        assertThat(moved.expiresAt()).isEqualTo(clock.instant().plus(IDLE));
    }

    @Test
    void moveWhenTheOldKeyIsAbsentThenGoneAndNothingCreated() {
        SessionKey to = randomKey();

        assertThat(store.move(randomKey(), moveTo(to, Map.of("a", "1"), Set.of(), SessionWrite.NO_SIZE_LIMIT))).isEqualTo(WriteResult.GONE);
        assertThat(store.load(to)).isEmpty();
    }

    @Test
    void moveWhenTheOldKeyExpiredThenGoneAndNothingCreated() {
        SessionKey from = randomKey();
        SessionKey to = randomKey();
        store.write(create(from, Map.of("a", "1")));
        clock.advance(IDLE.plusSeconds(1));

        assertThat(store.move(from, moveTo(to, Map.of(), Set.of(), SessionWrite.NO_SIZE_LIMIT))).isEqualTo(WriteResult.GONE);
        assertThat(store.load(to)).isEmpty();
    }

    @Test
    void moveWhenTheNewKeyIsTakenThenConflictAndNothingChanged() {
        SessionKey from = randomKey();
        SessionKey to = randomKey();
        store.write(create(from, Map.of("owner", "\"moving\"")));
        store.write(create(to, Map.of("owner", "\"other\"")));

        assertThat(store.move(from, moveTo(to, Map.of("b", "2"), Set.of(), SessionWrite.NO_SIZE_LIMIT))).isEqualTo(WriteResult.CONFLICT);

        SessionRecord old = store.load(from).orElseThrow();
        assertThat(old.attributes()).isEqualTo(Map.of("owner", "\"moving\""));
        assertThat(old.version()).isEqualTo(1);
        assertThat(store.load(to).orElseThrow().attributes()).isEqualTo(Map.of("owner", "\"other\""));
    }

    @Test
    void moveWhenTheMergedRecordExceedsTheCapThenTooLargeAndNothingChanged() {
        SessionKey from = randomKey();
        SessionKey to = randomKey();
        store.write(create(from, Map.of("first", "\"" + "x".repeat(600) + "\"")));

        SessionWrite move = moveTo(to, Map.of("second", "\"" + "y".repeat(600) + "\""), Set.of(), 1000);

        assertThat(store.move(from, move)).isEqualTo(WriteResult.TOO_LARGE);
        assertThat(store.load(from).orElseThrow().attributes()).containsOnlyKeys("first");
        assertThat(store.load(to)).isEmpty();
    }

    @Test
    void moveWhenWritesToTheOldKeyRaceItThenEveryWriteAnsweredWrittenIsCarriedOver() throws Exception {
        for (int round = 0; round < RACE_ROUNDS; round++) {
            SessionKey from = randomKey();
            SessionKey to = randomKey();
            store.write(create(from, Map.of("start", "1")));
            int writers = 8;
            WriteResult[] writes = new WriteResult[writers];
            WriteResult[] move = new WriteResult[1];
            List<Callable<?>> tasks = new ArrayList<>();
            for (int i = 0; i < writers; i++) {
                int writer = i;
                tasks.add(() -> writes[writer] = store.write(change(from, Map.of("w" + writer, "1"), Set.of(), SessionWrite.ANY_VERSION)));
            }
            tasks.add(() -> move[0] = store.move(from, moveTo(to, Map.of("moved", "true"), Set.of(), SessionWrite.NO_SIZE_LIMIT)));

            runAtOnce(tasks);

            assertThat(move[0]).as("round " + round).isEqualTo(WriteResult.WRITTEN);
            assertThat(store.load(from)).as("round " + round).isEmpty();
            Map<String, String> moved = store.load(to).orElseThrow().attributes();
            assertThat(moved).as("round " + round).containsKeys("start", "moved");
            for (int i = 0; i < writers; i++) {
                assertThat(writes[i]).as("round " + round + ", writer " + i).isIn(WriteResult.WRITTEN, WriteResult.GONE);
                if (writes[i] == WriteResult.WRITTEN) {
                    assertThat(moved).as("round " + round + ": a write answered WRITTEN was lost").containsKey("w" + i);
                }
            }
        }
    }

    @Test
    void moveWhenADeleteOfTheOldKeyRacesItThenNeverBothKeysLiveAndADeletedSessionStaysDead() throws Exception {
        for (int round = 0; round < RACE_ROUNDS; round++) {
            SessionKey from = randomKey();
            SessionKey to = randomKey();
            store.write(create(from, Map.of("user", "\"alice\"")));
            boolean[] deleted = new boolean[1];
            WriteResult[] move = new WriteResult[1];

            runAtOnce(List.of(
                    () -> deleted[0] = store.delete(from),
                    () -> move[0] = store.move(from, moveTo(to, Map.of(), Set.of(), SessionWrite.NO_SIZE_LIMIT))));

            String state = "round " + round + ": delete answered " + deleted[0] + ", move " + move[0];
            assertThat(store.load(from)).as(state).isEmpty();
            if (deleted[0]) {
                assertThat(move[0]).as(state).isEqualTo(WriteResult.GONE);
                assertThat(store.load(to)).as(state).isEmpty();
            } else {
                assertThat(move[0]).as(state).isEqualTo(WriteResult.WRITTEN);
                assertThat(store.load(to)).as(state).isPresent();
            }
        }
    }

    /** Runs the tasks on 16 threads, released together, and fails with the first task's failure, if any. */
    private static void runAtOnce(List<Callable<?>> tasks) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(16);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (Callable<?> task : tasks) {
                futures.add(pool.submit(() -> {
                    start.await();
                    return task.call();
                }));
            }
            start.countDown();
            for (Future<?> future : futures) {
                future.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** One sweep call on {@code store}, with the records it reported deleted, in order. */
    public static List<SessionRecord> sweepOnce(SessionStore store, Instant now, int limit) {
        List<SessionRecord> reported = new ArrayList<>();
        int swept = store.sweep(now, limit, reported::add);
        if (swept != reported.size()) {
            throw new AssertionError("sweep returned " + swept + " but reported " + reported.size() + " records");
        }
        return reported;
    }

    /** Sweeps until nothing is left; the medium may hold expired records of other tests too. */
    protected List<SessionRecord> sweepAll() {
        List<SessionRecord> all = new ArrayList<>();
        for (int round = 0; round < 10_000; round++) {
            if (store.sweep(clock.instant(), 500, all::add) == 0) {
                return all;
            }
        }
        throw new AssertionError("sweep never finished");
    }

    /** Every page of a listing of {@code of} with {@code limit}, checking that none exceeds it. */
    protected static List<RecordPage> listAll(SessionStore of, int limit) {
        List<RecordPage> pages = new ArrayList<>();
        String cursor = null;
        for (int round = 0; round < 1_000_000; round++) {
            RecordPage page = of.list(cursor, limit);
            assertThat(page.records()).as("page %d", round).hasSizeLessThanOrEqualTo(limit);
            pages.add(page);
            if (page.next().isEmpty()) {
                return pages;
            }
            cursor = page.next().get();
        }
        throw new AssertionError("the listing never finished");
    }

    /** How often each of {@code keys} was listed (other tests' records in the medium are left out). */
    private static Map<SessionKey, Integer> timesListed(List<RecordPage> pages, Set<SessionKey> keys) {
        Map<SessionKey, Integer> times = new HashMap<>();
        pages.forEach(page -> page.records().stream().map(RecordSummary::key).filter(keys::contains)
                .forEach(key -> times.merge(key, 1, Integer::sum)));
        return times;
    }

    private Set<SessionKey> createRecords(int count) {
        Set<SessionKey> keys = new HashSet<>();
        for (int i = 0; i < count; i++) {
            SessionKey key = randomKey();
            assertThat(store.write(create(key, Map.of("n", Integer.toString(i))))).isEqualTo(WriteResult.WRITTEN);
            keys.add(key);
        }
        return keys;
    }

    @Test
    void listWhenTheStoreIsEmptyThenEveryPageIsEmptyAndTheListingEnds() {
        try (SessionStore empty = createEmptyStore()) {
            assertThat(listAll(empty, 10)).flatExtracting(RecordPage::records).isEmpty();
        }
    }

    @Test
    void listWhenPagedWithASmallLimitThenEveryRecordComesExactlyOnceAndNoPageExceedsTheLimit() {
        Set<SessionKey> keys = createRecords(23);

        List<RecordPage> pages = listAll(store, 4);

        assertThat(timesListed(pages, keys)).containsOnlyKeys(keys).allSatisfy((key, times) -> assertThat(times).isOne());
        assertThat(pages).hasSizeGreaterThanOrEqualTo(6);
    }

    @Test
    void listWhenARecordIsStoredThenItsSummaryMatchesItWithoutTheAttributes() {
        SessionKey key = randomKey();
        store.write(create(key, Map.of("name", "\"Zoë\"", "n", "42")));
        SessionRecord record = store.load(key).orElseThrow();

        RecordSummary summary = listAll(store, 50).stream().flatMap(page -> page.records().stream())
                .filter(listed -> listed.key().equals(key)).findFirst().orElseThrow();

        assertThat(summary).isEqualTo(RecordSummary.of(record));
        assertThat(summary.sizeInBytes()).isEqualTo("name".length() + "\"Zoë\"".getBytes(StandardCharsets.UTF_8).length + "n42".length());
        assertThat(summary.idleDeadline()).isEqualTo(record.lastAccessedAt().plus(record.maxInactiveInterval()));
    }

    @Test
    void listWhenARecordExpiredButIsNotSweptThenItIsListed() {
        Set<SessionKey> keys = createRecords(3);
        clock.advance(IDLE.plusSeconds(1));

        List<RecordPage> pages = listAll(store, 2);

        assertThat(timesListed(pages, keys)).containsOnlyKeys(keys);
        assertThat(pages).flatExtracting(RecordPage::records).filteredOn(summary -> keys.contains(summary.key()))
                .allSatisfy(summary -> assertThat(summary.isExpiredAt(clock.instant())).isTrue());
    }

    @Test
    void listWhenEachListedRecordIsDeletedBeforeTheNextPageThenTheListingStillReachesEveryRecord() {
        Set<SessionKey> keys = createRecords(17);
        Set<SessionKey> deleted = new HashSet<>();

        String cursor = null;
        do {
            RecordPage page = store.list(cursor, 3);
            page.records().stream().map(RecordSummary::key).filter(keys::contains).forEach(key -> {
                assertThat(store.delete(key)).isTrue();
                deleted.add(key);
            });
            cursor = page.next().orElse(null);
        } while (cursor != null);

        assertThat(deleted).isEqualTo(keys);
    }

    @Test
    void listWhenTheLimitIsNotPositiveThenRefused() {
        assertThatThrownBy(() -> store.list(null, 0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0");
    }

    @Test
    void sessionRoundTripsThroughTheStore() {
        SessionManager manager = manager();
        Session session = manager.create();
        session.setAttribute("file_contents", List.of("first line", "  indented"));
        session.setAttribute("count", 3);
        session.setAttribute("nested", Map.of("ok", true, "ratio", 0.5));

        assertThat(manager.commit(session)).isEqualTo(CommitOutcome.SAVED);

        Session loaded = manager.find(session.id()).orElseThrow();
        assertThat(loaded.isNew()).isFalse();
        assertThat(loaded.getAttribute("file_contents")).isEqualTo(List.of("first line", "  indented"));
        assertThat(loaded.getAttribute("count")).isEqualTo(3);
        assertThat(loaded.getAttribute("nested")).isEqualTo(Map.of("ok", true, "ratio", 0.5));
    }

    // Proves docs/persistence.md#lifecycle
    @Test
    void sessionWithoutDataIsNeverStored() {
        SessionManager manager = manager();
        Session session = manager.create();

        assertThat(manager.commit(session)).isEqualTo(CommitOutcome.NOTHING_TO_STORE);
        assertThat(store.load(session.key())).isEmpty();
    }

    // Proves docs/persistence.md#lifecycle
    // Proves docs/persistence.md#filesystem-written
    @Test
    void readOnlyRequestWritesNothing() {
        SessionManager manager = manager();
        Session session = manager.create();
        session.setAttribute("lines", new ArrayList<>(List.of("a")));
        manager.commit(session);
        clock.advance(Duration.ofSeconds(10));

        Session reader = manager.find(session.id()).orElseThrow();
        assertThat(reader.getAttribute("lines")).isEqualTo(List.of("a"));

        assertThat(manager.commit(reader)).isEqualTo(CommitOutcome.UNCHANGED);
        assertThat(store.load(session.key()).orElseThrow().version()).isEqualTo(1);
    }

    @Test
    void inPlaceChangeOfAnAttributeIsSaved() {
        SessionManager manager = manager();
        Session session = manager.create();
        session.setAttribute("lines", new ArrayList<>(List.of("a")));
        manager.commit(session);

        Session next = manager.find(session.id()).orElseThrow();
        @SuppressWarnings("unchecked")
        List<String> lines = (List<String>) next.getAttribute("lines");
        lines.add("b");
        manager.commit(next);

        assertThat(manager.find(session.id()).orElseThrow().getAttribute("lines")).isEqualTo(List.of("a", "b"));
    }

    // Proves docs/persistence.md#lifecycle
    // Proves docs/persistence.md#filesystem-written
    @Test
    void touchIsWrittenOnlyAfterTheTouchRatioOfTheIdleTimeout() {
        SessionManager manager = manager();
        Session session = manager.create();
        session.setAttribute("a", 1);
        manager.commit(session);

        clock.advance(IDLE.dividedBy(20));
        manager.commit(manager.find(session.id()).orElseThrow());
        assertThat(store.load(session.key()).orElseThrow().version()).isEqualTo(1);

        clock.advance(IDLE.dividedBy(10));
        assertThat(manager.commit(manager.find(session.id()).orElseThrow())).isEqualTo(CommitOutcome.SAVED);
        SessionRecord touched = store.load(session.key()).orElseThrow();
        assertThat(touched.version()).isEqualTo(2);
        assertThat(touched.expiresAt()).isEqualTo(clock.instant().plus(IDLE));
    }

    // Proves docs/persistence.md#postgresql-written
    @Test
    void concurrentRequestsSettingDifferentAttributesKeepBoth() {
        SessionManager manager = manager();
        Session session = manager.create();
        session.setAttribute("start", "yes");
        manager.commit(session);

        Session requestA = manager.find(session.id()).orElseThrow();
        Session requestB = manager.find(session.id()).orElseThrow();
        requestA.setAttribute("theme", "dark");
        requestB.setAttribute("file_contents", List.of("line"));
        requestB.removeAttribute("start");
        manager.commit(requestA);
        manager.commit(requestB);

        Session after = manager.find(session.id()).orElseThrow();
        assertThat(after.getAttribute("theme")).isEqualTo("dark");
        assertThat(after.getAttribute("file_contents")).isEqualTo(List.of("line"));
        assertThat(after.getAttribute("start")).isNull();
    }

    @Test
    void manyRequestsCommittingDifferentAttributesAtOnceKeepEveryOne() throws Exception {
        SessionManager manager = manager();
        Session session = manager.create();
        session.setAttribute("start", "yes");
        manager.commit(session);

        int requests = 24;
        List<Session> loaded = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            loaded.add(manager.find(session.id()).orElseThrow()); // all read the same version before anyone writes
        }
        List<Callable<?>> commits = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            Session request = loaded.get(i);
            String name = "attribute" + i;
            commits.add(() -> {
                request.setAttribute(name, name);
                return manager.commit(request);
            });
        }
        runAtOnce(commits);

        Session after = manager.find(session.id()).orElseThrow();
        for (int i = 0; i < requests; i++) {
            assertThat(after.getAttribute("attribute" + i)).as("attribute" + i).isEqualTo("attribute" + i);
        }
        assertThat(after.getAttribute("start")).isEqualTo("yes");
        assertThat(store.load(session.key()).orElseThrow().version()).isEqualTo(1 + requests);
    }

    @Test
    void fiftyConcurrentUpdatesGiveFifty() throws Exception {
        // Each update may lose many rounds to the others on a slow medium; this test is about none being lost, so the
        // bound on one update's retries is set far beyond what they need.
        SessionManager manager = manager(CloakroomConfig.builder().idleTimeout(IDLE).storeTimeout(Duration.ofSeconds(60)).build());
        Session session = manager.create();
        session.setAttribute("uploads", 0);
        manager.commit(session);

        int requests = 50;
        List<Callable<?>> increments = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            increments.add(() -> {
                Session request = manager.find(session.id()).orElseThrow();
                request.<Integer>update("uploads", n -> n + 1);
                return manager.commit(request);
            });
        }
        runAtOnce(increments);

        assertThat(manager.find(session.id()).orElseThrow().getAttribute("uploads")).isEqualTo(requests);
    }

    // Proves docs/persistence.md#lifecycle
    @Test
    void expiredSessionIsAbsentOnReadBeforeAnySweep() {
        SessionManager manager = manager();
        Session session = manager.create();
        session.setAttribute("a", 1);
        manager.commit(session);

        clock.advance(IDLE.plusMillis(1));

        assertThat(manager.find(session.id())).isEmpty();
    }

    // Proves docs/persistence.md#lifecycle
    @Test
    void absoluteTimeoutEndsAnActiveSession() {
        SessionManager manager = manager(CloakroomConfig.builder().idleTimeout(IDLE).absoluteTimeout(Duration.ofHours(1)).build());
        Session session = manager.create();
        session.setAttribute("a", 1);
        manager.commit(session);

        for (int i = 0; i < 5; i++) {
            clock.advance(Duration.ofMinutes(13));
            manager.find(session.id()).ifPresent(s -> {
                s.setAttribute("a", 2);
                manager.commit(s);
            });
        }

        assertThat(manager.find(session.id())).isEmpty();
    }

    // Proves docs/persistence.md#lifecycle
    @Test
    void invalidatedSessionIsNotResurrectedByAConcurrentRequest() {
        SessionManager manager = manager();
        Session session = manager.create();
        session.setAttribute("a", 1);
        manager.commit(session);

        Session slowRequest = manager.find(session.id()).orElseThrow();
        manager.find(session.id()).orElseThrow().invalidate();
        slowRequest.setAttribute("b", 2);

        assertThat(manager.commit(slowRequest)).isEqualTo(CommitOutcome.ENDED);
        assertThat(store.load(session.key())).isEmpty();
        assertThat(manager.find(session.id())).isEmpty();
    }

    // Proves docs/persistence.md#lifecycle
    @Test
    void sweptSessionIsNotResurrected() {
        SessionManager manager = manager();
        Session session = manager.create();
        session.setAttribute("a", 1);
        manager.commit(session);
        Session slowRequest = manager.find(session.id()).orElseThrow();

        clock.advance(IDLE.plusSeconds(1));
        sweepAll();
        slowRequest.setAttribute("b", 2);

        assertThat(manager.commit(slowRequest)).isEqualTo(CommitOutcome.ENDED);
        assertThat(store.load(session.key())).isEmpty();
    }

    @Test
    void updateWhenTheSessionExpiredMeanwhileThenIllegalStateAndNothingWritten() {
        SessionManager manager = manager();
        Session session = manager.create();
        session.setAttribute("uploads", 1);
        manager.commit(session);
        Session slowRequest = manager.find(session.id()).orElseThrow();

        clock.advance(IDLE.plusSeconds(1));

        assertThatThrownBy(() -> slowRequest.<Integer>update("uploads", n -> n + 1)).isInstanceOf(IllegalStateException.class);
        store.load(session.key()).ifPresent(record -> {
            assertThat(record.attributes()).containsEntry("uploads", "1");
            assertThat(record.version()).isEqualTo(1);
        });
        assertThat(manager.find(session.id())).isEmpty();
    }

    // Proves docs/persistence.md#postgresql-deleted
    @Test
    void undecodableRecordIsAbsentAndRemoved() {
        SessionManager manager = manager();
        SessionKey key;
        Session session = manager.create();
        key = session.key();
        // cut short, so not JSON: an unknown type name alone would cost only its attribute, not the record
        store.write(create(key, Map.of("thing", "{\"@type\":\"com.example.Gone\",\"value\":{}")));

        assertThat(manager.find(session.id())).isEmpty();
        assertThat(store.load(key)).isEmpty();
    }

    @Test
    void corruptBytesInTheMediumReadAsAbsent() {
        SessionManager manager = manager();
        Session session = manager.create();
        session.setAttribute("a", 1);
        manager.commit(session);

        writeGarbage(session.key());

        assertThat(store.load(session.key())).isEmpty();
        assertThat(manager.find(session.id())).isEmpty();
    }

    @Test
    void oversizedSessionIsRefusedAndTheStoredOneKept() {
        SessionManager manager = manager(CloakroomConfig.builder().idleTimeout(IDLE).maxSessionBytes(10_000).build());
        Session session = manager.create();
        session.setAttribute("small", "x");
        manager.commit(session);

        Session next = manager.find(session.id()).orElseThrow();
        next.setAttribute("big", "y".repeat(20_000));

        assertThatThrownBy(() -> manager.commit(next)).isInstanceOf(SessionTooLargeException.class);
        SessionRecord stored = store.load(session.key()).orElseThrow();
        assertThat(stored.attributes()).containsOnlyKeys("small");
        assertThat(stored.version()).isEqualTo(1);
    }

    // Proves docs/persistence.md#raw-id
    @Test
    void rawIdAppearsNowhereInTheStore() {
        SessionManager manager = manager();
        Session session = manager.create();
        session.setAttribute("file_contents", List.of("hello"));
        manager.commit(session);
        String firstId = session.id();
        session.changeId();
        manager.commit(session);

        String storage = dumpStorage();
        assertThat(storage).contains(session.key().value().substring(2, 20));
        assertThat(storage).doesNotContain(session.id()).doesNotContain(firstId);
    }

    // Proves docs/persistence.md#postgresql-deleted
    @Test
    void changeIdMovesTheDataAndRetiresTheOldId() {
        SessionManager manager = manager();
        Session session = manager.create();
        session.setAttribute("a", 1);
        manager.commit(session);
        String oldId = session.id();

        Session request = manager.find(oldId).orElseThrow();
        request.changeId();
        request.setAttribute("b", 2);
        assertThat(manager.commit(request)).isEqualTo(CommitOutcome.SAVED);

        assertThat(request.id()).isNotEqualTo(oldId);
        assertThat(manager.find(oldId)).isEmpty();
        Session moved = manager.find(request.id()).orElseThrow();
        assertThat(moved.getAttribute("a")).isEqualTo(1);
        assertThat(moved.getAttribute("b")).isEqualTo(2);
    }

    @Test
    void setWhenAnotherTabChangedTheAttributeMeanwhileThenTheLaterSetWinsEvenIfItRestoresTheLoadedValue() {
        SessionManager manager = manager();
        String id = storedSession(manager, Map.of("theme", "light"));
        Session tabA = manager.find(id).orElseThrow();
        Session tabB = manager.find(id).orElseThrow();

        tabB.setAttribute("theme", "dark");
        manager.commit(tabB);
        tabA.setAttribute("theme", "light");
        manager.commit(tabA);

        assertThat(manager.find(id).orElseThrow().getAttribute("theme")).isEqualTo("light");
    }

    @Test
    void setWhenTheTabRestoringTheLoadedValueCommitsFirstThenTheLaterSetWins() {
        SessionManager manager = manager();
        String id = storedSession(manager, Map.of("theme", "light"));
        Session tabA = manager.find(id).orElseThrow();
        Session tabB = manager.find(id).orElseThrow();

        tabA.setAttribute("theme", "light");
        manager.commit(tabA);
        tabB.setAttribute("theme", "dark");
        manager.commit(tabB);

        assertThat(manager.find(id).orElseThrow().getAttribute("theme")).isEqualTo("dark");
    }

    @Test
    void removeWhenAnotherTabAddedTheAttributeAfterThisOneLoadedThenTheLaterRemoveWins() {
        SessionManager manager = manager();
        String id = storedSession(manager, Map.of("start", "yes"));
        Session tabA = manager.find(id).orElseThrow();
        Session tabB = manager.find(id).orElseThrow();

        tabB.setAttribute("x", 1);
        manager.commit(tabB);
        tabA.removeAttribute("x");
        manager.commit(tabA);

        Session after = manager.find(id).orElseThrow();
        assertThat(after.getAttribute("x")).isNull();
        assertThat(after.getAttribute("start")).isEqualTo("yes");
    }

    @Test
    void removeWhenTheTabRemovingAnAbsentAttributeCommitsFirstThenTheLaterAddWins() {
        SessionManager manager = manager();
        String id = storedSession(manager, Map.of("start", "yes"));
        Session tabA = manager.find(id).orElseThrow();
        Session tabB = manager.find(id).orElseThrow();

        tabA.removeAttribute("x");
        manager.commit(tabA);
        tabB.setAttribute("x", 1);
        manager.commit(tabB);

        assertThat(manager.find(id).orElseThrow().getAttribute("x")).isEqualTo(1);
    }

    @Test
    void valueWhenItHoldsPairedSurrogatesAndEveryBmpEdgeThenItRoundTripsExactly() {
        SessionManager manager = manager();
        Session session = manager.create();
        Map<String, Object> nested = Map.of("emoji \uD83D\uDE00 key", List.of(EVERY_UTF16_EDGE, "\uD83D\uDC4D"));
        session.setAttribute("text", EVERY_UTF16_EDGE);
        session.setAttribute("nested", nested);
        session.setAttribute("n\u00e4me \uD83D\uDE00", "\uD83C\uDDE9\uD83C\uDDEA");
        manager.commit(session);

        Session loaded = manager.find(session.id()).orElseThrow();
        assertThat(loaded.getAttribute("text")).isEqualTo(EVERY_UTF16_EDGE);
        assertThat(loaded.getAttribute("nested")).isEqualTo(nested);
        assertThat(loaded.getAttribute("n\u00e4me \uD83D\uDE00")).isEqualTo("\uD83C\uDDE9\uD83C\uDDEA");
        Map<String, String> stored = store.load(session.key()).orElseThrow().attributes();
        assertThat(stored.get("text")).isEqualTo(manager.codec().encode(EVERY_UTF16_EDGE));
        assertThat(stored.get("n\u00e4me \uD83D\uDE00")).isEqualTo(manager.codec().encode("\uD83C\uDDE9\uD83C\uDDEA"));
    }

    @Test
    void setWhenAnUnpairedSurrogateIsAnywhereInItThenRefusedAtOnceNamingTheAttributeAndNothingChanges() {
        SessionManager manager = manager();
        String id = storedSession(manager, Map.of("a", 1));
        Session session = manager.find(id).orElseThrow();

        assertThatThrownBy(() -> session.setAttribute("high", "x\uD83D")).isInstanceOf(UnsupportedAttributeException.class)
                .hasMessageContaining("'high'").hasMessageContaining("surrogate");
        assertThatThrownBy(() -> session.setAttribute("low", "\uDE00x")).isInstanceOf(UnsupportedAttributeException.class)
                .hasMessageContaining("'low'").hasMessageContaining("surrogate");
        assertThatThrownBy(() -> session.setAttribute("listed", List.of("ok", "\uD800"))).isInstanceOf(UnsupportedAttributeException.class)
                .hasMessageContaining("'listed'").hasMessageContaining("surrogate");
        assertThatThrownBy(() -> session.setAttribute("keyed", Map.of("k\uDC00", 1))).isInstanceOf(UnsupportedAttributeException.class)
                .hasMessageContaining("'keyed'").hasMessageContaining("surrogate");
        assertThatThrownBy(() -> session.setAttribute("na\uD800me", "value")).isInstanceOf(UnsupportedAttributeException.class)
                .hasMessageContaining("attribute name").hasMessageContaining("surrogate");

        assertThat(session.attributeNames()).containsOnly("a");
        manager.commit(session);
        SessionRecord record = store.load(session.key()).orElseThrow();
        assertThat(record.attributes()).containsOnlyKeys("a");
        assertThat(record.version()).isEqualTo(1);
    }

    @Test
    void concurrentCommitsWhenTogetherAboveTheCapThenTheStoredRecordStaysWithinItAndOnlyTheRefusedAreMissing() throws Exception {
        long cap = 8_000;
        SessionManager manager = manager(CloakroomConfig.builder().idleTimeout(IDLE).maxSessionBytes(cap).build());
        String id = storedSession(manager, Map.of("start", "yes"));
        int requests = 16;
        List<Session> loaded = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            loaded.add(manager.find(id).orElseThrow());
        }
        String[] outcomes = new String[requests];
        List<Callable<?>> commits = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            Session request = loaded.get(i);
            int n = i;
            commits.add(() -> {
                request.setAttribute("part" + n, "x".repeat((int) (cap / 4))); // a quarter of the cap, and its name
                try {
                    manager.commit(request);
                    outcomes[n] = "accepted";
                } catch (SessionTooLargeException e) {
                    outcomes[n] = "refused";
                }
                return null;
            });
        }

        runAtOnce(commits);

        SessionRecord stored = store.load(SessionKey.of(id)).orElseThrow();
        assertThat(stored.sizeInBytes()).isLessThanOrEqualTo(cap);
        List<String> accepted = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            assertThat(outcomes[i]).as("part" + i).isIn("accepted", "refused");
            if (outcomes[i].equals("accepted")) {
                accepted.add("part" + i);
            }
        }
        assertThat(accepted).hasSize(3);
        Set<String> expected = new HashSet<>(accepted);
        expected.add("start");
        assertThat(stored.attributes().keySet()).isEqualTo(expected);
    }

    /** A session stored with {@code attributes} through {@code manager}; its raw id. */
    private static String storedSession(SessionManager manager, Map<String, Object> attributes) {
        Session session = manager.create();
        attributes.forEach(session::setAttribute);
        manager.commit(session);
        return session.id();
    }
    @Test
    void createWithAPrincipalThenLoadListAndFindByPrincipalGiveItBack() {
        String principal = randomPrincipal();
        SessionKey key = randomKey();
        assertThat(store.write(createFor(key, principal, Map.of("a", "1")))).isEqualTo(WriteResult.WRITTEN);

        SessionRecord stored = store.load(key).orElseThrow();
        assertThat(stored.principal()).isEqualTo(principal);
        List<RecordSummary> found = store.findByPrincipal(principal, 10);
        assertThat(found).containsExactly(RecordSummary.of(stored));
        assertThat(listAll(store, 1000).stream().flatMap(page -> page.records().stream())
                .filter(summary -> summary.key().equals(key))).singleElement()
                .extracting(RecordSummary::principal).isEqualTo(principal);
    }

    @Test
    void findByPrincipalWhenNoneOrAnotherOrADifferentlyCasedNameThenNothing() {
        String principal = randomPrincipal();
        store.write(createFor(randomKey(), principal, Map.of("a", "1")));
        store.write(create(randomKey(), Map.of("a", "1")));

        assertThat(store.findByPrincipal(randomPrincipal(), 10)).isEmpty();
        assertThat(store.findByPrincipal(principal.toUpperCase(java.util.Locale.ROOT), 10)).isEmpty();
        assertThat(store.findByPrincipal(principal + " ", 10)).isEmpty();
        assertThat(store.findByPrincipal(principal, 10)).hasSize(1);
    }

    @Test
    void findByPrincipalWhenTheLimitIsNotPositiveThenRefused() {
        assertThatThrownBy(() -> store.findByPrincipal(randomPrincipal(), 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void findByPrincipalGivesTheLatestExpiryFirstAndHonoursTheLimit() {
        String principal = randomPrincipal();
        List<SessionKey> inOrder = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            SessionKey key = randomKey();
            store.write(createFor(key, principal, Map.of("i", Integer.toString(i))));
            inOrder.add(0, key);
            clock.advance(Duration.ofSeconds(1));
        }

        assertThat(keysOf(principal)).containsExactlyElementsOf(inOrder);
        assertThat(store.findByPrincipal(principal, 2)).extracting(RecordSummary::key).containsExactlyElementsOf(inOrder.subList(0, 2));
    }

    @Test
    void writeWithoutAPrincipalChangeKeepsItAndATouchMovesItsExpiryInTheIndex() {
        String principal = randomPrincipal();
        SessionKey key = randomKey();
        store.write(createFor(key, principal, Map.of("a", "1")));
        clock.advance(Duration.ofMinutes(5));

        assertThat(store.write(change(key, Map.of("b", "2"), Set.of(), SessionWrite.ANY_VERSION))).isEqualTo(WriteResult.WRITTEN);

        assertThat(store.load(key).orElseThrow().principal()).isEqualTo(principal);
        assertThat(store.findByPrincipal(principal, 10)).singleElement()
                .satisfies(summary -> assertThat(summary.expiresAt()).isEqualTo(clock.instant().plus(IDLE)))
                .isEqualTo(RecordSummary.of(store.load(key).orElseThrow()));
    }

    // Proves docs/persistence.md#principal-index-moved
    @Test
    void writeWhenThePrincipalChangesOrIsClearedThenOnlyTheCurrentOneFindsIt() {
        String first = randomPrincipal();
        String second = randomPrincipal();
        SessionKey key = randomKey();
        store.write(createFor(key, first, Map.of("a", "1")));

        assertThat(store.write(signIn(key, second, Map.of()))).isEqualTo(WriteResult.WRITTEN);
        assertThat(principalIndexOf(first)).isEmpty();
        assertThat(keysOf(first)).isEmpty();
        assertThat(keysOf(second)).containsExactly(key);
        assertThat(store.load(key).orElseThrow().attributes()).isEqualTo(Map.of("a", "1"));

        assertThat(store.write(signIn(key, null, Map.of()))).isEqualTo(WriteResult.WRITTEN);
        assertThat(store.load(key).orElseThrow().principal()).isNull();
        assertThat(principalIndexOf(second)).isEmpty();
        assertThat(keysOf(second)).isEmpty();
    }

    @Test
    void writeWhenRefusedThenThePrincipalAndItsIndexAreUnchanged() {
        String principal = randomPrincipal();
        String other = randomPrincipal();
        SessionKey key = randomKey();
        store.write(createFor(key, principal, Map.of("a", "1")));
        Instant now = clock.instant();

        SessionWrite stale = new SessionWrite(key, false, Map.of(), Set.of(), now, now, IDLE, now.plus(IDLE), 7, now,
                SessionWrite.NO_SIZE_LIMIT, true, other);
        SessionWrite tooLarge = new SessionWrite(key, false, Map.of("big", "x".repeat(100)), Set.of(), now, now, IDLE,
                now.plus(IDLE), SessionWrite.ANY_VERSION, now, 10, true, other);
        SessionKey absent = randomKey();
        assertThat(store.write(stale)).isEqualTo(WriteResult.CONFLICT);
        assertThat(store.write(tooLarge)).isEqualTo(WriteResult.TOO_LARGE);
        assertThat(store.write(signIn(absent, other, Map.of()))).isEqualTo(WriteResult.GONE);
        assertThat(store.write(createFor(key, other, Map.of()))).isEqualTo(WriteResult.CONFLICT);

        assertThat(store.load(key).orElseThrow().principal()).isEqualTo(principal);
        assertThat(keysOf(principal)).containsExactly(key);
        assertThat(principalIndexOf(other)).isEmpty();
        assertThat(keysOf(other)).isEmpty();
        assertThat(store.load(absent)).isEmpty();
    }

    // Proves docs/persistence.md#principal-index-deleted
    @Test
    void deleteWhenSignedInThenTheIndexHoldsNothingForThePrincipal() {
        String principal = randomPrincipal();
        SessionKey key = randomKey();
        store.write(createFor(key, principal, Map.of("a", "1")));
        assertThat(principalIndexOf(principal)).isNotEmpty();

        assertThat(store.delete(key)).isTrue();

        assertThat(principalIndexOf(principal)).isEmpty();
        assertThat(keysOf(principal)).isEmpty();
    }

    // Proves docs/persistence.md#principal-index-swept
    @Test
    void sweepWhenSignedInSessionsExpireThenTheIndexHoldsNothingForThePrincipal() {
        String principal = randomPrincipal();
        SessionKey expiring = randomKey();
        store.write(createFor(expiring, principal, Map.of("a", "1")));
        clock.advance(IDLE.minusMinutes(1));
        SessionKey live = randomKey();
        store.write(createFor(live, principal, Map.of("a", "2")));
        clock.advance(Duration.ofMinutes(2));

        assertThat(keysOf(principal)).as("expired records are listed after the live ones until swept")
                .startsWith(live).doesNotHaveDuplicates();
        List<SessionRecord> swept = sweepAll();
        assertThat(principalIndexOf(principal)).doesNotContain(expiring.value().substring(2, 20));

        assertThat(swept).filteredOn(r -> r.key().equals(expiring)).singleElement()
                .extracting(SessionRecord::principal).isEqualTo(principal);
        assertThat(keysOf(principal)).containsExactly(live);
        clock.advance(IDLE);
        sweepAll();
        assertThat(principalIndexOf(principal)).isEmpty();
        assertThat(keysOf(principal)).isEmpty();
    }

    // Proves docs/persistence.md#principal-index-moved
    @Test
    void moveWhenSignedInThenThePrincipalFindsOnlyTheNewKeyAndAPrincipalChangeOnTheWayApplies() {
        String principal = randomPrincipal();
        String other = randomPrincipal();
        SessionKey from = randomKey();
        SessionKey to = randomKey();
        store.write(createFor(from, principal, Map.of("a", "1")));

        assertThat(store.move(from, moveTo(to, Map.of(), Set.of(), SessionWrite.NO_SIZE_LIMIT))).isEqualTo(WriteResult.WRITTEN);
        assertThat(store.load(to).orElseThrow().principal()).isEqualTo(principal);
        assertThat(principalIndexOf(principal)).doesNotContain(from.value().substring(2, 20));
        assertThat(keysOf(principal)).containsExactly(to);

        SessionKey again = randomKey();
        Instant now = clock.instant();
        SessionWrite signingIn = new SessionWrite(again, false, Map.of(), Set.of(), now, now, IDLE, now.plus(IDLE),
                SessionWrite.ANY_VERSION, now, SessionWrite.NO_SIZE_LIMIT, true, other);
        assertThat(store.move(to, signingIn)).isEqualTo(WriteResult.WRITTEN);
        assertThat(principalIndexOf(principal)).isEmpty();
        assertThat(keysOf(principal)).isEmpty();
        assertThat(keysOf(other)).containsExactly(again);
    }

    @Test
    void moveWhenRefusedThenTheIndexIsUnchanged() {
        String principal = randomPrincipal();
        SessionKey from = randomKey();
        SessionKey taken = randomKey();
        store.write(createFor(from, principal, Map.of("a", "1")));
        store.write(create(taken, Map.of("b", "2")));

        assertThat(store.move(from, moveTo(taken, Map.of(), Set.of(), SessionWrite.NO_SIZE_LIMIT))).isEqualTo(WriteResult.CONFLICT);
        assertThat(store.move(from, moveTo(randomKey(), Map.of("big", "x".repeat(100)), Set.of(), 10))).isEqualTo(WriteResult.TOO_LARGE);
        assertThat(keysOf(principal)).containsExactly(from);

        clock.advance(IDLE.plusSeconds(1));
        SessionKey late = randomKey();
        assertThat(store.move(from, moveTo(late, Map.of(), Set.of(), SessionWrite.NO_SIZE_LIMIT))).isEqualTo(WriteResult.GONE);
        assertThat(keysOf(principal)).containsExactly(from);
        assertThat(store.load(late)).isEmpty();
    }

    // Proves docs/persistence.md#principal-index-deleted
    @Test
    void signInWhenItRacesADeleteThenTheIndexNeverOutlivesTheRecord() throws Exception {
        for (int round = 0; round < RACE_ROUNDS; round++) {
            String first = randomPrincipal();
            String second = randomPrincipal();
            SessionKey key = randomKey();
            SessionKey to = randomKey();
            store.write(createFor(key, first, Map.of("a", "1")));

            runAtOnce(List.of(
                    () -> store.write(signIn(key, second, Map.of("b", "2"))),
                    () -> store.move(key, moveTo(to, Map.of(), Set.of(), SessionWrite.NO_SIZE_LIMIT)),
                    () -> store.delete(key),
                    () -> store.delete(to)));

            store.delete(key);
            store.delete(to);
            String state = "round " + round;
            assertThat(principalIndexOf(first)).as(state).isEmpty();
            assertThat(principalIndexOf(second)).as(state).isEmpty();
            assertThat(keysOf(first)).as(state).isEmpty();
            assertThat(keysOf(second)).as(state).isEmpty();
        }
    }

    // Proves docs/persistence.md#principal-index-never-leaks
    @Test
    void sessionsOfAUserWhenEachEndsAnotherWayThenNothingIsLeftForThatUserInTheMedium() {
        SessionManager manager = manager();
        String user = randomPrincipal();
        List<Session> sessions = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Session session = manager.create();
            session.setAttribute("n", i);
            session.setPrincipal(user);
            manager.commit(session);
            sessions.add(session);
        }
        assertThat(manager.sessionsOf(user)).extracting(info -> info.key())
                .containsExactlyInAnyOrderElementsOf(sessions.stream().map(Session::key).toList());
        assertThat(dumpStorage()).doesNotContain(sessions.get(0).id());

        Session invalidated = manager.find(sessions.get(0).id()).orElseThrow();
        invalidated.invalidate();
        Session renamed = manager.find(sessions.get(1).id()).orElseThrow();
        renamed.changeId();
        manager.commit(renamed);
        Session signedOut = manager.find(sessions.get(2).id()).orElseThrow();
        signedOut.setPrincipal(null);
        manager.commit(signedOut);
        assertThat(manager.revoke(sessions.get(3).key())).isTrue();
        String index = principalIndexOf(user);
        for (SessionKey ended : List.of(sessions.get(0).key(), sessions.get(1).key(), sessions.get(2).key(), sessions.get(3).key())) {
            assertThat(index).doesNotContain(ended.value().substring(2, 20));
        }
        assertThat(manager.sessionsOf(user)).extracting(info -> info.key())
                .containsExactlyInAnyOrder(renamed.key(), sessions.get(4).key());
        clock.advance(IDLE.plusSeconds(1));
        sweepAll();

        assertThat(principalIndexOf(user)).isEmpty();
        assertThat(manager.sessionsOf(user)).isEmpty();
        assertThat(dumpStorage()).doesNotContain(user);
    }

    // Proves docs/persistence.md#principal-index-never-leaks
    @Test
    void revokeAllWhenAUserIsSignedInTwiceThenBothEndAndTheIndexHoldsNothing() {
        SessionManager manager = manager();
        String user = randomPrincipal();
        String other = randomPrincipal();
        for (String principal : List.of(user, user, other)) {
            Session session = manager.create();
            session.setPrincipal(principal);
            session.setAttribute("cart", List.of("apple"));
            manager.commit(session);
        }

        assertThat(manager.revokeAll(user)).isEqualTo(2);

        assertThat(principalIndexOf(user)).isEmpty();
        assertThat(manager.sessionsOf(user)).isEmpty();
        assertThat(manager.sessionsOf(other)).hasSize(1);
    }
}
