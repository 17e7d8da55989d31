package dev.cloakroom.system;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cloakroom.SessionKey;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 9, items 3 and 9: the demo twice on one store, with no balancer and no stickiness: one visitor's requests go to
 * either instance. What one instance wrote the other reads at once; parallel uploads to both are all counted; a logout
 * on one ends the session on both, and nothing brings it back.
 */
@Tag("server")
@ExtendWith(SharedFleet.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TwoInstancesTest {
    private static final int ALTERNATIONS = 6;
    private static final int PARALLEL = 10;

    private Report report;
    private Fleet fleet;
    private ExecutorService pool;

    private final List<DemoProcess> seconds = new ArrayList<>();

    @BeforeAll
    void start(Fleet shared) {
        report = Report.open("40-two-instances", "Two instances, one store, no balancer (issue 9, items 3 and 9)");
        fleet = shared;
        pool = Executors.newFixedThreadPool(PARALLEL);
    }

    @AfterAll
    void stop() throws InterruptedException {
        pool.shutdownNow();
        for (DemoProcess second : seconds) {
            second.close();
        }
    }

    private static byte[] file(int n) {
        return ("file " + n + " first line\nfile " + n + " second line\n").getBytes(UTF_8);
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void visitorWhenAlternatingBetweenTwoInstancesThenNothingLostNothingResurrectedCounterExact(Store store) throws Exception {
        // the run's shared demo on this store, and a second process on the same namespace
        Fleet.Running first = fleet.on(store);
        StoreProbe probe = first.probe();
        DemoProcess second = fleet.start(probe, 1).get(0);
        seconds.add(second);
        List<DemoProcess> demos = List.of(first.demo(), second);
        int cycles = Mode.iterations(3, 50);
        int requests = 0;
        for (int cycle = 0; cycle < cycles; cycle++) {
            Visitor visitor = new Visitor();
            int uploads = 0;
            for (int i = 0; i < ALTERNATIONS; i++) {
                DemoProcess writer = demos.get(i % 2);
                DemoProcess reader = demos.get((i + 1) % 2);
                assertThat(visitor.upload(writer, "f.txt", file(i)).statusCode()).isEqualTo(303);
                uploads++;
                String page = visitor.get(reader, "/action").body();
                assertThat(page).as("instance %d reads what the other wrote", (i + 1) % 2 + 1)
                        .contains("file&nbsp;" + i + "&nbsp;first&nbsp;line<br>").contains("file&nbsp;" + i + "&nbsp;second&nbsp;line<br>")
                        .contains("Uploads in this session: " + uploads);
                requests += 2;
            }
            String id = visitor.id().orElseThrow();
            SessionKey key = SessionKey.of(id);

            CountDownLatch gate = new CountDownLatch(1);
            List<Future<HttpResponse<String>>> parallel = new ArrayList<>();
            for (int i = 0; i < PARALLEL; i++) {
                DemoProcess target = demos.get(i % 2);
                byte[] content = file(100 + i);
                parallel.add(pool.submit(() -> {
                    gate.await();
                    return visitor.upload(target, "p.txt", content);
                }));
            }
            gate.countDown();
            for (Future<HttpResponse<String>> upload : parallel) {
                assertThat(upload.get(60, TimeUnit.SECONDS).statusCode()).isEqualTo(303);
            }
            uploads += PARALLEL;
            requests += PARALLEL;
            assertThat(probe.attributes(key).get("uploads").asLong()).as("the counter in the store").isEqualTo(uploads);
            for (DemoProcess demo : demos) {
                String page = visitor.get(demo, "/action").body();
                assertThat(page).contains("Uploads in this session: " + uploads);
                long kept = page.lines().filter(l -> l.contains("first&nbsp;line<br>")).count();
                assertThat(kept).as("one whole file").isEqualTo(1);
                requests++;
            }

            String cookie = visitor.cookie().orElseThrow();
            DemoProcess leaving = demos.get(cycle % 2);
            DemoProcess other = demos.get((cycle + 1) % 2);
            assertThat(visitor.logout(leaving).statusCode()).isEqualTo(303);
            assertThat(visitor.cookie()).isEmpty();
            assertThat(probe.record(key)).as("deleted from the store").isEmpty();
            Visitor stale = new Visitor(cookie);
            assertThat(stale.get(other, "/action").body()).as("the other instance")
                    .contains("You have not yet uploaded a file").contains("Uploads in this session: 0");
            assertThat(stale.upload(other, "after.txt", file(999)).statusCode()).isEqualTo(303);
            assertThat(stale.id()).as("a fresh id, not the old one brought back").isPresent().isNotEqualTo(java.util.Optional.of(id));
            assertThat(probe.record(key)).as("never recreated").isEmpty();
            assertThat(probe.attributes(SessionKey.of(stale.id().orElseThrow())).get("uploads").asLong()).isEqualTo(1);
            assertThat(stale.get(leaving, "/action").body()).contains("Uploads in this session: 1");
            requests += 5;
        }
        for (DemoProcess demo : demos) {
            assertThat(demo.isAlive()).isTrue();
        }
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("requests", requests);
        figures.put("store timeout ms", SharedFleet.STORE_TIMEOUT_MS);
        report.record(store, "one visitor alternating between 2 demo processes on one store: " + ALTERNATIONS
                + " uploads each read on the other instance, " + PARALLEL + " parallel uploads split over both, then a "
                + "logout on one and the old cookie on the other", cycles,
                "every read saw the last upload; the counter exact in the store and on both instances; after the logout "
                        + "no record under the old key, the old cookie reads nothing on the other instance and an upload "
                        + "with it gets a fresh id with a count of 1", figures);
    }
}
