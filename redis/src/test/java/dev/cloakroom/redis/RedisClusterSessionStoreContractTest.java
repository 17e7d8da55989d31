package dev.cloakroom.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloakroom.Session;
import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionManager;
import dev.cloakroom.spi.SessionStore;
import dev.cloakroom.spi.SessionWrite;
import dev.cloakroom.spi.WriteResult;
import dev.cloakroom.testkit.LocalRedisCluster;
import dev.cloakroom.testkit.RedisServerProcess;
import dev.cloakroom.testkit.SessionStoreContract;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.SessionStoreUnavailableException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The store contract on a real three-master Redis Cluster that this class starts on free ports, in listener mode
 * (the index shards must share a slot with their sessions, or the scripts would fail with CROSSSLOT).
 */
@Tag("server")
class RedisClusterSessionStoreContractTest extends SessionStoreContract {
    private static final String PREFIX = RedisInspector.uniquePrefix("cluster");
    private static LocalRedisCluster cluster;
    private static RedisClusterClient inspectorClient;
    private static RedisInspector inspector;

    @BeforeAll
    static void startCluster() {
        cluster = LocalRedisCluster.start(3);
        inspectorClient = RedisClusterClient.create(RedisURI.create("redis://127.0.0.1:" + cluster.nodes().get(0).port()));
        inspector = new RedisInspector(inspectorClient);
    }

