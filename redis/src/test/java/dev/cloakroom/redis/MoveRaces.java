package dev.cloakroom.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloakroom.SessionKey;
import dev.cloakroom.spi.SessionRecord;
import dev.cloakroom.spi.SessionWrite;
import dev.cloakroom.spi.WriteResult;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Races around {@link RedisSessionStore#move}, shared by the standalone and the cluster tests: whatever lands on the
 * old key while its record moves, the outcome is one that some order of the calls explains, and never two live keys.
 */
final class MoveRaces {
    static final Duration IDLE = Duration.ofMinutes(30);
    private static final int WRITERS = 3;

    private final RedisSessionStore store;
    private final RedisClusterCommands<String, String> redis;
    private final KeyLayout layout;

    MoveRaces(RedisSessionStore store, RedisClusterCommands<String, String> redis, KeyLayout layout) {
        this.store = store;
        this.redis = redis;
        this.layout = layout;
    }

    static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.MILLIS);
    }

    static SessionWrite create(SessionKey key, Map<String, String> attributes) {
        Instant now = now();
        return new SessionWrite(key, true, attributes, Set.of(), now, now, IDLE, now.plus(IDLE), SessionWrite.ANY_VERSION,
                now, SessionWrite.NO_SIZE_LIMIT);
    }

    static SessionWrite change(SessionKey key, Map<String, String> upserts, Set<String> removals, long maxBytes) {
        Instant now = now();
        return new SessionWrite(key, false, upserts, removals, now, now, IDLE, now.plus(IDLE), SessionWrite.ANY_VERSION,
                now, maxBytes);
    }

    /** Writers keep adding attributes to the old key until it answers GONE; each WRITTEN one must have moved along. */
    void whenWritesToTheOldKeyRaceTheMoveThenNoneThatWasWrittenIsLost(Supplier<SessionKey[]> pairs, int rounds) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(WRITERS + 1);
        try {
            for (int round = 0; round < rounds; round++) {
                SessionKey[] pair = pairs.get();
                SessionKey from = pair[0];
                SessionKey to = pair[1];
                assertThat(store.write(create(from, Map.of("start", "0")))).isEqualTo(WriteResult.WRITTEN);
                Set<String> written = ConcurrentHashMap.newKeySet();
                CountDownLatch go = new CountDownLatch(1);
                List<Callable<WriteResult>> tasks = new ArrayList<>();
                for (int w = 0; w < WRITERS; w++) {
                    String writer = "w" + w + "-";
                    tasks.add(() -> {
                        go.await();
                        for (int i = 0; ; i++) {
                            WriteResult result = store.write(change(from, Map.of(writer + i, "1"), Set.of(), SessionWrite.NO_SIZE_LIMIT));
                            if (result == WriteResult.GONE) {
                                return result;
                            }
                            assertThat(result).isEqualTo(WriteResult.WRITTEN);
                            written.add(writer + i);
                        }
                    });
                }
                tasks.add(() -> {
                    go.await();
                    // some writes land first, so that the move starts amid them
                    while (written.size() < WRITERS) {
                        Thread.onSpinWait();
                    }
                    return store.move(from, change(to, Map.of("moved", "1"), Set.of(), SessionWrite.NO_SIZE_LIMIT));
                });
                List<Future<WriteResult>> futures = tasks.stream().map(pool::submit).toList();
                go.countDown();
                for (Future<WriteResult> future : futures) {
                    future.get(60, TimeUnit.SECONDS);
                }

                assertThat(futures.get(WRITERS).get()).isEqualTo(WriteResult.WRITTEN);
                SessionRecord moved = store.load(to).orElseThrow();
                assertThat(moved.attributes().keySet()).as("round %d", round).containsAll(written).contains("start", "moved");
                assertThat(redis.exists(layout.sessionKey(from))).as("old key").isZero();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** A delete of the old key either comes first (the move answers GONE, neither key lives) or finds nothing. */
    void whenTheOldKeyIsDeletedDuringTheMoveThenNeverBothLive(Supplier<SessionKey[]> pairs, int rounds) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < rounds; round++) {
                SessionKey[] pair = pairs.get();
                SessionKey from = pair[0];
                SessionKey to = pair[1];
                store.write(create(from, Map.of("start", "0")));
                CountDownLatch go = new CountDownLatch(1);
                Future<Boolean> delete = pool.submit(() -> {
                    go.await();
                    return store.delete(from);
                });
                Future<WriteResult> move = pool.submit(() -> {
                    go.await();
                    return store.move(from, change(to, Map.of(), Set.of(), SessionWrite.NO_SIZE_LIMIT));
                });
                go.countDown();

                boolean deleted = delete.get(60, TimeUnit.SECONDS);
                WriteResult moveResult = move.get(60, TimeUnit.SECONDS);
                assertThat(redis.exists(layout.sessionKey(from))).as("old key, round %d", round).isZero();
                assertThat(redis.zscore(layout.indexKey(from), from.value())).as("old index entry").isNull();
                if (deleted) {
                    assertThat(moveResult).as("move after the delete, round %d", round).isEqualTo(WriteResult.GONE);
                    assertThat(redis.exists(layout.sessionKey(to))).as("new key after a delete").isZero();
                    assertThat(redis.zscore(layout.indexKey(to), to.value())).as("new index entry").isNull();
                } else {
                    assertThat(moveResult).as("delete after the move, round %d", round).isEqualTo(WriteResult.WRITTEN);
                    assertThat(store.load(to)).isPresent();
                    assertThat(redis.zscore(layout.indexKey(to), to.value())).as("new index entry").isNotNull();
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
