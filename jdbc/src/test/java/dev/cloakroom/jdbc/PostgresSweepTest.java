package dev.cloakroom.jdbc;

import static dev.cloakroom.testkit.SessionStoreContract.sweepOnce;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.Session;
import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionListener;
import dev.cloakroom.SessionManager;
import dev.cloakroom.spi.SessionRecord;
import dev.cloakroom.spi.SweepLease;
import dev.cloakroom.testkit.TestClock;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Sweeping a shared PostgreSQL table: one instance at a time, each expired row once, requests served meanwhile. */
@Tag("server")
class PostgresSweepTest {
    private static final PostgresTables TABLES = new PostgresTables("pgsweep");
    private static final Duration IDLE = Duration.ofMinutes(30);

    private final TestClock clock = new TestClock();

    @AfterAll
    static void dropTables() throws SQLException {
        TABLES.dropAll();
    }

    private static JdbcSessionStore store(String table) {
        return JdbcSessionStore.builder().url(TestDatabases.POSTGRES_URL).table(table).maxPoolSize(4).build();
    }

    /** Inserts {@code count} rows that expired before {@code now}; returns their keys. */
    private static Set<String> insertExpired(String table, String tag, int count, Instant now) throws SQLException {
        try (Connection connection = TestDatabases.postgres();
             PreparedStatement fill = connection.prepareStatement("INSERT INTO " + table + " " + """
                     SELECT 'v1' || encode(sha256((? || i)::bytea), 'hex'), jsonb_build_object('n', i::text), ?, ?, 1800000,
                            ?::timestamptz - (i || ' milliseconds')::interval, 1
                       FROM generate_series(1, ?) AS i
                     RETURNING session_key""")) {
            OffsetDateTime at = OffsetDateTime.ofInstant(now, ZoneOffset.UTC);
            fill.setString(1, tag);
            fill.setObject(2, at.minusHours(1));
            fill.setObject(3, at.minusHours(1));
            fill.setObject(4, at.minusSeconds(1));
            fill.setInt(5, count);
            Set<String> keys = new HashSet<>();
            try (ResultSet rs = fill.executeQuery()) {
                while (rs.next()) {
                    keys.add(rs.getString(1));
                }
            }
            return keys;
        }
    }