    @AfterAll
    static void stopCluster() {
        if (inspector != null) {
            inspector.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Override
    protected SessionStore createStore() {
        return RedisSessionStore.builder(cluster.uri()).keyPrefix(PREFIX).expiryListeners(true).build();
    }

    @Override
    protected SessionStore createEmptyStore() {
        return RedisSessionStore.builder(cluster.uri()).keyPrefix(PREFIX + "empty:").expiryListeners(true).build();
    }

    @Override
    protected String dumpStorage() {
        return inspector.dump(PREFIX);
    }

    @Override
    protected String principalIndexOf(String principal) {
        return inspector.principalIndex(PREFIX, principal);
    }

    @Override
    protected void writeGarbage(SessionKey key) {
        String redisKey = new KeyLayout(PREFIX).sessionKey(key);
        inspector.redis().del(redisKey);
        inspector.redis().set(redisKey, "\u0000not a session\u00ff");
    }

    @Test
    void sessionsWhenCreatedAndRenamedThenSpreadOverEveryMasterAndRenamingNeedsNoCrossSlotCommand() {
        SessionManager manager = manager();
        for (int i = 0; i < 60; i++) {
            Session session = manager.create();
            session.setAttribute("n", i);
            manager.commit(session);
            session.changeId();
            manager.commit(session);
            assertThat(manager.find(session.id()).orElseThrow().getAttribute("n")).isEqualTo(i);
        }

        Set<Integer> nodesWithSessions = new HashSet<>();
        for (RedisServerProcess node : cluster.nodes()) {
            try (RedisInspector direct = new RedisInspector("127.0.0.1", node.port())) {
                List<String> keys = direct.keys(PREFIX);
                if (keys.stream().anyMatch(k -> k.matches(".*\\}v1[0-9a-f]{64}"))) {
                    nodesWithSessions.add(node.port());
                }
            }
        }
        assertThat(nodesWithSessions).hasSize(3);
    }

    @Test
    void maxMemoryPoliciesWhenOneMasterMayEvictAndAnotherHangsThenEachMasterAnswersForItself() {
        RedisServerProcess evicting = cluster.nodes().get(1);
        RedisServerProcess hung = cluster.nodes().get(2);
        try (RedisSessionStore store = RedisSessionStore.builder(cluster.uri()).keyPrefix(PREFIX)
                .commandTimeout(Duration.ofMillis(500)).build()) {
            assertThat(store.maxMemoryPolicies()).extracting(NodeMemoryPolicy::policy).containsOnly(Optional.of("noeviction"));
            assertThat(evicting.cli("config", "set", "maxmemory-policy", "allkeys-lru").trim()).isEqualTo("OK");
            assertThat(hung.cli("client", "pause", "2000", "ALL").trim()).isEqualTo("OK");

            List<NodeMemoryPolicy> policies = store.maxMemoryPolicies();

            assertThat(policies).extracting(NodeMemoryPolicy::node).isSorted().containsExactlyInAnyOrderElementsOf(
                    cluster.nodes().stream().map(node -> "127.0.0.1:" + node.port()).toList());
            for (NodeMemoryPolicy policy : policies) {
                if (policy.node().endsWith(":" + evicting.port())) {
                    assertThat(policy.policy()).contains("allkeys-lru");
                } else if (policy.node().endsWith(":" + hung.port())) {
                    assertThat(policy.unreachable()).as("the paused master").isPresent();
                } else {
                    assertThat(policy).isEqualTo(new NodeMemoryPolicy(policy.node(), Optional.of("noeviction"), Optional.empty()));
                }
            }
        } finally {
            evicting.cli("config", "set", "maxmemory-policy", "noeviction");
            hung.cli("ping"); // answered once the pause is over
        }
    }

    @Test
    void clusterWhenOneMasterHangsThenItsSessionsFailWithinTheTimeoutOthersWorkAndAllRecover() {
        Duration timeout = Duration.ofSeconds(1);
        try (SessionManager manager = SessionManager.builder(RedisSessionStore.builder(cluster.uri()).keyPrefix(PREFIX)
                .commandTimeout(timeout).build()).config(CloakroomConfig.builder().build()).sweeping(false).build()) {
            Session onHungNode = manager.create();
            onHungNode.setAttribute("where", "hung");
            manager.commit(onHungNode);
            RedisServerProcess hung = nodeHolding(onHungNode.key());
            Session elsewhere;
            do {
                elsewhere = manager.create();
                elsewhere.setAttribute("where", "fine");
                manager.commit(elsewhere);
            } while (nodeHolding(elsewhere.key()) == hung);

            // The node stops answering clients for 4 s; the cluster bus keeps running, so no failover.
            assertThat(hung.cli("client", "pause", "4000", "ALL").trim()).isEqualTo("OK");
            long started = System.nanoTime();
            assertThatThrownBy(() -> manager.find(onHungNode.id())).isInstanceOf(SessionStoreUnavailableException.class);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)).isLessThan(timeout.toMillis() + 1000);
            assertThat(manager.find(elsewhere.id()).orElseThrow().getAttribute("where")).isEqualTo("fine");

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            Optional<Session> back = Optional.empty();
            while (back.isEmpty() && System.nanoTime() < deadline) {
                try {
                    back = manager.find(onHungNode.id());
                } catch (SessionStoreUnavailableException e) {
                    RedisServerProcess.sleep(100);
                }
            }
            assertThat(back).as("served again after the pause").isPresent();
            assertThat(back.get().getAttribute("where")).isEqualTo("hung");
        }
    }

    @Test
    void builderWhenGivenTheApplicationsOwnClusterClientThenItServesAndStaysOpenAfterTheStoreCloses() {
        Session session;
        try (SessionManager manager = SessionManager.builder(RedisSessionStore.builder(inspectorClient).keyPrefix(PREFIX).build())
                .config(CloakroomConfig.builder().build()).sweeping(false).build()) {
            session = manager.create();
            session.setAttribute("via", "own client");
            manager.commit(session);
            assertThat(manager.find(session.id()).orElseThrow().getAttribute("via")).isEqualTo("own client");
        }
        assertThat(inspector.redis().exists(new KeyLayout(PREFIX).sessionKey(session.key()))).isOne();
    }

