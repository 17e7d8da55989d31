package dev.cloakroom.system;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cloakroom.SessionKey;
import dev.cloakroom.testkit.LocalRedisCluster;
import dev.cloakroom.testkit.RedisServerProcess;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Issue 9, item 5 on Redis Cluster: the demo on a private cluster of 3 masters with one replica each, 12 visitors
 * uploading in a loop (4 per master), and {@code kill -9} of one master. Only the visitors on its slots get 503 (with
 * {@code Retry-After}, no cookie), only until its replica took over; every upload acknowledged (303) is compared with
 * what the visitor's page shows afterwards, so the report counts the acknowledged writes the failover lost. Redis
 * replicates asynchronously, yet on loopback nothing acknowledged was lost, even with the replica paused for the 2 s
 * before the kill (a lagging replica): what the master sent is in the kernel's socket buffers, which deliver it after
 * the kill; the demo's upload rate does not outgrow them, so that only a real network's loss or partition would lose
 * it. {@code SESSION_REDIS_WAIT_REPLICAS=1} makes the uploads answered while the replica lags 503s instead of 303s.
 * The lagging replica without waiting runs in the long mode only. The cluster runs with {@code cluster-require-full-coverage no}: with Redis's default,
 * every master answers {@code CLUSTERDOWN} from when the dead one is marked failed until its replica is promoted. Its
 * node timeout is 2 s, so that the failover takes seconds, not the default's 15 s and more.
 */
