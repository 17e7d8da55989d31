package dev.cloakroom.system;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
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
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 9, item 3: one visitor's requests at once. Parallel uploads into one session are all counted and leave one
 * whole file, never lines of two; a logout racing an upload's save leaves the session gone for good.
 */
@Tag("server")
@ExtendWith(SharedFleet.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConcurrencyTest {
    private static final int PARALLEL = 50;
    private static final int LINES = 200;

    private Report report;
    private Fleet fleet;
    private ExecutorService pool;

    @BeforeAll
    void start(Fleet shared) {
        report = Report.open("30-concurrency", "Concurrency in one session (issue 9, item 3)");
        fleet = shared;
        pool = Executors.newFixedThreadPool(PARALLEL + 2);
    }

    @AfterAll
    void stop() {
        pool.shutdownNow();
    }

    /** File {@code n} of a round: {@value #LINES} lines that all name it, so that a mix of two files shows. */
    private static List<String> file(int n) {
        return IntStream.range(0, LINES).mapToObj(line -> "upload " + n + " line " + line).toList();
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void parallelUploadsWhenOneSessionThenEveryUploadCountedAndOneWholeFileKept(Store store) throws Exception {
        Fleet.Running demo = fleet.on(store);
        int rounds = Mode.iterations(2, 20);
        long slowest = 0;
        for (int round = 0; round < rounds; round++) {
            Visitor visitor = new Visitor();
            assertThat(visitor.upload(demo.demo(), "first.txt", "first\n".getBytes(UTF_8)).statusCode()).isEqualTo(303);
            String id = visitor.id().orElseThrow();
            CountDownLatch gate = new CountDownLatch(1);
            List<Future<HttpResponse<String>>> uploads = new ArrayList<>();
            for (int n = 0; n < PARALLEL; n++) {
                byte[] content = (String.join("\n", file(n)) + "\n").getBytes(UTF_8);
                uploads.add(pool.submit(() -> {
                    gate.await();
                    return visitor.upload(demo.demo(), "f.txt", content);
                }));
            }
            long start = System.nanoTime();
            gate.countDown();
            for (Future<HttpResponse<String>> upload : uploads) {
                assertThat(upload.get(60, TimeUnit.SECONDS).statusCode()).isEqualTo(303);
            }
            slowest = Math.max(slowest, (System.nanoTime() - start) / 1_000_000);
            assertThat(visitor.id()).contains(id);

            Map<String, JsonNode> stored = demo.probe().attributes(SessionKey.of(id));
            assertThat(stored.get("uploads").asLong()).as("the counter in the store").isEqualTo(PARALLEL + 1);
            List<String> lines = new ArrayList<>();
            stored.get("file_contents").forEach(line -> lines.add(line.asText()));
            int kept = Integer.parseInt(lines.get(0).split(" ")[1]);
            assertThat(lines).as("one whole file in the store").isEqualTo(file(kept));

            String page = visitor.get(demo.demo(), "/action").body();
            assertThat(page).contains("Uploads in this session: " + (PARALLEL + 1));
            List<String> shown = page.lines().map(String::strip).filter(l -> l.startsWith("upload&nbsp;"))
                    .map(l -> l.replace("&nbsp;", " ").replace("<br>", "")).toList();
            assertThat(shown).as("the page shows that one file, whole").isEqualTo(file(kept));
            assertThat(demo.probe().records()).as("one record for the visitor").containsKey(SessionKey.of(id).value());
        }
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("uploads per round", PARALLEL);
        figures.put("slowest round ms", slowest);
        figures.put("compare-and-set conflicts retried", (long) demo.demo().metric("cloakroom_sessions_update_conflicts_total"));
        figures.put("store timeout ms", SharedFleet.STORE_TIMEOUT_MS);
        report.record(store, PARALLEL + " parallel uploads into one session (after a first one), " + LINES + " lines each",
                rounds, "every upload 303; counter exactly " + (PARALLEL + 1) + " in the store and on the page; the store and "
                        + "the page hold one of the files, whole, never a mix", figures);
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void logoutWhenRacingAnUploadsSaveThenSessionStaysGone(Store store) throws Exception {
        Fleet.Running demo = fleet.on(store);
        int rounds = Mode.iterations(12, 200);
        // a large file: decoding, encoding and writing it keep the upload's save in flight while the logout lands
        byte[] large = ("x".repeat(400 * 1024) + "\n" + "y".repeat(400 * 1024) + "\n").getBytes(UTF_8);
        int uploadLast = 0;
        Map<Integer, Integer> uploadStatuses = new LinkedHashMap<>();
        for (int round = 0; round < rounds; round++) {
            Visitor visitor = new Visitor();
            assertThat(visitor.upload(demo.demo(), "first.txt", "first\n".getBytes(UTF_8)).statusCode()).isEqualTo(303);
            String cookie = visitor.cookie().orElseThrow();
            SessionKey key = SessionKey.of(visitor.id().orElseThrow());
            Visitor uploader = new Visitor(cookie);
            Visitor leaver = new Visitor(cookie);
            long delayMicros = ThreadLocalRandom.current().nextLong(0, 30_000);
            Future<HttpResponse<String>> upload = pool.submit(() -> uploader.upload(demo.demo(), "large.txt", large));
            Future<HttpResponse<String>> logout = pool.submit(() -> {
                TimeUnit.MICROSECONDS.sleep(delayMicros);
                return leaver.logout(demo.demo());
            });
            HttpResponse<String> left = logout.get(60, TimeUnit.SECONDS);
            long logoutDone = System.nanoTime();
            HttpResponse<String> uploaded = upload.get(60, TimeUnit.SECONDS);
            if (System.nanoTime() - logoutDone > 1_000_000) {
                uploadLast++;
            }
            uploadStatuses.merge(uploaded.statusCode(), 1, Integer::sum);
            assertThat(left.statusCode()).isEqualTo(303);
            assertThat(uploaded.statusCode()).as("the upload racing the logout").isIn(303, 409);
            if (uploaded.statusCode() == 409) {
                // its session ended between its load and its write: nothing written, the cookie cleared
                assertThat(uploaded.body()).contains("Your session ended while this request was using it");
                assertThat(uploader.cookie()).isEmpty();
            }
            assertThat(demo.probe().record(key)).as("the logged-out session, round %d", round).isEmpty();
            HttpResponse<String> after = new Visitor(cookie).get(demo.demo(), "/action");
            assertThat(after.body()).contains("You have not yet uploaded a file").contains("Uploads in this session: 0");
            assertThat(demo.probe().record(key)).as("still gone after a read with the old cookie").isEmpty();
        }
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("upload answered after the logout", uploadLast);
        figures.put("upload statuses", uploadStatuses.entrySet().stream().map(e -> e.getKey() + "×" + e.getValue())
                .collect(Collectors.joining(" ")));
        report.record(store, "logout racing an 800 KB upload's save, the logout 0-30 ms after the upload started", rounds,
                "logout 303; the upload 303, or 409 when the logout landed between its load and its write; the session's "
                        + "record gone and never recreated; the old cookie reads nothing; never a 5xx",
                figures);
    }
}
