package dev.cloakroom.system;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cloakroom.SessionKey;
import dev.cloakroom.testkit.RedisServerProcess;
import io.lettuce.core.RedisClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 9, item 6: with a lifetime of 2 s and a sweep every second, 10,000 sessions (2,000 in CI) made over HTTP, none
 * touched again,
 * each leave the store within 5 s of its deadline; and a store seeded with a great many expired records (see
 * {@link ExpiredSeed}: 1,000,000 on PostgreSQL and Redis and 200,000 files in the long mode; 100,000, 50,000 and 5,000
 * in CI, where seeding files one by one and sweeping a private Redis take the longest) is swept clean while live
 * visitors' requests keep their p99 latency under 3 times its value without the sweep (measured before and after it;
 * 6 times in CI, see {@link #P99_FACTOR}).
 */
@Tag("server")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RetentionTest {
    private static final Duration LIFETIME = Duration.ofSeconds(2);
    private static final Duration BOUND = Duration.ofSeconds(5);
    /** 10,000 in the long mode; fewer in CI, where making them over HTTP takes most of the time. */
    private static final int SESSIONS = Mode.iterations(2_000, 10_000);
    private static final int CREATORS = 8;
    private static final String SEED_PREFIX = "failover:sweep:";
    private static final int LIVE_VISITORS = 16;
    private static final Duration WARM_UP = Duration.ofSeconds(2);
    private static final Duration BASELINE = Duration.ofSeconds(Mode.iterations(4, 20));
    private static final Duration SWEEP_LIMIT = Duration.ofSeconds(Mode.iterations(120, 1200));
    /** Fewer live requests during the sweep than this would make its p99 a guess. */
    private static final int MIN_SAMPLES = 100;
    /**
     * How much slower live requests may get while the sweep runs: the 3 x in the long mode, where the seed is
     * a million records and the windows are long; 6 x in CI, whose short windows on a 2-core machine (the store, the
     * demo and the load on the same cores) put a few-millisecond p99 within reach of one scheduling hiccup.
     */
    private static final int P99_FACTOR = Mode.iterations(6, 3);

    private Report report;

    @BeforeAll
    void openReport() {
        report = Report.open("06-retention", "Retention: expired sessions leave the store");
    }

    // Proves docs/persistence.md#lifecycle
    @ParameterizedTest
    @EnumSource(Store.class)
    void sessionsWhenLifetimeTwoSecondsThenEachGoneWithinFiveSecondsOfItsDeadline(Store store) throws Exception {
        try (StoreProbe probe = store.open("retention");
             DemoProcess demo = DemoProcess.on(probe).name("retention-" + store.name().toLowerCase())
                     .with("PERMANENT_SESSION_LIFETIME", Long.toString(LIFETIME.toSeconds()))
                     .with("SESSION_CLEANUP_INTERVAL", "1").start()) {
            Map<String, Long> answeredAt = new ConcurrentHashMap<>();
            Map<String, Long> goneBy = new ConcurrentHashMap<>();
            List<String> late = Collections.synchronizedList(new ArrayList<>());
            AtomicInteger next = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(CREATORS);
            List<Future<?>> creators = new ArrayList<>();
            long started = System.nanoTime();
            for (int i = 0; i < CREATORS; i++) {
                creators.add(pool.submit(() -> {
                    while (next.getAndIncrement() < SESSIONS) {
                        Visitor visitor = new Visitor();
                        HttpResponse<String> upload = visitor.upload(demo, "r.txt", "kept two seconds".getBytes(UTF_8));
                        assertThat(upload.statusCode()).isEqualTo(303);
                        answeredAt.put(SessionKey.of(visitor.id().orElseThrow()).value(), System.nanoTime());
                    }
                    return null;
                }));
            }
            long createdIn = 0;
            int polls = 0;
            while (true) {
                boolean creating = creators.stream().anyMatch(f -> !f.isDone());
                if (!creating && createdIn == 0) {
                    createdIn = System.nanoTime() - started;
                }
                long pollStart = System.nanoTime();
                Set<String> stored = probe.sessionKeys();
                long pollEnd = System.nanoTime();
                polls++;
                long lastAnswer = 0;
                for (Map.Entry<String, Long> created : answeredAt.entrySet()) {
                    long answered = created.getValue();
                    lastAnswer = Math.max(lastAnswer, answered);
                    if (answered >= pollStart || goneBy.containsKey(created.getKey())) {
                        continue;
                    }
                    if (!stored.contains(created.getKey())) {
                        goneBy.put(created.getKey(), pollEnd);
                    } else if (pollStart - (answered + LIFETIME.toNanos()) > BOUND.toNanos()) {
                        // the deadline came before the answer plus the lifetime, so this record outlived it by more
                        late.add(created.getKey());
                    }
                }
                if (!creating && (goneBy.size() == answeredAt.size()
                        || System.nanoTime() > lastAnswer + LIFETIME.plus(BOUND).plusSeconds(2).toNanos())) {
                    break;
                }
                Thread.sleep(200);
            }
            for (Future<?> creator : creators) {
                creator.get();
            }
            pool.shutdown();

            assertThat(answeredAt).hasSize(SESSIONS);
            assertThat(late).as("records found more than 5 s after their deadline").isEmpty();
            assertThat(goneBy).as("records gone").hasSize(SESSIONS);
            assertThat(probe.sessionKeys()).isEmpty();
            List<Long> pastDeadline = goneBy.entrySet().stream()
                    .map(e -> (e.getValue() - answeredAt.get(e.getKey()) - LIFETIME.toNanos()) / 1_000_000).sorted().toList();
            Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("sessions made in s", String.format("%.1f", createdIn / 1e9));
            figures.put("store polls", polls);
            figures.put("gone after deadline, median ms (at most)", pastDeadline.get(pastDeadline.size() / 2));
            figures.put("gone after deadline, max ms (at most)", pastDeadline.get(pastDeadline.size() - 1));
            report.record(store, String.format("%,d", SESSIONS) + " sessions made over HTTP with PERMANENT_SESSION_LIFETIME=2 and "
                            + "SESSION_CLEANUP_INTERVAL=1, never touched again; the store listed every 200 ms", SESSIONS,
                    "every record was gone within 5 s of its deadline (upper bounds: the poll that first missed it, "
                            + "against the answer's time plus 2 s)", figures);
        }
    }

    // Proves docs/persistence.md#lifecycle
    @ParameterizedTest
    @EnumSource(Store.class)
    void sweepWhenManyExpiredRecordsSeededThenFinishesAndLiveP99StaysUnderThreeTimesItsValueWithout(Store store)
            throws Exception {
        int count = switch (store) {
            case FILESYSTEM -> Mode.iterations(5_000, 200_000);
            case POSTGRESQL -> Mode.iterations(100_000, 1_000_000);
            case REDIS -> Mode.iterations(50_000, 1_000_000);
        };
        if (store == Store.REDIS) {
            // a private server: a million hashes are not for the shared one
            try (RedisServerProcess redis = RedisServerProcess.start(RedisServerProcess.freePort())) {
                RedisClient client = RedisClient.create("redis://127.0.0.1:" + redis.port());
                try {
                    Map<String, String> settings = Map.of("SESSION_TYPE", "redis",
                            "SESSION_REDIS", "redis://127.0.0.1:" + redis.port(), "SESSION_KEY_PREFIX", SEED_PREFIX,
                            "SESSION_REDIS_EXPIRY_EVENTS", "true");
                    sweepUnderLoad(store, settings, count, key -> ExpiredSeed.redisHashes(client, SEED_PREFIX,
                            SEED_PREFIX + "{" + key.substring(2, 4) + "}" + key));
                } finally {
                    client.shutdown();
                }
            }
            return;
        }
        try (StoreProbe probe = store.open("sweep")) {
            sweepUnderLoad(store, probe.settings(), count, key -> probe instanceof FileProbe files
                    ? ExpiredSeed.files(files.dir(), probe.record(new SessionKey(key)).orElseThrow())
                    : ExpiredSeed.rows(((PostgresProbe) probe).table(), key));
        }
    }

    /** Makes the seed, given the key of a live session whose record it copies. */
    private interface SeedFactory {
        ExpiredSeed copying(String templateKey) throws Exception;
    }

    private void sweepUnderLoad(Store store, Map<String, String> settings, int count, SeedFactory factory) throws Exception {
        try (DemoProcess demo = DemoProcess.launch().name("sweep-" + store.name().toLowerCase()).with(settings)
                .with("SESSION_CLEANUP_INTERVAL", "1").start()) {
            List<Visitor> live = new ArrayList<>();
            for (int i = 0; i < LIVE_VISITORS; i++) {
                Visitor visitor = new Visitor();
                assertThat(visitor.upload(demo, "live.txt", ("live visitor " + i).getBytes(UTF_8)).statusCode()).isEqualTo(303);
                live.add(visitor);
            }
            ExpiredSeed seed = factory.copying(SessionKey.of(live.get(0).id().orElseThrow()).value());
            LiveLoad load = new LiveLoad(demo, live);
            load.during(WARM_UP, () -> false);
            List<Long> without = load.during(BASELINE, () -> false);

            long seeding = System.nanoTime();
            seed.seed(count);
            long seeded = System.nanoTime();
            long limit = seeded + SWEEP_LIMIT.toNanos();
            List<Long> during = load.during(SWEEP_LIMIT, () -> seed.remaining() == 0);
            long swept = System.nanoTime();
            // Measured again once the sweep is over, so that the machine's own drift (a shared 2-core box) is not
            // charged to the sweep: "without the sweep" is the slower of the windows before and after it.
            List<Long> after = load.during(BASELINE, () -> false);

            assertThat(seed.remaining()).as("seeded records left after " + SWEEP_LIMIT).isZero();
            assertThat(swept).isLessThan(limit);
            assertThat(load.errors).as("live requests that failed").isEmpty();
            for (int i = 0; i < live.size(); i++) {
                assertThat(live.get(i).get(demo, "/action").body()).contains("live&nbsp;visitor&nbsp;" + i + "<");
            }
            long p99Before = percentile(without, 0.99);
            long p99After = percentile(after, 0.99);
            long p99Without = Math.max(p99Before, p99After);
            long p99During = percentile(during, 0.99);
            Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("seeded", count);
            figures.put("seeding s", String.format("%.1f", (seeded - seeding) / 1e9));
            figures.put("swept clean s after seeding", String.format("%.1f", (swept - seeded) / 1e9));
            figures.put("live requests before / during / after the sweep", without.size() + " / " + during.size() + " / " + after.size());
            figures.put("p50 ms without / during", ms(percentile(without, 0.5)) + " / " + ms(percentile(during, 0.5)));
            figures.put("p99 ms before / during / after the sweep", ms(p99Before) + " / " + ms(p99During) + " / " + ms(p99After));
            System.out.println("sweep of " + count + " on " + store + ": " + figures);
            assertThat(during.size()).as("live requests during the sweep").isGreaterThanOrEqualTo(MIN_SAMPLES);
            assertThat(p99During).as("p99 during the sweep (ns) against %d x %d without", P99_FACTOR, p99Without)
                    .isLessThan(P99_FACTOR * p99Without);
            report.record(store, String.format("%,d", count) + " expired records seeded straight into the store"
                            + (store == Store.REDIS ? " (a private redis-server, SESSION_REDIS_EXPIRY_EVENTS=true: the "
                            + "sweeper reports each)" : "") + "; live visitors reading and uploading from 4 threads before "
                            + "and while the sweeper (every 1 s) clears them", count,
                    "the sweep finished; no live request failed and every live visitor kept their data; live p99 during "
                            + "the sweep under " + P99_FACTOR + " x its value without (the slower of the windows before "
                            + "and after it)", figures);
        }
    }

    private static String ms(long nanos) {
        return String.format("%.1f", nanos / 1e6);
    }

    private static long percentile(List<Long> latencies, double fraction) {
        List<Long> sorted = latencies.stream().sorted().toList();
        return sorted.get(Math.max(0, (int) Math.ceil(fraction * sorted.size()) - 1));
    }

    /** Live visitors' requests from a few threads in a closed loop: 4 reads of {@code /action} to 1 upload. */
    private static final class LiveLoad {
        private static final int THREADS = 4;
        private final DemoProcess demo;
        private final List<Visitor> visitors;
        final List<String> errors = Collections.synchronizedList(new ArrayList<>());

        LiveLoad(DemoProcess demo, List<Visitor> visitors) {
            this.demo = demo;
            this.visitors = visitors;
        }

        /** Runs the load for {@code limit} or until {@code done} says so (asked twice a second); returns the latencies. */
        List<Long> during(Duration limit, Check done) throws Exception {
            List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
            AtomicBoolean stop = new AtomicBoolean();
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            List<Future<?>> loops = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                loops.add(pool.submit(() -> {
                    for (int i = 0; !stop.get(); i++) {
                        Visitor visitor = visitors.get((thread + i * THREADS) % visitors.size());
                        int index = visitors.indexOf(visitor);
                        long start = System.nanoTime();
                        try {
                            HttpResponse<String> response = i % 5 == 4
                                    ? visitor.upload(demo, "live.txt", ("live visitor " + index).getBytes(UTF_8))
                                    : visitor.get(demo, "/action");
                            latencies.add(System.nanoTime() - start);
                            if (response.statusCode() != (i % 5 == 4 ? 303 : 200)) {
                                errors.add(response.statusCode() + ": " + response.body());
                            }
                        } catch (Exception e) {
                            errors.add(e.toString());
                        }
                    }
                    return null;
                }));
            }
            long deadline = System.nanoTime() + limit.toNanos();
            try {
                while (System.nanoTime() < deadline && !done.now()) {
                    Thread.sleep(500);
                }
            } finally {
                stop.set(true);
                for (Future<?> loop : loops) {
                    loop.get();
                }
                pool.shutdown();
            }
            return new ArrayList<>(latencies);
        }
    }

    /** A condition polled while the load runs. */
    private interface Check {
        boolean now() throws Exception;
    }
}