@Tag("server")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterFailoverTest {
    private static final String PREFIX = "failover:";
    private static final int VISITORS_PER_MASTER = 4;
    /** From the promotion (or a new replica, with WAIT) to the dead master's visitors being served again. */
    private static final Duration RECOVERY = Duration.ofSeconds(5);
    /** A peer silent this long counts as failed: the bulk of the failover's time (Redis's default is 15 s). */
    private static final String NODE_TIMEOUT_MS = "2000";
    private static final Pattern COUNTER = Pattern.compile("n=(\\d+)");

    private Report report;

    @BeforeAll
    void openReport() {
        report = Report.open("05-cluster-failover", "Store outage: Redis Cluster failover");
    }

    /** One visitor uploading {@code n=1, n=2, …} until told to stop. */
    private static final class Uploader {
        final Visitor visitor;
        final SessionKey key;
        final boolean onVictim;
        final List<Long> acknowledged = new ArrayList<>();
        final ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        volatile long next = 2;
        volatile int unavailable;
        volatile long firstUnavailable;
        volatile long recoveredAt;
        volatile boolean failing;

        Uploader(Visitor visitor, boolean onVictim) {
            this.visitor = visitor;
            this.key = SessionKey.of(visitor.id().orElseThrow());
            this.onVictim = onVictim;
        }

        void run(DemoProcess demo, AtomicBoolean stop) {
            while (!stop.get()) {
                long n = next++;
                try {
                    String cookieBefore = visitor.cookie().orElseThrow();
                    HttpResponse<String> response = visitor.upload(demo, "n.txt", ("n=" + n).getBytes(UTF_8));
                    if (response.statusCode() == 303) {
                        synchronized (acknowledged) {
                            acknowledged.add(n);
                        }
                        if (failing) {
                            failing = false;
                            recoveredAt = System.nanoTime();
                        }
                    } else if (response.statusCode() == 503) {
                        if (unavailable++ == 0) {
                            firstUnavailable = System.nanoTime();
                        }
                        failing = true;
                        if (response.headers().firstValue("Retry-After").isEmpty()) {
                            wrong.add("503 without Retry-After");
                        }
                        if (!Visitor.sessionCookies(response.headers().allValues("Set-Cookie")).isEmpty()
                                || !visitor.cookie().orElse("").equals(cookieBefore)) {
                            wrong.add("503 with a session cookie");
                        }
                        Thread.sleep(20);
                    } else {
                        wrong.add(response.statusCode() + ": " + response.body());
                    }
                } catch (IOException e) {
                    wrong.add(e.toString());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    // Proves docs/persistence.md#redis-replicas
    @Test
    void killMasterWhenReplicaInSyncThenOnlyItsVisitorsWaitForThePromotion() throws Exception {
        Outcome outcome = failover(false, false);
        outcome.assertAvailability();
        report.record(Store.REDIS, "Redis Cluster (3 masters, 1 replica each): kill -9 of one master under 12 visitors "
                        + "uploading in a loop, replica in sync", outcome.acknowledged,
                "only the 4 visitors on the dead master's slots got 503 (Retry-After, no cookie), and only until its "
                        + "replica took over; the other 8 saw no error", outcome.figures());
    }

    @Test
    @EnabledIfSystemProperty(named = Mode.LONG, matches = "true")
    void killMasterWhenReplicaLaggedThenAcknowledgedUploadsAreCounted() throws Exception {
        Outcome outcome = failover(true, false);
        outcome.assertAvailability();
        report.record(Store.REDIS, "Redis Cluster (3 masters, 1 replica each): kill -9 of one master under 12 visitors "
                        + "uploading in a loop, its replica paused (SIGSTOP) for the 2 s before, as a replica that lags",
                outcome.acknowledged, "only the dead master's 4 visitors got 503, only until the promotion; acknowledged "
                        + "uploads lost: the figure (the kernel's socket buffers delivered what the master had sent, after "
                        + "the kill)", outcome.figures());
    }

    // Proves docs/persistence.md#redis-replicas
    @Test
    void killMasterWhenReplicaLaggedAndWritesWaitForItThenNoAcknowledgedUploadIsLost() throws Exception {
        Outcome outcome = failover(true, true);
        outcome.assertAvailability();
        assertThat(outcome.lost).as("acknowledged uploads lost").isZero();
        report.record(Store.REDIS, "Redis Cluster (3 masters, 1 replica each): kill -9 of one master under 12 visitors "
                        + "uploading in a loop, its replica paused for the 2 s before, with SESSION_REDIS_WAIT_REPLICAS=1",
                outcome.acknowledged,
                "no acknowledged upload lost: while the replica lagged, the dead master's visitors got 503 instead; the "
                        + "promoted master has no replica, so they are served again once one joins; the other 8 saw no "
                        + "error", outcome.figures());
    }

    /** What one failover showed. */
    private record Outcome(List<Uploader> uploaders, long troubleStart, long killedAt, long promotedAt, long servableAt,
                           long acknowledged, long lost, boolean waited) {

        void assertAvailability() {
            assertThat(uploaders).allSatisfy(u -> assertThat(u.wrong).as("responses other than 303 and 503").isEmpty());
            assertThat(uploaders.stream().filter(u -> !u.onVictim))
                    .allSatisfy(u -> assertThat(u.unavailable).as("503s on a live master").isZero());
            assertThat(uploaders.stream().filter(u -> u.onVictim)).allSatisfy(u -> {
                assertThat(u.unavailable).as("503s on the dead master").isPositive();
                assertThat(u.firstUnavailable).isGreaterThanOrEqualTo(waited ? troubleStart : killedAt);
                assertThat(u.recoveredAt).as("served again").isGreaterThan(promotedAt);
                assertThat(Duration.ofNanos(u.recoveredAt - servableAt)).as("served again after it could be")
                        .isLessThan(RECOVERY);
            });
        }

        Map<String, Object> figures() {
            Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("promotion ms after kill", (promotedAt - killedAt) / 1_000_000);
            figures.put("dead master's visitors served again ms after kill",
                    uploaders.stream().filter(u -> u.onVictim).mapToLong(u -> u.recoveredAt - killedAt).max().orElse(0) / 1_000_000);
            figures.put("503s", uploaders.stream().mapToLong(u -> u.unavailable).sum());
            figures.put("acknowledged uploads", acknowledged);
            figures.put("acknowledged uploads lost", lost);
            return figures;
        }
    }

    private Outcome failover(boolean lag, boolean waitForReplica) throws Exception {
        try (LocalRedisCluster cluster = LocalRedisCluster.start(3, 1,
                "--cluster-require-full-coverage", "no", "--cluster-node-timeout", NODE_TIMEOUT_MS)) {
            DemoProcess.Launch launch = DemoProcess.launch().name("failover")
                    .with("SESSION_TYPE", "redis").with("SESSION_REDIS", cluster.uri()).with("SESSION_KEY_PREFIX", PREFIX);
            if (waitForReplica) {
                launch.with("SESSION_REDIS_WAIT_REPLICAS", "1");
            }
            RedisServerProcess victim = cluster.masters().get(0);
            List<RedisServerProcess> itsReplicas = cluster.replicasOf(victim);
            try (DemoProcess demo = launch.start()) {
                List<Uploader> uploaders = uploaders(demo, cluster, victim);
                AtomicBoolean stop = new AtomicBoolean();
                ExecutorService pool = Executors.newFixedThreadPool(uploaders.size());
                List<Future<?>> loops = new ArrayList<>();
                for (Uploader uploader : uploaders) {
                    loops.add(pool.submit(() -> uploader.run(demo, stop)));
                }
                Thread.sleep(1500);
                long troubleStart = System.nanoTime();
                if (lag) {
                    itsReplicas.forEach(RedisServerProcess::pause);
                    Thread.sleep(2000);
                }
                long killedAt = System.nanoTime();
                victim.kill();
                if (lag) {
                    itsReplicas.forEach(RedisServerProcess::resume);
                }
                RedisServerProcess promoted = cluster.awaitFailover(victim, itsReplicas, Duration.ofSeconds(30));
                long promotedAt = System.nanoTime();
                if (waitForReplica) {
                    cluster.addReplica(promoted);
                }
                long servableAt = System.nanoTime();
                long deadline = servableAt + RECOVERY.toNanos() + Duration.ofSeconds(5).toNanos();
                while (uploaders.stream().anyMatch(u -> u.onVictim && (u.recoveredAt == 0 || u.failing))
                        && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                Thread.sleep(500);
                stop.set(true);
                for (Future<?> loop : loops) {
                    loop.get();
                }
                pool.shutdown();

                long acknowledged = 0;
                long lost = 0;
                for (Uploader uploader : uploaders) {
                    HttpResponse<String> page = uploader.visitor.get(demo, "/action");
                    assertThat(page.statusCode()).isEqualTo(200);
                    Matcher shown = COUNTER.matcher(page.body());
                    assertThat(shown.find()).as("the page shows an upload").isTrue();
                    long kept = Long.parseLong(shown.group(1));
                    acknowledged += uploader.acknowledged.size();
                    lost += uploader.acknowledged.stream().filter(n -> n > kept).count();
                }
                return new Outcome(uploaders, troubleStart, killedAt, promotedAt, servableAt, acknowledged, lost, waitForReplica);
            }
        }
    }

    /** Visitors with one upload each, kept until each master serves {@value #VISITORS_PER_MASTER} of them. */
    private static List<Uploader> uploaders(DemoProcess demo, LocalRedisCluster cluster, RedisServerProcess victim)
            throws IOException, InterruptedException {
        RedisClusterClient client = RedisClusterClient.create(RedisURI.create("redis://127.0.0.1:" + victim.port()));
        try {
            Map<Integer, Integer> perMaster = new LinkedHashMap<>();
            cluster.masters().forEach(m -> perMaster.put(m.port(), 0));
            List<Uploader> uploaders = new ArrayList<>();
            while (uploaders.size() < VISITORS_PER_MASTER * perMaster.size()) {
                Visitor visitor = new Visitor();
                assertThat(visitor.upload(demo, "n.txt", "n=1".getBytes(UTF_8)).statusCode()).isEqualTo(303);
                String value = SessionKey.of(visitor.id().orElseThrow()).value();
                int slot = SlotHash.getSlot(PREFIX + "{" + value.substring(2, 4) + "}" + value);
                int port = client.getPartitions().getMasterBySlot(slot).getUri().getPort();
                if (perMaster.get(port) < VISITORS_PER_MASTER) {
                    perMaster.merge(port, 1, Integer::sum);
                    Uploader uploader = new Uploader(visitor, port == victim.port());
                    uploader.acknowledged.add(1L);
                    uploaders.add(uploader);
                }
            }
            return uploaders;
        } finally {
            client.shutdown();
        }
    }
}
