package dev.cloakroom.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.cloakroom.bench.Contender;
import dev.cloakroom.bench.Store;
import dev.cloakroom.bench.report.ReportWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The harness end to end on a few hundred requests per contender (mode {@code smoke}): every contender starts in its
 * own JVM, answers every page correctly, and the counters add up. PostgreSQL is a private cluster, as in a real run,
 * so that {@code pg_stat_statements} counts too. Asserts no timing: figures on a CI machine mean nothing, and
 * performance claims live in the benchmark report only. {@code -Dcloakroom.bench.basePort} and
 * {@code -Dcloakroom.bench.redis} move it off the default ports and Redis database.
 */
@Tag("server")
class HarnessSmokeTest {
    private static final int BASE_PORT = Integer.getInteger("cloakroom.bench.basePort", 7650);
    private static final String REDIS = System.getProperty("cloakroom.bench.redis", Target.DEFAULT_REDIS_URI);
    private static PrivatePostgres postgres;
    private static Target target;
    private static Results results;
    @TempDir
    static Path work;

    @BeforeAll
    static void run() throws Exception {
        postgres = PrivatePostgres.start();
        target = Target.on(postgres, work.resolve("data"), REDIS);
        results = BenchMain.measure(Mode.SMOKE, target, List.of(Contender.values()), BASE_PORT, work);
    }

