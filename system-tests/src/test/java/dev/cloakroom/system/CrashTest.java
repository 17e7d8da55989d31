package dev.cloakroom.system;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cloakroom.SessionKey;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 9, item 4: {@code kill -9} of the demo process at a random moment while several visitors upload as fast as they
 * can, over and over on the same sessions. The clients know which uploads were acknowledged (a 303); after each kill
 * the store is read directly, and each session must hold its last acknowledged upload, or the one that was in flight
 * when the process died, each complete (its lines and its count written together), never a mix, never anything else.
 * The filesystem store must hold no torn or foreign file; the temp files that the kills left must be gone after the
 * next sweep; every new process must start cleanly and serve the same cookies.
 */
@Tag("server")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CrashTest {
    private static final int VISITORS = 6;
    private static final int LINES = 30;
    /**
     * A kill comes this long after the new process acknowledged its first {@link #VISITORS} uploads (its pool and
     * caches warm, the writes flowing), uniformly at random.
     */
    private static final int MAX_KILL_MILLIS = 800;
    private static final Pattern LOGGED_PROBLEM = Pattern.compile("(?m)^\\S+ \\S+ (WARN|ERROR) ");
    private static final Pattern TEMP_FILE = Pattern.compile("\\.v1[0-9a-f]{64}\\.[0-9a-f]{16}\\.tmp");
    private static final String SWEEPS = "cloakroom_store_calls_seconds_count{operation=\"sweep\"}";

    private Report report;
    private ExecutorService pool;

    @BeforeAll
    void open() {
        report = Report.open("50-crash", "Crash: kill -9 of the demo in the middle of writes (issue 9, item 4)");
        pool = Executors.newFixedThreadPool(VISITORS);
    }

    @AfterAll
    void close() {
        pool.shutdownNow();
    }

    /** 100 kills on the filesystem store in every mode; on the others 10 in the CI mode (its time budget), 100 in the long one. */
    private static int kills(Store store) {
        return store == Store.FILESYSTEM ? 100 : Mode.iterations(10, 100);
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void killDuringUploadsThenEachSessionHoldsItsAcknowledgedOrItsInFlightUploadCompleteAndTheAppRestartsCleanly(Store store)
            throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        int kills = kills(store);
        try (StoreProbe probe = store.open("crash")) {
            // The first process records the classes it loads in a CDS archive at exit, which every later one maps:
            // a hundred starts take much less time that way, and start the same program.
            Path classes = Path.of(System.getProperty("demo.work", "target/demo-work")).toAbsolutePath()
                    .resolve("crash-" + store.name().toLowerCase() + ".jsa");
            Files.createDirectories(classes.getParent());
            Files.deleteIfExists(classes);
            List<Writer> writers = new ArrayList<>();
            Latencies starts = new Latencies();
            try (DemoProcess first = start(launch(probe, store, "-XX:ArchiveClassesAtExit=" + classes), starts)) {
                for (int n = 0; n < VISITORS; n++) {
                    Writer writer = new Writer(n);
                    writer.uploadOnce(first);
                    writers.add(writer);
                }
                first.stop();
                assertClean(first);
            }
            DemoProcess.Launch launch = Files.exists(classes)
                    ? launch(probe, store, "-XX:SharedArchiveFile=" + classes) : launch(probe, store, "-Xshare:auto");
            Set<String> keys = writers.stream().map(w -> w.key().value()).collect(Collectors.toCollection(TreeSet::new));
            Tally tally = new Tally();
            Set<String> tempFilesLeft = new TreeSet<>();
            for (int kill = 1; kill <= kills; kill++) {
                DemoProcess demo = start(launch, starts);
                AtomicBoolean killed = new AtomicBoolean();
                AtomicInteger acknowledged = new AtomicInteger();
                List<Future<?>> load = new ArrayList<>();
                for (Writer writer : writers) {
                    load.add(pool.submit(() -> {
                        writer.uploadUntilKilled(demo, killed, acknowledged);
                        return null;
                    }));
                }
                awaitFlowing(acknowledged, load);
                Thread.sleep(random.nextInt(MAX_KILL_MILLIS + 1));
                killed.set(true);
                demo.kill();
                for (Future<?> writes : load) {
                    writes.get(60, TimeUnit.SECONDS);
                }
                assertThat(LOGGED_PROBLEM.matcher(demo.log()).find()).as("a warning or error in the log of " + demo).isFalse();

                assertThat(probe.records().keySet()).as("the sessions in the store after kill " + kill).isEqualTo(keys);
                for (Writer writer : writers) {
                    writer.checkStored(probe, tally);
                }
                if (probe instanceof FileProbe files) {
                    tempFilesLeft.addAll(tempFiles(files));
                }
            }

            // The next process, with no load: its first sweep must take every temp file the kills left.
            int tempFilesAfterSweep;
            try (DemoProcess last = start(launch, starts)) {
                awaitFirstSweep(last);
                tempFilesAfterSweep = probe instanceof FileProbe files ? tempFiles(files).size() : 0;
                assertThat(tempFilesAfterSweep).as("temp files left after the first sweep").isZero();
                for (Writer writer : writers) {
                    writer.checkServed(last);
                }
                last.stop();
                assertClean(last);
            }

            Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("kills", kills);
            figures.put("visitors", VISITORS);
            figures.put("acknowledged uploads", tally.acknowledged(writers));
            figures.put("in flight at a kill", tally.inFlight);
            figures.put("of them stored", tally.inFlightStored);
            figures.put("of them not stored", tally.inFlight - tally.inFlightStored);
            figures.put("acknowledged but missing", 0);
            if (store == Store.FILESYSTEM) {
                figures.put("temp files left by the kills", tempFilesLeft.size());
                figures.put("left after the next sweep", tempFilesAfterSweep);
            }
            figures.put("start p50 ms", starts.p50());
            figures.put("start max ms", starts.max());
            figures.put("seed", seed);
            report.record(store, "kill -9 at a random moment 0-0.8 s after the first " + VISITORS + " uploads of a new process, "
                            + VISITORS + " visitors uploading (file lines and upload count, one write) as fast as they can; "
                            + "read the store; start again",
                    kills, "every session held its last acknowledged upload or the one in flight, complete; "
                            + (store == Store.FILESYSTEM ? "no torn or foreign file; no temp file after the next sweep; " : "")
                            + "every start clean (no warning or error logged), the same cookies served",
                    figures);
        }
    }

    /** The demo on the probe's store, sweeping every second, compiling with C1 only (a short run on a busy machine). */
    private static DemoProcess.Launch launch(StoreProbe probe, Store store, String classDataOption) {
        return DemoProcess.on(probe).name("crash-" + store.name().toLowerCase()).with("SESSION_CLEANUP_INTERVAL", "1")
                .jvm("-XX:TieredStopAtLevel=1").jvm(classDataOption);
    }

    private static DemoProcess start(DemoProcess.Launch launch, Latencies starts) throws IOException, InterruptedException {
        long started = System.nanoTime();
        DemoProcess demo = launch.start();
        starts.add(System.nanoTime() - started);
        return demo;
    }

    /** Waits until the load has {@link #VISITORS} acknowledged uploads, or one of its writers failed. */
    private static void awaitFlowing(AtomicInteger acknowledged, List<Future<?>> load) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (acknowledged.get() < VISITORS) {
            for (Future<?> writes : load) {
                if (writes.isDone()) {
                    writes.get(); // throws what failed it
                }
            }
            assertThat(System.nanoTime()).as("the first uploads acknowledged within 60 s").isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    private static void assertClean(DemoProcess demo) throws IOException {
        assertThat(LOGGED_PROBLEM.matcher(demo.log()).find()).as("a warning or error in the log of " + demo).isFalse();
    }

    private static void awaitFirstSweep(DemoProcess demo) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (demo.metric(SWEEPS) < 1) {
            assertThat(System.nanoTime()).as("a sweep within 15 s at SESSION_CLEANUP_INTERVAL=1").isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    /**
     * The temp files in the store's folder; fails on any file that is neither a complete record (the key it is named
     * after, readable as a whole), a temp file, nor the lock file.
     */
    private static List<String> tempFiles(FileProbe files) throws IOException {
        List<String> temps = new ArrayList<>();
        for (Path file : files.files()) {
            String name = file.getFileName().toString();
            String relative = files.dir().relativize(file).toString();
            if (TEMP_FILE.matcher(name).matches()) {
                temps.add(relative);
            } else if (SessionKey.isKey(name)) {
                JsonNode record = StoreProbe.JSON.readTree(Files.readString(file, UTF_8));
                assertThat(record.path("key").asText()).as("the key inside " + relative).isEqualTo(name);
                assertThat(record.path("attributes").isObject()).as("the attributes of " + relative).isTrue();
            } else {
                assertThat(relative).as("a file that is neither a record nor a temp file").isEqualTo(".cloakroom/lock");
            }
        }
        return temps;
    }

    /** What the kills did to the uploads in flight. */
    private static final class Tally {
        int inFlight;
        int inFlightStored;

        long acknowledged(List<Writer> writers) {
            return writers.stream().mapToLong(w -> w.acknowledged).sum();
        }
    }

    /**
     * One visitor uploading: upload number {@code a} of visitor {@code n} is a file whose lines name both, so that what
     * the store holds says which upload it is and whether it is whole.
     */
    private static final class Writer {
        private final int number;
        private final Visitor visitor = new Visitor();
        private String id;
        private int nextAttempt = 1;
        /** The upload the store holds as far as this client knows: its last acknowledged, or found stored after a kill. */
        private int stored;
        private long storedCount;
        /** The upload sent and not answered when the process died, or 0. */
        private int inFlight;
        private long acknowledged;

        Writer(int number) {
            this.number = number;
        }

        SessionKey key() {
            return SessionKey.of(id);
        }

        static List<String> lines(int visitor, int attempt) {
            List<String> lines = new ArrayList<>();
            lines.add("visitor " + visitor + " upload " + attempt);
            for (int i = 1; i < LINES; i++) {
                lines.add("line " + i + " of upload " + attempt + " by visitor " + visitor + " " + "x".repeat(40));
            }
            return lines;
        }

        void uploadOnce(DemoProcess demo) throws IOException, InterruptedException {
            assertThat(upload(demo)).isTrue();
            id = visitor.id().orElseThrow();
        }

        void uploadUntilKilled(DemoProcess demo, AtomicBoolean killed, AtomicInteger acknowledged)
                throws IOException, InterruptedException {
            while (true) {
                try {
                    upload(demo);
                    acknowledged.incrementAndGet();
                } catch (IOException e) {
                    if (killed.get()) {
                        return;
                    }
                    throw e;
                }
                if (killed.get()) {
                    return;
                }
            }
        }

        /** One upload; true once acknowledged. An exception leaves it in flight. */
        private boolean upload(DemoProcess demo) throws IOException, InterruptedException {
            int attempt = nextAttempt++;
            inFlight = attempt;
            byte[] file = (String.join("\n", lines(number, attempt)) + "\n").getBytes(UTF_8);
            HttpResponse<String> response = visitor.upload(demo, "upload-" + attempt + ".txt", file);
            assertThat(response.statusCode()).as("upload " + attempt + " of visitor " + number).isEqualTo(303);
            stored = attempt;
            storedCount++;
            inFlight = 0;
            acknowledged++;
            return true;
        }

        /** The session as stored must be the known upload, or the one in flight, complete; it becomes the known one. */
        void checkStored(StoreProbe probe, Tally tally) throws Exception {
            assertThat(visitor.id()).as("visitor " + number + "'s session id").contains(id);
            Map<String, JsonNode> attributes = probe.attributes(key());
            assertThat(attributes).as("visitor " + number + "'s session").containsOnlyKeys("file_contents", "uploads");
            List<String> lines = new ArrayList<>();
            attributes.get("file_contents").forEach(line -> lines.add(line.asText()));
            long count = attributes.get("uploads").asLong();
            String expected = "upload " + stored + " (count " + storedCount + ")"
                    + (inFlight == 0 ? "" : " or upload " + inFlight + " (count " + (storedCount + 1) + ")");
            boolean isKnown = lines.equals(lines(number, stored)) && count == storedCount;
            boolean isInFlight = inFlight != 0 && lines.equals(lines(number, inFlight)) && count == storedCount + 1;
            assertThat(isKnown || isInFlight).as("visitor " + number + "'s session holds " + expected + ", not "
                    + (lines.isEmpty() ? "no lines" : lines.get(0) + " (" + lines.size() + " lines)") + " with count " + count)
                    .isTrue();
            if (inFlight != 0) {
                tally.inFlight++;
                if (isInFlight) {
                    tally.inFlightStored++;
                    stored = inFlight;
                    storedCount++;
                }
                inFlight = 0;
            }
        }

        /** The new process serves the session as stored. */
        void checkServed(DemoProcess demo) throws IOException, InterruptedException {
            HttpResponse<String> page = visitor.get(demo, "/action");
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).contains(("visitor " + number + " upload " + stored).replace(" ", "&nbsp;") + "<br>")
                    .contains("Uploads in this session: " + storedCount);
            assertThat(visitor.id()).contains(id);
        }
    }
}