    @Test
    void sweepWhenAnIndexHoldsAMemberOfAnotherSlotThenItIsDroppedAndTheShardStillSweeps() {
        KeyLayout layout = new KeyLayout(PREFIX);
        try (RedisSessionStore store = listenerStore()) {
            Instant now = Instant.now();
            SessionKey expired = TestKeys.random();
            store.write(new SessionWrite(expired, true, Map.of("a", "1"), Set.of(), now, now, Duration.ofMinutes(1),
                    now.plusSeconds(60), SessionWrite.ANY_VERSION, now, SessionWrite.NO_SIZE_LIMIT));
            SessionKey elsewhere = TestKeys.onAnotherSlot(layout, expired);
            store.write(MoveRaces.create(elsewhere, Map.of("b", "2")));
            // planted first in line: the sweep script would touch two slots at once
            inspector.redis().zadd(layout.indexKey(expired), 1.0, elsewhere.value());

            List<SessionKey> reported = new ArrayList<>();
            for (int round = 0; round < 20 && !reported.contains(expired); round++) {
                store.sweep(now.plusSeconds(120), 500, record -> reported.add(record.key()));
            }

            assertThat(reported).contains(expired).doesNotContain(elsewhere);
            assertThat(inspector.redis().zrange(layout.indexKey(expired), 0, -1)).doesNotContain(elsewhere.value());
            assertThat(store.load(elsewhere)).as("the session the foreign entry named").isPresent();
        }
    }

    @Test
    void moveToAnotherSlotWhenWritesToTheOldKeyRaceThenNoneThatWasWrittenIsLost() throws Exception {
        KeyLayout layout = new KeyLayout(PREFIX);
        try (RedisSessionStore store = listenerStore()) {
            new MoveRaces(store, inspector.redis(), layout).whenWritesToTheOldKeyRaceTheMoveThenNoneThatWasWrittenIsLost(
                    () -> otherSlotPair(layout), 20);
        }
    }

    @Test
    void moveToAnotherSlotWhenTheOldKeyIsDeletedMeanwhileThenNeverBothLive() throws Exception {
        KeyLayout layout = new KeyLayout(PREFIX);
        try (RedisSessionStore store = listenerStore()) {
            new MoveRaces(store, inspector.redis(), layout).whenTheOldKeyIsDeletedDuringTheMoveThenNeverBothLive(
                    () -> otherSlotPair(layout), 40);
        }
    }

    @Test
    void moveWithinOneSlotWhenWritesToTheOldKeyRaceThenNoneThatWasWrittenIsLost() throws Exception {
        KeyLayout layout = new KeyLayout(PREFIX);
        try (RedisSessionStore store = listenerStore()) {
            new MoveRaces(store, inspector.redis(), layout).whenWritesToTheOldKeyRaceTheMoveThenNoneThatWasWrittenIsLost(() -> {
                SessionKey from = TestKeys.random();
                return new SessionKey[] {from, TestKeys.withTag(TestKeys.tag(from))};
            }, 10);
        }
    }

    @Test
    void writeWhenAnUnfinishedMoveMarkedTheRecordThenGoneUntilItsLeaseRunsOut() {
        KeyLayout layout = new KeyLayout(PREFIX);
        try (RedisSessionStore store = listenerStore()) {
            SessionKey key = TestKeys.random();
            store.write(MoveRaces.create(key, Map.of("a", "1")));
            long now = MoveRaces.now().toEpochMilli();
            // what a mover leaves when it dies after marking the record: writes answer as if it had moved
            inspector.redis().hset(layout.sessionKey(key), Map.of("mv", "token", "mx", Long.toString(now + 60_000)));
            assertThat(store.write(MoveRaces.change(key, Map.of("b", "2"), Set.of(), SessionWrite.NO_SIZE_LIMIT)))
                    .isEqualTo(WriteResult.GONE);
            assertThat(store.move(key, MoveRaces.change(TestKeys.onAnotherSlot(layout, key), Map.of(), Set.of(),
                    SessionWrite.NO_SIZE_LIMIT))).as("a second mover").isEqualTo(WriteResult.GONE);

            // once the lease ran out, the record is live again and the mark goes
            inspector.redis().hset(layout.sessionKey(key), "mx", Long.toString(now - 1));
            assertThat(store.write(MoveRaces.change(key, Map.of("b", "2"), Set.of(), SessionWrite.NO_SIZE_LIMIT)))
                    .isEqualTo(WriteResult.WRITTEN);
            assertThat(inspector.redis().hexists(layout.sessionKey(key), "mv")).isFalse();
            assertThat(store.load(key).orElseThrow().attributes()).isEqualTo(Map.of("a", "1", "b", "2"));
        }
    }

