package dev.cloakroom.redis;

import static dev.cloakroom.testkit.SessionStoreContract.sweepOnce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.Session;
import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionManager;
import dev.cloakroom.spi.SessionRecord;
import dev.cloakroom.spi.SessionStore;
import dev.cloakroom.SessionStores;
import dev.cloakroom.spi.SessionWrite;
import dev.cloakroom.Settings;
import dev.cloakroom.spi.SweepLease;
import dev.cloakroom.spi.WriteResult;
import dev.cloakroom.testkit.RedisServerProcess;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What the contract suite cannot see: real TTLs, the raw keys, bad data, settings. Shared Redis, private prefix. */
@Tag("server")
class RedisSessionStoreTest {
    private static final String PREFIX = RedisInspector.uniquePrefix("store");
    private static final Duration IDLE = Duration.ofMinutes(30);
    private static RedisInspector inspector;

    private final List<AutoCloseable> opened = new ArrayList<>();
    private final KeyLayout layout = new KeyLayout(PREFIX);

    @BeforeAll
    static void connect() {
        inspector = RedisInspector.shared();
    }

    @AfterAll
    static void cleanUp() {
        inspector.deleteAll(PREFIX);
        inspector.close();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable closeable : opened) {
            closeable.close();
        }
    }

    private RedisSessionStore store(boolean listeners) {
        RedisSessionStore store = RedisSessionStore.builder("redis://127.0.0.1:6379").keyPrefix(PREFIX).expiryListeners(listeners).build();
        opened.add(store);
        return store;
    }

    private SessionManager manager(SessionStore store) {
        SessionManager manager = SessionManager.builder(store).config(CloakroomConfig.builder().idleTimeout(IDLE).build())
                .sweeping(false).build();
        opened.add(manager.sweeper());
        return manager;
    }

    private static SessionKey randomKey() {
        return TestKeys.random();
    }

    private static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.MILLIS);
    }

    private static SessionWrite create(SessionKey key, Map<String, String> attributes, Duration lifetime) {
        Instant now = now();
        return new SessionWrite(key, true, attributes, Set.of(), now, now, lifetime, now.plus(lifetime), SessionWrite.ANY_VERSION, now, SessionWrite.NO_SIZE_LIMIT);
    }

    private static SessionWrite change(SessionKey key, Map<String, String> upserts, Set<String> removals, long expectedVersion) {
        Instant now = now();
        return new SessionWrite(key, false, upserts, removals, now, now, IDLE, now.plus(IDLE), expectedVersion, now, SessionWrite.NO_SIZE_LIMIT);
    }

    private long pttl(SessionKey key) {
        return inspector.redis().pttl(layout.sessionKey(key));
    }

    // ---- TTL ----

    // Proves docs/persistence.md#redis-deleted
    @Test
    void ttlWhenAnyWritePathRunsThenPositiveAndNoLongerThanTheLifetime() {
        for (boolean listeners : List.of(false, true)) {
            RedisSessionStore store = store(listeners);
            long grace = listeners ? RedisSessionStore.DEFAULT_EXPIRY_GRACE.toMillis() : 0;
            SessionKey key = randomKey();

            assertThat(store.write(create(key, Map.of("a", "1"), IDLE))).isEqualTo(WriteResult.WRITTEN);
            assertThat(pttl(key)).isPositive().isLessThanOrEqualTo(IDLE.toMillis() + grace);

            // a delta after the TTL was shortened by hand: the write must set it again
            inspector.redis().pexpire(layout.sessionKey(key), 60_000);
            assertThat(store.write(change(key, Map.of("b", "2"), Set.of("a"), SessionWrite.ANY_VERSION))).isEqualTo(WriteResult.WRITTEN);
            assertThat(pttl(key)).isGreaterThan(IDLE.toMillis() - 60_000).isLessThanOrEqualTo(IDLE.toMillis() + grace);

            inspector.redis().pexpire(layout.sessionKey(key), 60_000);
            assertThat(store.write(change(key, Map.of(), Set.of(), SessionWrite.ANY_VERSION))).isEqualTo(WriteResult.WRITTEN);
            assertThat(pttl(key)).as("touch").isGreaterThan(IDLE.toMillis() - 60_000);

            inspector.redis().pexpire(layout.sessionKey(key), 60_000);
            assertThat(store.write(change(key, Map.of("b", "3"), Set.of(), 3))).as("versioned update").isEqualTo(WriteResult.WRITTEN);
            assertThat(pttl(key)).isGreaterThan(IDLE.toMillis() - 60_000);

            // a create whose deadline has passed still gets a TTL (1 ms + grace), never none
            SessionKey late = randomKey();
            Instant now = now();
            store.write(new SessionWrite(late, true, Map.of("a", "1"), Set.of(), now.minus(IDLE), now.minus(IDLE), IDLE,
                    now.minusSeconds(1), SessionWrite.ANY_VERSION, now, SessionWrite.NO_SIZE_LIMIT));
            if (listeners) {
                assertThat(pttl(late)).isPositive();
            } else {
                assertThat(pttl(late)).as("gone at once or about to be, never without TTL").isNotEqualTo(-1L);
            }
        }
    }

    // Proves docs/persistence.md#redis-deleted
    @Test
    void ttlWhenUnderConcurrentLoadThenSetOnEverySessionKeyAtEveryMoment() throws Exception {
        RedisSessionStore store = store(true);
        SessionManager manager = manager(store);
        String sessionPattern = ".*\\}v1[0-9a-f]{64}";
        AtomicBoolean writing = new AtomicBoolean(true);
        List<String> withoutTtl = new CopyOnWriteArrayList<>();
        // Watches while the writers run: a key is never visible without its TTL, not even for a moment.
        Thread watcher = new Thread(() -> {
            while (writing.get()) {
                for (String key : inspector.keys(PREFIX)) {
                    if (key.matches(sessionPattern) && inspector.redis().pttl(key) == -1) {
                        withoutTtl.add(key);
                    }
                }
            }
        });
        watcher.start();
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 16; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < 40; i++) {
                        Session session = manager.create();
                        session.setAttribute("thread", thread);
                        manager.commit(session);
                        Session again = manager.find(session.id()).orElseThrow();
                        again.setAttribute("i", i);
                        again.removeAttribute("thread");
                        manager.commit(again);
                        manager.find(session.id()).orElseThrow().<Integer>update("i", n -> n + 1);
                        if (i % 5 == 0) {
                            manager.find(session.id()).orElseThrow().invalidate();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> future : futures) {
                future.get(120, TimeUnit.SECONDS);
            }
        } finally {
            writing.set(false);
            watcher.join();
            pool.shutdownNow();
        }

        List<String> sessionKeys = inspector.keys(PREFIX).stream().filter(k -> k.matches(sessionPattern)).toList();
        assertThat(sessionKeys).hasSizeGreaterThanOrEqualTo(16 * 32);
        for (String key : sessionKeys) {
            assertThat(inspector.redis().pttl(key)).as(key).isPositive();
        }
        assertThat(withoutTtl).isEmpty();
    }

    // Proves docs/persistence.md#redis-deleted
    @Test
    void sweepWhenListenersAreOffThenANoOpAndRedisExpiresTheKeyByItself() {
        RedisSessionStore store = store(false);
        SessionKey key = randomKey();
        store.write(create(key, Map.of("a", "1"), Duration.ofSeconds(3)));
        assertThat(pttl(key)).isBetween(1L, 3000L);

        assertThat(sweepOnce(store, now().plusSeconds(3600), 500)).isEmpty();
        assertThat(store.tryAcquireSweepLease(Duration.ofSeconds(10))).isPresent();
        assertThat(inspector.redis().zscore(layout.indexKey(key), key.value())).isNull();
        assertThat(inspector.keys(PREFIX)).noneMatch(k -> k.endsWith("sweep-lock"));

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (inspector.redis().exists(layout.sessionKey(key)) == 1 && System.nanoTime() < deadline) {
            RedisServerProcess.sleep(100);
        }
        assertThat(inspector.redis().exists(layout.sessionKey(key))).isZero();
        assertThat(store.load(key)).isEmpty();
        assertThat(store.write(change(key, Map.of("a", "2"), Set.of(), SessionWrite.ANY_VERSION))).isEqualTo(WriteResult.GONE);
        assertThat(inspector.redis().exists(layout.sessionKey(key))).as("not resurrected").isZero();
    }

    // Proves docs/persistence.md#redis-deleted
    @Test
    void indexWhenListenersAreOnThenAWriteEntersTheDeadlineAndADeleteRemovesIt() {
        RedisSessionStore store = store(true);
        SessionKey key = randomKey();
        SessionWrite write = create(key, Map.of("a", "1"), IDLE);
        store.write(write);

        assertThat(inspector.redis().zscore(layout.indexKey(key), key.value())).isEqualTo((double) write.expiresAt().toEpochMilli());
        assertThat(inspector.redis().pttl(layout.indexKey(key))).isPositive();

        assertThat(store.delete(key)).isTrue();
        assertThat(inspector.redis().zscore(layout.indexKey(key), key.value())).isNull();
    }

    // Proves docs/persistence.md#redis-written
    @Test
    void sessionWhenTwoAppInstancesUpdateItAtOnceThenBothShareItAndNoUpdateIsLost() throws Exception {
        SessionManager first = manager(store(false));
        SessionManager second = manager(store(false));
        Session session = first.create();
        session.setAttribute("uploads", 0);
        first.commit(session);

        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                SessionManager instance = i % 2 == 0 ? first : second;
                int n = i;
                futures.add(pool.submit(() -> {
                    Session request = instance.find(session.id()).orElseThrow();
                    request.<Integer>update("uploads", u -> u + 1);
                    request.setAttribute("seen-" + n, true);
                    instance.commit(request);
                    return null;
                }));
            }
            for (Future<?> future : futures) {
                future.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        Session after = second.find(session.id()).orElseThrow();
        assertThat(after.getAttribute("uploads")).isEqualTo(60);
        for (int i = 0; i < 60; i++) {
            assertThat(after.getAttribute("seen-" + i)).as("seen-" + i).isEqualTo(true);
        }
    }

    // ---- what is stored ----

    // Proves docs/persistence.md#redis-settings
    @Test
    void storageWhenSessionsAreCreatedAndRenamedThenNoRawIdInAnyKeyOrValue() {
        RedisSessionStore store = store(true);
        SessionManager manager = manager(store);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Session session = manager.create();
            session.setAttribute("file_contents", List.of("line " + i));
            manager.commit(session);
            ids.add(session.id());
            session.changeId();
            manager.commit(session);
            ids.add(session.id());
        }

        String dump = inspector.dump(PREFIX);
        assertThat(dump).contains("line 4");
        for (String id : ids) {
            assertThat(dump).doesNotContain(id);
        }
    }

    // Proves docs/persistence.md#redis-written
    @Test
    void recordWhenWrittenThenAHashUnderPrefixHashTagAndHashedKey() {
        RedisSessionStore store = store(false);
        SessionKey key = randomKey();
        store.write(create(key, Map.of("name", "\"Zoë\""), IDLE));

        String expected = PREFIX + "{" + key.value().substring(2, 4) + "}" + key.value();
        assertThat(inspector.redis().hgetall(expected))
                .containsEntry("a:name", "\"Zoë\"")
                .containsEntry("v", "1")
                .containsKeys("c", "l", "e", "m");
    }

    // ---- bad data ----

    @Test
    void loadWhenTheHashHasNoMetadataThenAbsentAndDeleted() {
        RedisSessionStore store = store(true);
        SessionKey key = randomKey();
        inspector.redis().hset(layout.sessionKey(key), Map.of("a:x", "1"));

        assertThat(store.load(key)).isEmpty();
        assertThat(inspector.redis().exists(layout.sessionKey(key))).isZero();
    }

    @Test
    void loadWhenTheHashHasGarbledNumbersThenAbsentAndDeleted() {
        RedisSessionStore store = store(false);
        SessionKey key = randomKey();
        store.write(create(key, Map.of("a", "1"), IDLE));
        inspector.redis().hset(layout.sessionKey(key), "e", "soon");

        assertThat(store.load(key)).isEmpty();
        assertThat(inspector.redis().exists(layout.sessionKey(key))).isZero();
    }

    @Test
    void writeWhenTheKeyHoldsGarbageThenGoneAndTheGarbageRemoved() {
        RedisSessionStore store = store(true);
        SessionKey key = randomKey();
        inspector.redis().hset(layout.sessionKey(key), Map.of("a:x", "1", "v", "one"));

        assertThat(store.write(change(key, Map.of("x", "2"), Set.of(), SessionWrite.ANY_VERSION))).isEqualTo(WriteResult.GONE);
        assertThat(inspector.redis().exists(layout.sessionKey(key))).isZero();

        inspector.redis().set(layout.sessionKey(key), "not a hash");
        assertThat(store.write(change(key, Map.of("x", "2"), Set.of(), SessionWrite.ANY_VERSION))).isEqualTo(WriteResult.GONE);
        assertThat(inspector.redis().exists(layout.sessionKey(key))).isZero();
    }

    @Test
    void writeWhenManyAttributesAndALargeValueThenLoadedBackEqual() {
        RedisSessionStore store = store(false);
        SessionKey key = randomKey();
        Map<String, String> attributes = new java.util.HashMap<>();
        for (int i = 0; i < 5000; i++) {
            attributes.put("k" + i, Integer.toString(i));
        }
        attributes.put("big", "\"" + "x".repeat(1_000_000) + "\"");
        assertThat(store.write(create(key, attributes, IDLE))).isEqualTo(WriteResult.WRITTEN);

        SessionRecord record = store.load(key).orElseThrow();
        assertThat(record.attributes()).isEqualTo(attributes);
    }

    // ---- settings ----

    @Test
    void settingsWhenSessionTypeIsRedisThenTheyBuildARedisStore() {
        Settings settings = Settings.of(Map.of("SESSION_TYPE", "redis", "SESSION_REDIS", "redis://127.0.0.1:6379",
                "SESSION_KEY_PREFIX", PREFIX, "SESSION_REDIS_EXPIRY_EVENTS", "true"));
        try (SessionStore store = SessionStores.fromSettings(settings, CloakroomConfig.fromSettings(settings))) {
            assertThat(store).isInstanceOf(RedisSessionStore.class);
            assertThat(store.describe()).contains("redis://127.0.0.1:6379", PREFIX, "expiry listeners on", "2000 ms");
            SessionKey key = randomKey();
            store.write(create(key, Map.of("a", "1"), IDLE));
            assertThat(inspector.redis().exists(layout.sessionKey(key))).isOne();
            assertThat(inspector.redis().zscore(layout.indexKey(key), key.value())).isNotNull();
        }
    }

    @Test
    void settingsWhenTheUrlAliasIsGivenThenAcceptedAndListenersDefaultToOff() {
        Settings settings = Settings.of(Map.of("SESSION_TYPE", "redis", "SESSION_REDIS_URL", "redis://127.0.0.1:6379/0",
                "SESSION_KEY_PREFIX", PREFIX, "SESSION_STORE_TIMEOUT_MS", "1500"));
        try (SessionStore store = SessionStores.fromSettings(settings, CloakroomConfig.fromSettings(settings))) {
            assertThat(store.describe()).contains("redis://127.0.0.1:6379/0", "expiry listeners off", "1500 ms");
            SessionKey key = randomKey();
            store.write(create(key, Map.of("a", "1"), IDLE));
            assertThat(inspector.redis().exists(layout.sessionKey(key))).isOne();
            assertThat(inspector.redis().zscore(layout.indexKey(key), key.value())).isNull();
        }
    }

    @Test
    void settingsWhenBadThenRejectedNamingTheSettingAndHidingThePassword() {
        CloakroomConfig config = CloakroomConfig.builder().build();
        assertThatThrownBy(() -> SessionStores.fromSettings(Settings.of(Map.of("SESSION_TYPE", "redis",
                "SESSION_REDIS", "http://user:hunter2@example.com")), config))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("SESSION_REDIS")
                .hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> SessionStores.fromSettings(Settings.of(Map.of("SESSION_TYPE", "redis",
                "SESSION_KEY_PREFIX", "my{app}:")), config))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("SESSION_KEY_PREFIX");
        assertThatThrownBy(() -> SessionStores.fromSettings(Settings.of(Map.of("SESSION_TYPE", "redis",
                "SESSION_MAX_SESSIONS", "1000")), config))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("SESSION_MAX_SESSIONS");
        assertThatThrownBy(() -> SessionStores.fromSettings(Settings.of(Map.of("SESSION_TYPE", "redis",
                "SESSION_REDIS_EXPIRY_EVENTS", "sometimes")), config))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("SESSION_REDIS_EXPIRY_EVENTS");
        assertThatThrownBy(() -> RedisSessionStore.builder("redis://127.0.0.1:6379").commandTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("commandTimeout");
        assertThatThrownBy(() -> SessionStores.fromSettings(Settings.of(Map.of("SESSION_TYPE", "redis",
                "SESSION_REDIS_EXPIRY_GRACE", "9223372036854775807")), config))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("SESSION_REDIS_EXPIRY_GRACE");
    }

    @Test
    void describeWhenTheUriHasAPasswordThenItIsHidden() {
        try (RedisSessionStore store = RedisSessionStore.builder("redis://:hunter2@127.0.0.1:1").connectTimeout(Duration.ofMillis(200)).build()) {
            assertThat(store.describe()).contains("127.0.0.1:1").doesNotContain("hunter2");
        }
    }

    @Test
    void targetWhenAListSentinelOrTlsUriThenParsedAndMaskedForLogs() {
        assertThat(RedisTarget.parse("127.0.0.1:7001, 127.0.0.1:7002").uris()).hasSize(2);
        assertThat(RedisTarget.parse("redis://a:7001,redis://b:7002").uris()).extracting(u -> u.getHost()).containsExactly("a", "b");
        RedisTarget sentinel = RedisTarget.parse("redis-sentinel://s1:26379,s2:26379/0#mymaster");
        assertThat(sentinel.sentinel()).isTrue();
        assertThat(sentinel.uris().get(0).getSentinels()).hasSize(2);
        assertThat(RedisTarget.parse("rediss://u:p@host:6380/2").uris().get(0).isSsl()).isTrue();
        assertThat(RedisTarget.mask("redis://u:p@host:1,redis://:q@h:2")).isEqualTo("redis://***@host:1,redis://***@h:2");
    }

    // ---- expiry listeners ----

    // Proves docs/persistence.md#redis-deleted
    @Test
    void sweepWhenTwoStoresRunAtOnceThenEachExpiredSessionIsReportedExactlyOnceWithItsAttributes() throws Exception {
        dev.cloakroom.testkit.TestClock clock = new dev.cloakroom.testkit.TestClock();
        Map<SessionKey, List<Map<String, Object>>> reported = new ConcurrentHashMap<>();
        dev.cloakroom.SessionListener listener = new dev.cloakroom.SessionListener() {
            @Override
            public void sessionDestroyed(SessionKey key, Map<String, Object> attributes, Reason reason) {
                if (reason == Reason.EXPIRED) {
                    reported.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>()).add(attributes);
                }
            }
        };
        CloakroomConfig config = CloakroomConfig.builder().idleTimeout(IDLE).sweepBatchSize(7).build();
        List<SessionManager> managers = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            SessionManager manager = SessionManager.builder(store(true)).config(config).clock(clock).listener(listener)
                    .sweeping(false).build();
            opened.add(manager.sweeper());
            managers.add(manager);
        }
        Map<SessionKey, Integer> expired = new java.util.HashMap<>();
        for (int i = 0; i < 60; i++) {
            Session session = managers.get(i % 2).create();
            session.setAttribute("file_contents", List.of("upload " + i));
            managers.get(i % 2).commit(session);
            expired.put(session.key(), i);
        }
        clock.advance(IDLE.plusSeconds(1));
        Session live = managers.get(0).create();
        live.setAttribute("alive", true);
        managers.get(0).commit(live);

        // Both sweep repeatedly at once; whoever holds the lock sweeps, the other skips.
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<Integer>> runs = new ArrayList<>();
            for (SessionManager manager : managers) {
                runs.add(pool.submit(() -> {
                    int total = 0;
                    for (int round = 0; round < 20; round++) {
                        total += manager.sweeper().runOnce();
                    }
                    return total;
                }));
            }
            int swept = 0;
            for (Future<Integer> run : runs) {
                swept += run.get(60, TimeUnit.SECONDS);
            }
            assertThat(swept).isGreaterThanOrEqualTo(60);
        } finally {
            pool.shutdownNow();
        }

        assertThat(reported.keySet()).containsAll(expired.keySet()).doesNotContain(live.key());
        expired.forEach((key, i) -> assertThat(reported.get(key)).as("reports of %s", key)
                .containsExactly(Map.of("file_contents", List.of("upload " + i))));
        assertThat(managers.get(0).find(live.id())).isPresent();
    }

    // Proves docs/persistence.md#redis-deleted
    @Test
    void sweepLeaseWhenHeldThenExclusiveUntilReleasedOrExpired() {
        RedisSessionStore first = store(true);
        RedisSessionStore second = store(true);

        var lease = first.tryAcquireSweepLease(Duration.ofSeconds(30)).orElseThrow();
        assertThat(second.tryAcquireSweepLease(Duration.ofSeconds(30))).isEmpty();
        lease.close();
        long acquired = System.nanoTime();
        var next = second.tryAcquireSweepLease(Duration.ofSeconds(2)).orElseThrow();
        assertThat(first.tryAcquireSweepLease(Duration.ofSeconds(30))).isEmpty();

        // polled rather than slept: on a busy machine the lease must neither be asked for too early nor be missed
        Optional<SweepLease> afterExpiry = Optional.empty();
        while (afterExpiry.isEmpty() && System.nanoTime() - acquired < TimeUnit.SECONDS.toNanos(10)) {
            RedisServerProcess.sleep(50);
            afterExpiry = first.tryAcquireSweepLease(Duration.ofSeconds(30));
        }
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - acquired)).as("ms until the lease ran out").isGreaterThanOrEqualTo(2000);
        next.close(); // ran out already: must not free the lock the first store holds now
        assertThat(second.tryAcquireSweepLease(Duration.ofSeconds(30))).isEmpty();
        afterExpiry.orElseThrow().close();
    }

    @Test
    void sweepWhenTheIndexHoldsForeignMembersThenTheyAreDroppedAndTheRealOnesStillSwept() {
        RedisSessionStore store = store(true);
        SessionKey key = randomKey();
        SessionWrite write = create(key, Map.of("a", "1"), IDLE);
        store.write(write);
        String index = layout.indexKey(key);
        for (int i = 0; i < 5; i++) {
            inspector.redis().zadd(index, 1.0, "junk-" + i);
        }

        List<SessionRecord> first = sweepOnce(store, write.expiresAt(), 3);
        List<SessionRecord> all = new ArrayList<>(first);
        for (int round = 0; round < 5; round++) {
            all.addAll(sweepOnce(store, write.expiresAt(), 3));
        }

        assertThat(all).extracting(SessionRecord::key).contains(key);
        assertThat(inspector.redis().zrange(index, 0, -1)).noneMatch(m -> m.startsWith("junk-"));
    }

    // Proves docs/persistence.md#redis-deleted
    @Test
    void sweepWhenRedisAlreadyRemovedASessionThenItsIndexEntryIsDroppedAndNotReported() {
        RedisSessionStore store = store(true);
        SessionKey key = randomKey();
        store.write(create(key, Map.of("a", "1"), IDLE));
        inspector.redis().del(layout.sessionKey(key));

        List<SessionRecord> swept = sweepOnce(store, now().plus(IDLE).plusSeconds(1), 10_000);

        assertThat(swept).extracting(SessionRecord::key).doesNotContain(key);
        assertThat(inspector.redis().zscore(layout.indexKey(key), key.value())).isNull();
    }

    // ---- size cap ----

    @Test
    void writeWhenTheMergedRecordWouldExceedTheCapThenTooLargeAndNothingChanges() {
        RedisSessionStore store = store(true);
        SessionKey key = randomKey();
        store.write(create(key, Map.of("a", "x".repeat(50)), IDLE));
        // "ü" is 2 bytes in UTF-8: the cap counts bytes of names and values, as SessionRecord.sizeInBytes does
        Map<String, String> upsert = Map.of("ü", "é".repeat(24));
        long merged = SessionRecord.sizeInBytes(Map.of("a", "x".repeat(50), "ü", "é".repeat(24)));

        assertThat(store.write(capped(key, upsert, Set.of(), merged - 1))).isEqualTo(WriteResult.TOO_LARGE);
        SessionRecord kept = store.load(key).orElseThrow();
        assertThat(kept.attributes()).isEqualTo(Map.of("a", "x".repeat(50)));
        assertThat(kept.version()).isEqualTo(1);

        assertThat(store.write(capped(key, upsert, Set.of(), merged))).isEqualTo(WriteResult.WRITTEN);
        assertThat(store.load(key).orElseThrow().sizeInBytes()).isEqualTo(merged);
        // replacing and removing count what is left after the merge, not what was there
        assertThat(store.write(capped(key, Map.of("a", "y"), Set.of("ü"), 2))).isEqualTo(WriteResult.WRITTEN);
        assertThat(store.load(key).orElseThrow().attributes()).isEqualTo(Map.of("a", "y"));
    }

    @Test
    void createWhenOverTheCapThenTooLargeAndNothingCreated() {
        RedisSessionStore store = store(true);
        SessionKey key = randomKey();
        Instant now = now();
        SessionWrite write = new SessionWrite(key, true, Map.of("a", "12345"), Set.of(), now, now, IDLE, now.plus(IDLE),
                SessionWrite.ANY_VERSION, now, 5);

        assertThat(store.write(write)).isEqualTo(WriteResult.TOO_LARGE);
        assertThat(inspector.redis().exists(layout.sessionKey(key))).isZero();
        assertThat(inspector.redis().zscore(layout.indexKey(key), key.value())).isNull();
    }

    @Test
    void writesWhenManyAddDifferentAttributesAtOnceThenTheMergedRecordNeverExceedsTheCap() throws Exception {
        RedisSessionStore store = store(false);
        SessionKey key = randomKey();
        store.write(create(key, Map.of("start", "0"), IDLE));
        long cap = 1000;
        int writers = 8;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            List<Future<WriteResult>> results = new ArrayList<>();
            for (int i = 0; i < writers; i++) {
                String name = "k" + i;
                results.add(pool.submit(() -> {
                    go.await();
                    return store.write(capped(key, Map.of(name, "v".repeat(300)), Set.of(), cap));
                }));
            }
            go.countDown();
            int written = 0;
            for (Future<WriteResult> result : results) {
                WriteResult answer = result.get(60, TimeUnit.SECONDS);
                assertThat(answer).isIn(WriteResult.WRITTEN, WriteResult.TOO_LARGE);
                written += answer == WriteResult.WRITTEN ? 1 : 0;
            }
            SessionRecord merged = store.load(key).orElseThrow();
            assertThat(merged.sizeInBytes()).isLessThanOrEqualTo(cap);
            assertThat(merged.attributes()).hasSize(1 + written);
            assertThat(written).isEqualTo(3);
        } finally {
            pool.shutdownNow();
        }
    }

    private static SessionWrite capped(SessionKey key, Map<String, String> upserts, Set<String> removals, long maxBytes) {
        return MoveRaces.change(key, upserts, removals, maxBytes);
    }

    // ---- move ----

    @Test
    void moveWhenTheOldKeyIsLiveThenTheNewKeyHoldsTheMergedRecordAndItsIndexEntryAndTheOldKeyIsGone() {
        RedisSessionStore store = store(true);
        SessionKey from = TestKeys.withTag("0a");
        SessionKey to = TestKeys.withTag("b1");
        SessionWrite created = create(from, Map.of("a", "1", "b", "2"), IDLE);
        store.write(created);
        store.write(change(from, Map.of("c", "3"), Set.of(), SessionWrite.ANY_VERSION));

        SessionWrite move = change(to, Map.of("d", "4"), Set.of("a"), SessionWrite.ANY_VERSION);
        assertThat(store.move(from, move)).isEqualTo(WriteResult.WRITTEN);

        SessionRecord moved = store.load(to).orElseThrow();
        assertThat(moved.attributes()).isEqualTo(Map.of("b", "2", "c", "3", "d", "4"));
        assertThat(moved.createdAt()).isEqualTo(created.createdAt());
        assertThat(moved.expiresAt()).isEqualTo(move.expiresAt());
        assertThat(moved.version()).isEqualTo(3);
        assertThat(pttl(to)).isPositive();
        assertThat(inspector.redis().exists(layout.sessionKey(from))).isZero();
        assertThat(inspector.redis().zscore(layout.indexKey(from), from.value())).isNull();
        assertThat(inspector.redis().zscore(layout.indexKey(to), to.value())).isEqualTo((double) move.expiresAt().toEpochMilli());
    }

    @Test
    void moveWhenTheOldKeyIsAbsentExpiredOrGarbageThenGoneAndNothingIsCreated() {
        RedisSessionStore store = store(true);
        SessionKey to = randomKey();
        assertThat(store.move(randomKey(), change(to, Map.of(), Set.of(), SessionWrite.ANY_VERSION))).isEqualTo(WriteResult.GONE);

        SessionKey expired = randomKey();
        store.write(create(expired, Map.of("a", "1"), Duration.ofMinutes(1)));
        Instant later = now().plus(Duration.ofMinutes(2));
        SessionWrite late = new SessionWrite(to, false, Map.of(), Set.of(), later, later, IDLE, later.plus(IDLE),
                SessionWrite.ANY_VERSION, later, SessionWrite.NO_SIZE_LIMIT);
        assertThat(store.move(expired, late)).isEqualTo(WriteResult.GONE);
        assertThat(store.load(expired)).isPresent();

        SessionKey garbage = randomKey();
        inspector.redis().set(layout.sessionKey(garbage), "not a hash");
        assertThat(store.move(garbage, change(to, Map.of(), Set.of(), SessionWrite.ANY_VERSION))).isEqualTo(WriteResult.GONE);
        assertThat(inspector.redis().exists(layout.sessionKey(to))).isZero();
        assertThat(store.load(garbage)).isEmpty();
        assertThat(inspector.redis().exists(layout.sessionKey(garbage))).as("removed by the load").isZero();
    }

    @Test
    void moveWhenTheNewKeyIsTakenThenConflictAndBothRecordsStay() {
        RedisSessionStore store = store(true);
        SessionKey from = randomKey();
        SessionKey to = randomKey();
        store.write(create(from, Map.of("a", "1"), IDLE));
        store.write(create(to, Map.of("b", "2"), IDLE));

        assertThat(store.move(from, change(to, Map.of(), Set.of(), SessionWrite.ANY_VERSION))).isEqualTo(WriteResult.CONFLICT);
        assertThat(store.load(from).orElseThrow().attributes()).isEqualTo(Map.of("a", "1"));
        assertThat(store.load(to).orElseThrow().attributes()).isEqualTo(Map.of("b", "2"));
    }

    @Test
    void moveWhenTheMergedRecordExceedsTheCapThenTooLargeAndNothingMoves() {
        RedisSessionStore store = store(true);
        SessionKey from = randomKey();
        SessionKey to = randomKey();
        store.write(create(from, Map.of("a", "1234"), IDLE));

        assertThat(store.move(from, capped(to, Map.of("b", "5678"), Set.of(), 9))).isEqualTo(WriteResult.TOO_LARGE);
        assertThat(store.load(from).orElseThrow().attributes()).isEqualTo(Map.of("a", "1234"));
        assertThat(inspector.redis().exists(layout.sessionKey(to))).isZero();
        assertThat(store.move(from, capped(to, Map.of("b", "5678"), Set.of(), 10))).isEqualTo(WriteResult.WRITTEN);
    }

    @Test
    void moveWhenWritesToTheOldKeyRaceThenNoneThatWasWrittenIsLost() throws Exception {
        new MoveRaces(store(true), inspector.redis(), layout).whenWritesToTheOldKeyRaceTheMoveThenNoneThatWasWrittenIsLost(
                () -> new SessionKey[] {randomKey(), randomKey()}, 20);
    }

    @Test
    void moveWhenTheOldKeyIsDeletedMeanwhileThenNeverBothLive() throws Exception {
        new MoveRaces(store(true), inspector.redis(), layout).whenTheOldKeyIsDeletedDuringTheMoveThenNeverBothLive(
                () -> new SessionKey[] {randomKey(), randomKey()}, 30);
    }

    @Test
    void buildWhenASentinelUriIsMarkedAsAClusterThenRefusedAtOnceAndNoClientThreadIsLeft() {
        long before = lettuceThreads();
        assertThatThrownBy(() -> RedisSessionStore.builder("redis-sentinel://127.0.0.1:1/0#mymaster").cluster(true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Sentinel");
        assertThat(lettuceThreads()).isEqualTo(before);
    }

    private static long lettuceThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("lettuce-")).count();
    }
}