    private static long count(String table) throws SQLException {
        try (Connection connection = TestDatabases.postgres();
             PreparedStatement statement = connection.prepareStatement("SELECT count(*) FROM " + table);
             ResultSet rs = statement.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    // Proves docs/persistence.md#postgresql-deleted
    @Test
    void threeInstancesWhenSweepingAtOnceThenOneHoldsTheLockAtATimeAndEachRowIsDeletedOnce() throws Exception {
        String table = TABLES.name("three");
        List<JdbcSessionStore> stores = List.of(store(table), store(table), store(table));
        Set<String> expired = insertExpired(table, "three", 3000, clock.instant());
        AtomicInteger holders = new AtomicInteger();
        AtomicInteger mostHolders = new AtomicInteger();
        AtomicInteger refusals = new AtomicInteger();
        Map<String, Integer> seen = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (JdbcSessionStore store : stores) {
                futures.add(pool.submit(() -> {
                    go.await();
                    while (seen.size() < expired.size()) {
                        Optional<SweepLease> lease = store.tryAcquireSweepLease(Duration.ofSeconds(20));
                        if (lease.isEmpty()) {
                            refusals.incrementAndGet();
                            Thread.sleep(1);
                            continue;
                        }
                        try (SweepLease held = lease.get()) {
                            mostHolders.accumulateAndGet(holders.incrementAndGet(), Math::max);
                            // a few batches per lease, so the others keep trying while one sweeps
                            for (int batch = 0; batch < 3; batch++) {
                                for (SessionRecord record : sweepOnce(store, clock.instant(), 100)) {
                                    seen.merge(record.key().value(), 1, Integer::sum);
                                }
                            }
                            holders.decrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> future : futures) {
                future.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
            stores.forEach(JdbcSessionStore::close);
        }

        assertThat(mostHolders.get()).as("instances holding the sweep lock at once").isEqualTo(1);
        assertThat(refusals.get()).as("attempts refused because another instance held the lock").isPositive();
        assertThat(seen.keySet()).isEqualTo(expired);
        assertThat(seen.values()).allMatch(times -> times == 1);
        assertThat(count(table)).isZero();
    }

    // Proves docs/persistence.md#postgresql-deleted
    @Test
    void sweepLeaseWhenItsHolderNeverReleasesItThenAnotherInstanceGetsItAfterItsTimeToLive() throws Exception {
        String table = TABLES.name("stuck");
        try (JdbcSessionStore stuck = store(table); JdbcSessionStore other = store(table)) {
            // a sweeper that hangs (say, in a listener) and never closes its lease
            SweepLease neverClosed = stuck.tryAcquireSweepLease(Duration.ofSeconds(1)).orElseThrow();
            assertThat(other.tryAcquireSweepLease(Duration.ofSeconds(1))).isEmpty();

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            Optional<SweepLease> taken = Optional.empty();
            while (taken.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(200);
                taken = other.tryAcquireSweepLease(Duration.ofSeconds(10));
            }
            assertThat(taken).as("the lease once the stuck holder's time to live ran out").isPresent();
            taken.get().close();
            neverClosed.close(); // its connection is gone: dropped, nothing else happens
        }
    }

    // Proves docs/persistence.md#postgresql-deleted
    @Test
    void threeSweepersWhenRunTogetherThenListenersHearOfEachExpiredSessionOnce() throws Exception {
        String table = TABLES.name("listeners");
        Map<String, Integer> heard = new ConcurrentHashMap<>();
        List<Object> attributesHeard = new CopyOnWriteArrayList<>();
        SessionListener listener = new SessionListener() {
            @Override
            public void sessionDestroyed(SessionKey key, Map<String, Object> attributes, Reason reason) {
                heard.merge(key.value(), 1, Integer::sum);
                attributesHeard.add(attributes.get("n"));
            }
        };
        CloakroomConfig config = CloakroomConfig.builder().idleTimeout(IDLE).sweepBatchSize(100).build();
        List<SessionManager> managers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            managers.add(SessionManager.builder(store(table)).config(config).clock(clock).listener(listener).sweeping(false).build());
        }
        Set<String> expired = insertExpired(table, "listeners", 2000, clock.instant());
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (SessionManager manager : managers) {
                futures.add(pool.submit(() -> {
                    while (heard.size() < expired.size()) {
                        manager.sweeper().runOnce();
                    }
                    return null;
                }));
            }
            for (Future<?> future : futures) {
                future.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
            managers.forEach(SessionManager::close);
        }

        assertThat(heard.keySet()).isEqualTo(expired);
        assertThat(heard.values()).allMatch(times -> times == 1);
        assertThat(attributesHeard).hasSize(expired.size()).doesNotContainNull();
        assertThat(count(table)).isZero();
    }

    // Proves docs/persistence.md#postgresql-deleted
    @Test
    void expiredRowWhenTheBackgroundSweeperRunsThenDeletedWithinOneAndAHalfCleanupIntervals() throws Exception {
        String table = TABLES.name("background");
        Duration interval = Duration.ofSeconds(1);
        Duration idle = Duration.ofSeconds(1);
        Map<String, Long> heardAt = new ConcurrentHashMap<>();
        SessionListener listener = new SessionListener() {
            @Override
            public void sessionDestroyed(SessionKey key, Map<String, Object> attributes, Reason reason) {
                heardAt.put(key.value(), System.nanoTime());
            }
        };
        try (SessionManager manager = SessionManager.builder(store(table)).listener(listener)
                .config(CloakroomConfig.builder().idleTimeout(idle).cleanupInterval(interval).build()).build()) {
            Session session = manager.create();
            session.setAttribute("file_contents", List.of("line"));
            manager.commit(session);
            long expiresAt = System.nanoTime() + idle.toNanos();

            long deadline = expiresAt + interval.multipliedBy(3).toNanos();
            while (!heardAt.containsKey(session.key().value()) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }

            assertThat(heardAt).containsKey(session.key().value());
            Duration lingered = Duration.ofNanos(heardAt.get(session.key().value()) - expiresAt);
            System.out.printf("MEASURED: background sweeper removed the expired row %d ms after its expiry (interval %d ms)%n",
                    lingered.toMillis(), interval.toMillis());
            // the documented bound, plus slack for one statement on a busy machine
            assertThat(lingered).isLessThan(interval.multipliedBy(3).dividedBy(2).plusMillis(500));
            assertThat(count(table)).isZero();
        }
    }

    // Proves docs/persistence.md#postgresql-deleted
    @Test
    void hundredThousandExpiredRowsWhenSweptInBatchesThenRequestsKeepBeingServed() throws Exception {
        String table = TABLES.name("bulk");
        int expiredRows = 100_000;
        int batchSize = CloakroomConfig.DEFAULT_SWEEP_BATCH_SIZE;
        try (JdbcSessionStore store = store(table);
             SessionManager manager = SessionManager.builder(store).clock(clock).sweeping(false)
                     .config(CloakroomConfig.builder().idleTimeout(IDLE).build()).build()) {
            long fillStarted = System.nanoTime();
            insertExpired(table, "bulk", expiredRows, clock.instant());
            long fillMillis = (System.nanoTime() - fillStarted) / 1_000_000;
            try (Connection connection = TestDatabases.postgres()) {
                TestDatabases.execute(connection, "ANALYZE " + table);
            }
            List<String> liveIds = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                Session session = manager.create();
                session.setAttribute("requests", 0);
                manager.commit(session);
                liveIds.add(session.id());
            }

            AtomicBoolean sweeping = new AtomicBoolean(true);
            AtomicLong served = new AtomicLong();
            AtomicLong slowestNanos = new AtomicLong();
            List<Throwable> failures = new CopyOnWriteArrayList<>();
            ExecutorService requests = Executors.newFixedThreadPool(4);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                futures.add(requests.submit(() -> {
                    int i = 0;
                    while (sweeping.get()) {
                        String id = liveIds.get((thread + 4 * i++) % liveIds.size());
                        long started = System.nanoTime();
                        try {
                            Session session = manager.find(id).orElseThrow(() -> new AssertionError("live session lost"));
                            session.setAttribute("last", thread + ":" + i);
                            manager.commit(session);
                            served.incrementAndGet();
                        } catch (Throwable e) {
                            failures.add(e);
                        }
                        slowestNanos.accumulateAndGet(System.nanoTime() - started, Math::max);
                    }
                }));
            }

            List<Integer> batchSizes = new ArrayList<>();
            long sweepStarted = System.nanoTime();
            try (SweepLease lease = store.tryAcquireSweepLease(Duration.ofMinutes(5)).orElseThrow()) {
                List<SessionRecord> batch;
                do {
                    batch = sweepOnce(store, clock.instant(), batchSize);
                    batchSizes.add(batch.size());
                } while (!batch.isEmpty());
            } finally {
                sweeping.set(false);
                for (Future<?> future : futures) {
                    future.get(30, TimeUnit.SECONDS);
                }
                requests.shutdownNow();
            }
            long sweepMillis = (System.nanoTime() - sweepStarted) / 1_000_000;

            System.out.printf("MEASURED: filled %,d expired rows in %d ms; swept them in %d batches of <= %d in %d ms "
                            + "(%.0f rows/s); meanwhile %,d requests (find + change + commit) served by 4 threads, slowest %.1f ms%n",
                    expiredRows, fillMillis, batchSizes.size() - 1, batchSize, sweepMillis, expiredRows * 1000.0 / sweepMillis,
                    served.get(), slowestNanos.get() / 1e6);
            assertThat(failures).isEmpty();
            assertThat(served.get()).isPositive();
            assertThat(batchSizes).allMatch(size -> size <= batchSize);
            assertThat(batchSizes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(expiredRows);
            assertThat(count(table)).isEqualTo(liveIds.size());
            for (String id : liveIds) {
                assertThat(manager.find(id)).isPresent();
            }
        }
    }
}