    private static SessionKey[] otherSlotPair(KeyLayout layout) {
        SessionKey from = TestKeys.random();
        return new SessionKey[] {from, TestKeys.onAnotherSlot(layout, from)};
    }

    private static RedisSessionStore listenerStore() {
        return RedisSessionStore.builder(cluster.uri()).keyPrefix(PREFIX).expiryListeners(true).build();
    }

    // Proves docs/persistence.md#redis-cluster-principal
    @Test
    void signedInSessionWhenMovedToAnotherSlotSignedOverAndEndedThenNoNodeHoldsAnIndexForEitherUser() {
        KeyLayout layout = new KeyLayout(PREFIX);
        String first = "cluster-" + TestKeys.random().value().substring(2, 14);
        String second = first + "-other";
        SessionKey from = TestKeys.random();
        SessionKey to = TestKeys.onAnotherSlot(layout, from);
        Instant now = clock.instant();
        store.write(new SessionWrite(from, true, Map.of("a", "1"), Set.of(), now, now, Duration.ofMinutes(30),
                now.plus(Duration.ofMinutes(30)), SessionWrite.ANY_VERSION, now, SessionWrite.NO_SIZE_LIMIT, true, first));
        SessionKey taken = TestKeys.onAnotherSlot(layout, from);
        store.write(new SessionWrite(taken, true, Map.of("b", "2"), Set.of(), now, now, Duration.ofMinutes(30),
                now.plus(Duration.ofMinutes(30)), SessionWrite.ANY_VERSION, now, SessionWrite.NO_SIZE_LIMIT));

        SessionWrite signingOver = new SessionWrite(taken, false, Map.of(), Set.of(), now, now, Duration.ofMinutes(30),
                now.plus(Duration.ofMinutes(30)), SessionWrite.ANY_VERSION, now, SessionWrite.NO_SIZE_LIMIT, true, second);
        assertThat(store.move(from, signingOver)).isEqualTo(WriteResult.CONFLICT);
        assertThat(inspector.principalIndex(PREFIX, second)).isEmpty();
        assertThat(store.findByPrincipal(first, 10)).extracting(s -> s.key()).containsExactly(from);

        SessionWrite moving = new SessionWrite(to, false, Map.of(), Set.of(), now, now, Duration.ofMinutes(30),
                now.plus(Duration.ofMinutes(30)), SessionWrite.ANY_VERSION, now, SessionWrite.NO_SIZE_LIMIT, true, second);
        assertThat(store.move(from, moving)).isEqualTo(WriteResult.WRITTEN);
        assertThat(inspector.principalIndex(PREFIX, first)).isEmpty();
        assertThat(inspector.principalIndex(PREFIX, second)).contains(to.value()).doesNotContain(from.value());
        assertThat(SlotHash.getSlot(layout.principalIndexKey(layout.shardOf(to), second)))
                .isEqualTo(SlotHash.getSlot(layout.sessionKey(to)));

        assertThat(store.delete(to)).isTrue();
        assertThat(inspector.principalIndex(PREFIX, second)).isEmpty();
        assertThat(store.findByPrincipal(second, 10)).isEmpty();
    }

    private static RedisServerProcess nodeHolding(SessionKey key) {
        String redisKey = new KeyLayout(PREFIX).sessionKey(key);
        for (RedisServerProcess node : cluster.nodes()) {
            try (RedisInspector direct = new RedisInspector("127.0.0.1", node.port())) {
                if (direct.keys(PREFIX).contains(redisKey)) {
                    return node;
                }
            }
        }
        throw new AssertionError("no node holds " + key);
    }
}