    @AfterAll
    static void stop() throws Exception {
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void everyContenderAnsweredEveryPageCorrectly() {
        assertThat(results.paths).hasSize(Contender.values().length * Workload.values().length);
        assertThat(results.paths).allSatisfy(p -> {
            assertThat(p.errors()).as("%s %s errors", p.contender(), p.workload()).isZero();
            assertThat(p.sequential().count()).isEqualTo(Mode.SMOKE.sequential());
            assertThat(p.concurrent().count()).as("%s %s concurrent requests", p.contender(), p.workload())
                    .isGreaterThanOrEqualTo(Mode.SMOKE.clients());
            assertThat(p.concurrentPerSecond()).isPositive();
        });
    }

    @Test
    void concurrentIncrementsAddUpAndCloakroomLosesNone() {
        assertThat(results.lost).hasSize(Contender.values().length).allSatisfy(l -> {
            assertThat(l.attempted()).isEqualTo(Mode.SMOKE.clients() * Mode.SMOKE.increments());
            if (l.contender().isCloakroom()) {
                assertThat(l.errors()).as("%s non-200 increments", l.contender()).isZero();
                assertThat(l.counted()).as("%s lost updates", l.contender()).isEqualTo(l.attempted());
            } else if (l.errors() == 0) {
                // a peer may fail under concurrent writes to one session (Jetty's file store reading a file another
                // request is writing), or keep none of them (Jetty's file store without a cache did, in CI): findings
                // the report shows, not harness faults. A count outside 0..attempted would be one.
                assertThat(l.counted()).as("%s counted", l.contender()).isBetween(0, l.attempted());
            }
        });
    }

    @Test
    void roundTripsAreCountedForEveryNetworkStoreAndCloakroomKeepsToTheBar() {
        assertThat(results.trips).allSatisfy(t -> {
            Contender c = t.contender();
            if (c.store() == Store.FILESYSTEM) {
                assertThat(t.statements() + t.redisClientCommands()).isZero();
                return;
            }
            double trips = ReportWriter.roundTrips(c).applyAsDouble(t);
            if (t.workload().changes()) {
                assertThat(trips).as("%s %s round trips", c, t.workload()).isPositive();
            }
            if (c.isCloakroom()) {
                // the bar: none for a page that leaves the session alone, at most 1 for a read and 2 for a
                // change; and at least 1 for a page that uses the session, which a store that never asked would miss
                double least = t.workload() == Workload.NONE ? 0 : 1;
                double most = t.workload() == Workload.NONE ? 0 : t.workload().changes() ? 2 : 1;
                assertThat(trips).as("%s %s round trips", c, t.workload()).isBetween(least, most);
            }
        });
    }

    @Test
    void theServerCountsTheStatementsTheDataSourceCounted() {
        assertThat(results.trips.stream().filter(t -> t.contender().countsThroughDataSource())).isNotEmpty().allSatisfy(t -> {
            assertThat(t.pg()).as("%s %s pg_stat_statements", t.contender(), t.workload()).isNotNull();
            // BEGIN travels with the transaction's first statement: the DataSource sees no call for it
            assertThat(t.pg().calls() - t.pg().begins() - t.pg().ends()).as("%s %s statements", t.contender(), t.workload())
                    .isCloseTo(t.statements(), within(1e-9));
            // every transaction opens with one BEGIN; the COMMITs are no measure: PgJDBC prepares COMMIT on the server
            // once per connection, and pg_stat_statements (PostgreSQL 15) counts only that first, parsed, execution
            assertThat(t.pg().begins()).as("%s %s transactions", t.contender(), t.workload()).isCloseTo(t.commits(), within(1e-9));
        });
        assertThat(results.trips.stream().filter(t -> t.contender() == Contender.SPRING_JDBC && t.workload().changes()))
                .allSatisfy(t -> assertThat(t.pg().begins()).isPositive());
    }

    @Test
    void theStoreOnItsOwnPoolSendsWhatItSendsOnTheApplicationsPool() {
        for (Workload w : Workload.values()) {
            Results.Trips own = trips(Contender.CLOAKROOM_PG_OWN_POOL, w);
            Results.Trips app = trips(Contender.CLOAKROOM_PG, w);
            assertThat(own.statements()).as("%s: no counting DataSource around the store's own pool", w).isZero();
            assertThat(own.pg().calls()).as("%s statements on the server", w).isCloseTo(app.pg().calls(), within(1e-9));
        }
    }

    private static Results.Trips trips(Contender c, Workload w) {
        return results.trips.stream().filter(t -> t.contender() == c && t.workload() == w).findFirst().orElseThrow();
    }

    @Test
    void everySessionOccupiesBytesInItsStore() {
        assertThat(results.bytes).hasSize(Contender.values().length)
                .allSatisfy(b -> assertThat(b.bytes()).as("%s bytes", b.contender()).isGreaterThan(Workload.UPLOAD_LINES * 32L));
    }

    @Test
    void bothCleanupsEmptyTheirTableUnderLoad() {
        assertThat(results.cleanups).extracting(Results.Cleanup::contender)
                .containsExactlyInAnyOrder(Contender.CLOAKROOM_PG, Contender.SPRING_JDBC);
        assertThat(results.cleanups).allSatisfy(c -> {
            assertThat(c.leftExpired()).as("%s left expired", c.contender()).isZero();
            assertThat(c.errors()).as("%s errors during cleanup", c.contender()).isZero();
            assertThat(c.during().count() + c.before().count()).isPositive();
            assertThat(c.returningErrors()).as("%s returning users not answered 404", c.contender()).isZero();
            assertThat(c.locks().samples()).as("%s lock samples", c.contender()).isPositive();
            // the seeded rows, and the template's and returning users' sessions that expired with them
            assertThat(c.statements().rows()).as("%s rows deleted", c.contender()).isGreaterThan(Mode.SMOKE.cleanupRows());
            assertThat(c.statements().calls()).isPositive();
        });
    }

    @Test
    void theSeedsAppRanOnEveryStoreOrTheRunSaysWhyNot() {
        if (SeedApps.unavailable().isPresent()) {
            // CI installs neither Flask-Session nor gunicorn: the part is skipped, and the report says why
            assertThat(results.seed).isEmpty();
            assertThat(results.seedNotes).singleElement().asString().startsWith("not measured: ");
            return;
        }
        assertThat(results.seed).hasSize(2 * Store.values().length * SeedLoad.values().length);
        assertThat(results.seed).allSatisfy(s -> {
            assertThat(s.requests()).as("%s %s %s answers", s.system(), s.store(), s.load()).isPositive();
            if (s.system().equals(SeedApps.DEMO)) {
                // Flask-Session's wrong answers are a finding for the report; the demo's would be a defect
                assertThat(s.errors()).as("%s %s %s errors", s.system(), s.store(), s.load()).isZero();
            }
        });
    }

    @Test
    void theReportIsDrawnFromTheRawFiguresSavedBesideIt() throws Exception {
        Path raw = work.resolve("results.json");
        results.save(raw);
        Path report = new ReportWriter(Results.load(raw), "the command").write(work.resolve("docs"));

        String text = Files.readString(report);
        assertThat(text).contains("the command", "## Sequential requests", "## Lost updates", "## Cleanup of 200",
                "## The bar (issue 10)", "## The seed's app");
        for (Contender c : Contender.values()) {
            assertThat(text).contains("`" + c.id() + "`");
        }
        assertThat(work.resolve("docs/benchmarks")).isDirectoryContaining("glob:**/sequential-p50.png")
                .isDirectoryContaining("glob:**/concurrent-throughput.png").isDirectoryContaining("glob:**/cleanup.png");
    }

    @Test
    void storesAreLeftEmpty() throws Exception {
        try (StoreAccess store = new StoreAccess(target)) {
            for (Contender c : Contender.values()) {
                assertThat(store.count(c)).as("%s sessions left", c).isZero();
            }
        }
        assertThat(Files.exists(work.resolve("data"))).isTrue();
    }
}
