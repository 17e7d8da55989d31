package dev.cloakroom.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloakroom.SessionKey;
import dev.cloakroom.spi.SessionRecord;
import dev.cloakroom.spi.SessionWrite;
import dev.cloakroom.spi.WriteResult;
import dev.cloakroom.testkit.TestClock;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code move} (a session's id change) and the size cap, each one atomic step in the database: the answers, what they
 * cost, and what concurrent writes and deletes can do to them, on every dialect.
 */
@Tag("server")
class AtomicWritesTest {
    private static final String TABLE = TestDatabases.uniqueTable("atomic");
    private static final Path H2_DIRECTORY = TestDatabases.temporaryFolder("cloakroom-h2-atomicwrites");
    private static final String H2_URL = TestDatabases.h2Url(H2_DIRECTORY);
    private static final Duration IDLE = Duration.ofMinutes(30);
    private static final int ROUNDS = 20;

    private final TestClock clock = new TestClock();

    static Stream<String> urls() {
        return Stream.of(TestDatabases.POSTGRES_URL, TestDatabases.MARIADB_URL, H2_URL);
    }


    @AfterAll
    static void cleanUp() throws SQLException, IOException {
        for (TestServer server : TestServer.values()) {
            try (Connection connection = server.connect()) {
                TestDatabases.execute(connection, "DROP TABLE IF EXISTS " + TABLE);
            }
        }
        TestDatabases.deleteTree(H2_DIRECTORY);
    }

    private static JdbcSessionStore store(String url) {
        return JdbcSessionStore.builder().url(url).table(TABLE).maxPoolSize(4).build();
    }


    private SessionWrite create(SessionKey key, Map<String, String> attributes) {
        Instant now = clock.instant();
        return new SessionWrite(key, true, attributes, Set.of(), now, now, IDLE, now.plus(IDLE), SessionWrite.ANY_VERSION,
                now, SessionWrite.NO_SIZE_LIMIT);
    }

    private SessionWrite change(SessionKey key, Map<String, String> upserts, Set<String> removals, long maxBytes) {
        Instant now = clock.instant();
        return new SessionWrite(key, false, upserts, removals, now.minus(IDLE), now, IDLE, now.plus(IDLE),
                SessionWrite.ANY_VERSION, now, maxBytes);
    }

    @ParameterizedTest
    @MethodSource("urls")
    void moveWhenOldKeyLiveThenTheMergedRecordLivesUnderTheNewKeyOnly(String url) {
        try (JdbcSessionStore store = store(url)) {
            SessionKey from = TestDatabases.randomKey();
            SessionKey to = TestDatabases.randomKey();
            store.write(create(from, Map.of("a", "1", "gone", "2")));
            Instant createdAt = store.load(from).orElseThrow().createdAt();
            clock.advance(Duration.ofMinutes(1));

            assertThat(store.move(from, change(to, Map.of("b", "3"), Set.of("gone"), SessionWrite.NO_SIZE_LIMIT)))
                    .isEqualTo(WriteResult.WRITTEN);

            assertThat(store.load(from)).isEmpty();
            SessionRecord moved = store.load(to).orElseThrow();
            assertThat(moved.attributes()).isEqualTo(Map.of("a", "1", "b", "3"));
            assertThat(moved.createdAt()).as("the session's creation is kept").isEqualTo(createdAt);
            assertThat(moved.expiresAt()).isEqualTo(clock.instant().plus(IDLE));
        }
    }

    @ParameterizedTest
    @MethodSource("urls")
    void moveWhenOldKeyAbsentOrExpiredThenGoneAndNothingCreated(String url) {
        try (JdbcSessionStore store = store(url)) {
            SessionKey absent = TestDatabases.randomKey();
            SessionKey to = TestDatabases.randomKey();
            assertThat(store.move(absent, change(to, Map.of(), Set.of(), SessionWrite.NO_SIZE_LIMIT))).isEqualTo(WriteResult.GONE);
            assertThat(store.load(to)).isEmpty();

            SessionKey expired = TestDatabases.randomKey();
            store.write(create(expired, Map.of("a", "1")));
            clock.advance(IDLE.plusSeconds(1));
            assertThat(store.move(expired, change(to, Map.of(), Set.of(), SessionWrite.NO_SIZE_LIMIT))).isEqualTo(WriteResult.GONE);
            assertThat(store.load(to)).isEmpty();
            assertThat(store.load(expired)).isPresent();
        }
    }

    @ParameterizedTest
    @MethodSource("urls")
    void moveWhenNewKeyTakenThenConflictBothKeptAndTheStoreKeepsWorking(String url) {
        try (JdbcSessionStore store = store(url)) {
            SessionKey from = TestDatabases.randomKey();
            SessionKey taken = TestDatabases.randomKey();
            store.write(create(from, Map.of("a", "1")));
            store.write(create(taken, Map.of("other", "2")));

            assertThat(store.move(from, change(taken, Map.of("b", "3"), Set.of(), SessionWrite.NO_SIZE_LIMIT)))
                    .isEqualTo(WriteResult.CONFLICT);

            assertThat(store.load(from).orElseThrow().attributes()).isEqualTo(Map.of("a", "1"));
            assertThat(store.load(taken).orElseThrow().attributes()).isEqualTo(Map.of("other", "2"));
            assertThat(store.write(change(from, Map.of("c", "4"), Set.of(), SessionWrite.NO_SIZE_LIMIT))).isEqualTo(WriteResult.WRITTEN);
        }
    }

    @ParameterizedTest
    @MethodSource("urls")
    void moveWhenTheMergedRecordExceedsTheCapThenTooLargeAndNothingMoved(String url) {
        try (JdbcSessionStore store = store(url)) {
            SessionKey from = TestDatabases.randomKey();
            SessionKey to = TestDatabases.randomKey();
            store.write(create(from, Map.of("a", "\"" + "x".repeat(50) + "\"")));

            assertThat(store.move(from, change(to, Map.of("b", "\"" + "y".repeat(50) + "\""), Set.of(), 100)))
                    .isEqualTo(WriteResult.TOO_LARGE);

            assertThat(store.load(from)).isPresent();
            assertThat(store.load(to)).isEmpty();
        }
    }

    @ParameterizedTest
    @MethodSource("urls")
    void moveWhenCountedThenOneStatementWhereTheDatabaseMerges(String url) {
        DatabaseUrl parsed = DatabaseUrl.parse(url);
        try (com.zaxxer.hikari.HikariDataSource pool = TestDatabases.pool(url)) {
            CountingDataSource counting = new CountingDataSource(pool);
            try (JdbcSessionStore store = JdbcSessionStore.builder().dataSource(counting.dataSource()).table(TABLE).build()) {
                SessionKey from = TestDatabases.randomKey();
                store.write(create(from, Map.of("a", "1")));
                counting.take();

                assertThat(store.move(from, change(TestDatabases.randomKey(), Map.of("b", "2"), Set.of("a"), 1000))).isEqualTo(WriteResult.WRITTEN);

                // H2 has no JSON merge operator: SELECT ... FOR UPDATE, UPDATE, COMMIT in one transaction.
                assertThat(counting.take()).as("statements of a move").isEqualTo(parsed.database() == JdbcSessionStore.Database.H2 ? 3 : 1);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("urls")
    void moveWhenAWriteToTheOldKeyRacesItThenTheWriteIsInTheMovedRecordOrAnsweredGone(String url) throws Exception {
        try (JdbcSessionStore store = store(url)) {
            for (int round = 0; round < ROUNDS; round++) {
                SessionKey from = TestDatabases.randomKey();
                SessionKey to = TestDatabases.randomKey();
                store.write(create(from, Map.of("a", "1")));
                List<WriteResult> results = atOnce(
                        () -> store.write(change(from, Map.of("late", "2"), Set.of(), SessionWrite.NO_SIZE_LIMIT)),
                        () -> store.move(from, change(to, Map.of(), Set.of(), SessionWrite.NO_SIZE_LIMIT)));
                WriteResult written = results.get(0);

                assertThat(results.get(1)).as("round %d: the move", round).isEqualTo(WriteResult.WRITTEN);
                assertThat(store.load(from)).as("round %d: the old key", round).isEmpty();
                Map<String, String> moved = store.load(to).orElseThrow().attributes();
                if (written == WriteResult.WRITTEN) {
                    assertThat(moved).as("round %d: a write that was answered WRITTEN is kept", round).containsEntry("late", "2");
                } else {
                    assertThat(written).as("round %d: the write", round).isEqualTo(WriteResult.GONE);
                    assertThat(moved).doesNotContainKey("late");
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("urls")
    void moveWhenADeleteOfTheOldKeyRacesItThenEitherTheDeleteOrTheMoveWinsAndNeitherKeyLivesAfterADelete(String url) throws Exception {
        try (JdbcSessionStore store = store(url)) {
            for (int round = 0; round < ROUNDS; round++) {
                SessionKey from = TestDatabases.randomKey();
                SessionKey to = TestDatabases.randomKey();
                store.write(create(from, Map.of("a", "1")));
                List<Object> results = atOnce(
                        () -> store.delete(from),
                        () -> store.move(from, change(to, Map.of(), Set.of(), SessionWrite.NO_SIZE_LIMIT)));
                boolean deleted = (Boolean) results.get(0);
                WriteResult moved = (WriteResult) results.get(1);

                assertThat(store.load(from)).as("round %d: the old key", round).isEmpty();
                if (deleted) {
                    assertThat(moved).as("round %d: a move after the logout", round).isEqualTo(WriteResult.GONE);
                    assertThat(store.load(to)).as("round %d: the new key after the logout", round).isEmpty();
                } else {
                    assertThat(moved).as("round %d: a move before the delete", round).isEqualTo(WriteResult.WRITTEN);
                    assertThat(store.load(to)).isPresent();
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("urls")
    void writeWhenTheMergedRecordExceedsTheCapThenTooLargeAndTheStoredOneKept(String url) {
        try (JdbcSessionStore store = store(url)) {
            SessionKey key = TestDatabases.randomKey();
            store.write(create(key, Map.of("a", "\"" + "x".repeat(50) + "\"")));

            assertThat(store.write(change(key, Map.of("b", "\"" + "y".repeat(50) + "\""), Set.of(), 100))).isEqualTo(WriteResult.TOO_LARGE);
            assertThat(store.load(key).orElseThrow().attributes()).containsOnlyKeys("a");

            // replacing the large attribute with a small one fits: the cap counts the merged record, not the stored one
            assertThat(store.write(change(key, Map.of("b", "1"), Set.of("a"), 100))).isEqualTo(WriteResult.WRITTEN);
            Instant now = clock.instant();
            SessionWrite tooLargeCreate = new SessionWrite(TestDatabases.randomKey(), true, Map.of("a", "\"" + "x".repeat(200) + "\""), Set.of(),
                    now, now, IDLE, now.plus(IDLE), SessionWrite.ANY_VERSION, now, 100);
            assertThat(store.write(tooLargeCreate)).isEqualTo(WriteResult.TOO_LARGE);
            assertThat(store.load(tooLargeCreate.key())).isEmpty();
        }
    }

    @ParameterizedTest
    @MethodSource("urls")
    void writesWhenManyAddDifferentAttributesAtOnceThenTheMergedRecordNeverExceedsTheCap(String url) throws Exception {
        int writers = 8;
        String value = "\"" + "v".repeat(98) + "\"";
        long cap = 450; // room for four of the eight attributes of 102 bytes each
        try (JdbcSessionStore store = store(url)) {
            SessionKey key = TestDatabases.randomKey();
            store.write(create(key, Map.of()));
            List<Callable<Object>> writes = new ArrayList<>();
            for (int i = 0; i < writers; i++) {
                String name = "a" + i;
                writes.add(() -> store.write(change(key, Map.of(name, value), Set.of(), cap)));
            }
            List<Object> results = atOnce(writes);

            SessionRecord stored = store.load(key).orElseThrow();
            assertThat(stored.sizeInBytes()).isLessThanOrEqualTo(cap);
            assertThat(results).containsOnly(WriteResult.WRITTEN, WriteResult.TOO_LARGE);
            assertThat(stored.attributes()).hasSize((int) results.stream().filter(WriteResult.WRITTEN::equals).count());
            assertThat(stored.attributes()).hasSize(4);
        }
    }

    @SafeVarargs
    private static <T> List<T> atOnce(Callable<? extends T>... tasks) throws Exception {
        return atOnce(List.of(tasks));
    }

    /** Runs {@code tasks} on threads of their own, released together; their answers in order. */
    private static <T> List<T> atOnce(List<? extends Callable<? extends T>> tasks) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(tasks.size());
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<? extends T>> futures = new ArrayList<>();
            for (Callable<? extends T> task : tasks) {
                futures.add(pool.submit(() -> {
                    go.await();
                    return task.call();
                }));
            }
            go.countDown();
            List<T> results = new ArrayList<>();
            for (Future<? extends T> future : futures) {
                results.add(future.get(30, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }
}
