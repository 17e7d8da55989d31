package dev.cloakroom.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloakroom.SessionKey;
import dev.cloakroom.spi.RecordSummary;
import dev.cloakroom.spi.SessionWrite;
import dev.cloakroom.spi.WriteResult;
import io.lettuce.core.cluster.SlotHash;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The Redis principal index as Redis holds it: its shards' names and slots, their TTLs, and what happens to entries
 * that Redis itself expired (without expiry listeners) or that something else deleted. Shared Redis, private prefix.
 */
@Tag("server")
class RedisPrincipalIndexTest {
    private static final String PREFIX = RedisInspector.uniquePrefix("principal");
    private static final Duration IDLE = Duration.ofMinutes(30);
    private static RedisInspector inspector;

    private final KeyLayout layout = new KeyLayout(PREFIX);
    private final List<RedisSessionStore> opened = new ArrayList<>();

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
    void closeAll() {
        opened.forEach(RedisSessionStore::close);
    }

    private RedisSessionStore store(boolean listeners) {
        RedisSessionStore store = RedisSessionStore.builder("redis://127.0.0.1:6379").keyPrefix(PREFIX)
                .expiryListeners(listeners).build();
        opened.add(store);
        return store;
    }

    private static SessionWrite createFor(SessionKey key, String principal, Instant now, Duration idle) {
        return new SessionWrite(key, true, Map.of("a", "1"), Set.of(), now, now, idle, now.plus(idle),
                SessionWrite.ANY_VERSION, now, SessionWrite.NO_SIZE_LIMIT, true, principal);
    }

    private static String randomUser() {
        return "user-" + TestKeys.random().value().substring(2, 14) + "@example.org";
    }

    // Proves docs/persistence.md#redis-principal-index
    @Test
    void principalIndexShardWhenWrittenThenInTheSessionsSlotNamedByADigestWithATtlNoShorterThanTheSessions() {
        RedisSessionStore store = store(false);
        String user = randomUser();
        Instant now = Instant.now();
        for (int i = 0; i < 20; i++) {
            SessionKey key = TestKeys.random();
            assertThat(store.write(createFor(key, user, now, IDLE))).isEqualTo(WriteResult.WRITTEN);
            String shard = layout.principalIndexKey(layout.shardOf(key), user);

            assertThat(SlotHash.getSlot(shard)).isEqualTo(SlotHash.getSlot(layout.sessionKey(key)));
            assertThat(shard).doesNotContain(user).endsWith(":principal:" + KeyLayout.sha1Hex(user));
            assertThat(inspector.redis().zscore(shard, key.value())).isEqualTo((double) now.plus(IDLE).toEpochMilli());
            assertThat(inspector.redis().pttl(shard)).isGreaterThanOrEqualTo(inspector.redis().pttl(layout.sessionKey(key)));
            assertThat(inspector.redis().hget(layout.sessionKey(key), "p")).isEqualTo(user);
        }
        assertThat(store.findByPrincipal(user, 100)).hasSize(20);
    }

    // Proves docs/persistence.md#redis-principal-ttl
    @Test
    void sessionsWhenRedisExpiresThemByTtlWithoutListenersThenTheirPrincipalIndexEndsWithThem() throws InterruptedException {
        RedisSessionStore store = store(false);
        String user = randomUser();
        Duration shortIdle = Duration.ofMillis(700);
        store.write(createFor(TestKeys.random(), user, Instant.now(), shortIdle));
        store.write(createFor(TestKeys.random(), user, Instant.now(), shortIdle.plusMillis(300)));
        assertThat(inspector.principalIndex(PREFIX, user)).isNotEmpty();

        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!inspector.principalIndex(PREFIX, user).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }

        assertThat(inspector.principalIndex(PREFIX, user)).as("no shard left for the user").isEmpty();
        assertThat(store.findByPrincipal(user, 10)).isEmpty();
    }

    // Proves docs/persistence.md#redis-principal-ttl
    @Test
    void entryWhenItsHashWasDeletedBehindTheStoresBackThenNotReturnedAndRemovedByTheLookup() {
        RedisSessionStore store = store(true);
        String user = randomUser();
        Instant now = Instant.now();
        SessionKey gone = TestKeys.random();
        SessionKey live = TestKeys.random();
        store.write(createFor(gone, user, now, IDLE));
        store.write(createFor(live, user, now, IDLE));
        inspector.redis().del(layout.sessionKey(gone));

        assertThat(store.findByPrincipal(user, 10)).extracting(RecordSummary::key).containsExactly(live);

        assertThat(inspector.principalIndex(PREFIX, user)).doesNotContain(gone.value()).contains(live.value());
    }

    @Test
    void entryWhenItsHashNamesAnotherUserThenNotReturnedAndRemoved() {
        RedisSessionStore store = store(true);
        String user = randomUser();
        SessionKey key = TestKeys.random();
        store.write(createFor(key, user, Instant.now(), IDLE));
        inspector.redis().hset(layout.sessionKey(key), "p", "someone-else");

        assertThat(store.findByPrincipal(user, 10)).isEmpty();
        assertThat(inspector.principalIndex(PREFIX, user)).isEmpty();
    }

    @Test
    void deleteWithoutListenersThenTheHashAndItsPrincipalEntryGoInOneScript() {
        RedisSessionStore store = store(false);
        String user = randomUser();
        SessionKey key = TestKeys.random();
        store.write(createFor(key, user, Instant.now(), IDLE));

        assertThat(store.delete(key)).isTrue();

        assertThat(inspector.redis().exists(layout.sessionKey(key))).isZero();
        assertThat(inspector.principalIndex(PREFIX, user)).isEmpty();
    }
}
