package dev.cloakroom.demo;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cloakroom.SessionKey;
import dev.cloakroom.Settings;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo on its default store, the filesystem, as the seed ran it: one file per session, named by the hashed key. */
@Tag("unit")
class FileStoreDemoTest {
    @TempDir
    Path dir;

    private DemoApp start(String... extra) {
        Map<String, String> values = new java.util.HashMap<>(Map.of("PORT", "0", "SESSION_FILE_DIR", dir.toString()));
        for (int i = 0; i < extra.length; i += 2) {
            values.put(extra[i], extra[i + 1]);
        }
        return DemoApp.start(Settings.of(values));
    }

    // Proves docs/persistence.md#filesystem-layout
    @Test
    void uploadWhenTwoBrowsersThenOneFilePerSessionNamedByHashedKeyNeverByRawId() throws Exception {
        try (DemoApp app = start()) {
            Browser first = new Browser(app.uri());
            Browser second = new Browser(app.uri());
            first.upload("a.txt", "first visitor".getBytes(UTF_8));
            first.upload("b.txt", "first visitor again".getBytes(UTF_8));
            second.upload("c.txt", "second visitor".getBytes(UTF_8));
            assertThat(second.get("/action").body()).contains("second&nbsp;visitor<br>");

            String firstId = first.cookie().orElseThrow();
            String secondId = second.cookie().orElseThrow();
            assertThat(sessionFiles(firstId)).hasSize(1);
            assertThat(sessionFiles(secondId)).hasSize(1);
            assertThat(sessionFiles(firstId)).doesNotContainAnyElementsOf(sessionFiles(secondId));
            for (Path file : allFiles()) {
                String relative = dir.relativize(file).toString();
                assertThat(relative).doesNotContain(firstId).doesNotContain(secondId);
                String content = Files.readString(file, java.nio.charset.StandardCharsets.ISO_8859_1);
                assertThat(content).doesNotContain(firstId).doesNotContain(secondId);
            }
        }
    }

    @Test
    void badUploadsWhenSessionExistsThenItsFileIsUnchanged() throws Exception {
        try (DemoApp app = start("MAX_CONTENT_LENGTH", "4096")) {
            Browser browser = new Browser(app.uri());
            browser.upload("a.txt", "kept line".getBytes(UTF_8));
            List<Path> files = sessionFiles(browser.cookie().orElseThrow());
            assertThat(files).hasSize(1);
            byte[] before = Files.readAllBytes(files.get(0));
            var modified = Files.getLastModifiedTime(files.get(0));

            assertThat(browser.upload("", new byte[0]).body()).contains("No file was chosen");
            assertThat(browser.postFormWithoutFile().body()).contains("No file was chosen");
            assertThat(browser.upload("bin.dat", new byte[] {(byte) 0xFF, (byte) 0xFE, 0, 1}).statusCode()).isEqualTo(400);
            assertThat(browser.upload("big.txt", new byte[10_000]).statusCode()).isEqualTo(413);
            assertThat(browser.uploadChunked("big.txt", new byte[10_000]).statusCode()).isEqualTo(413);

            assertThat(sessionFiles(browser.cookie().orElseThrow())).containsExactlyElementsOf(files);
            assertThat(Files.readAllBytes(files.get(0))).isEqualTo(before);
            assertThat(Files.getLastModifiedTime(files.get(0))).isEqualTo(modified);
            assertThat(browser.get("/action").body()).contains("kept&nbsp;line<br>").contains("Uploads in this session: 1");
        }
    }

    @Test
    void uploadWhenTwentyInParallelOnFilesThenEveryUploadCountedInOneFile() throws Exception {
        try (DemoApp app = start()) {
            Browser browser = new Browser(app.uri());
            browser.upload("first.txt", "first".getBytes(UTF_8));
            int parallel = 20;
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(parallel);
            try {
                java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
                List<java.util.concurrent.Future<Integer>> statuses = new java.util.ArrayList<>();
                for (int i = 0; i < parallel; i++) {
                    int n = i;
                    statuses.add(pool.submit(() -> {
                        go.await();
                        return browser.upload("f" + n + ".txt", ("file " + n).getBytes(UTF_8)).statusCode();
                    }));
                }
                go.countDown();
                for (java.util.concurrent.Future<Integer> status : statuses) {
                    assertThat(status.get(60, java.util.concurrent.TimeUnit.SECONDS)).isIn(302, 303);
                }
            } finally {
                pool.shutdownNow();
            }

            assertThat(browser.get("/action").body()).contains("Uploads in this session: " + (1 + parallel));
            assertThat(sessionFiles(browser.cookie().orElseThrow())).hasSize(1);
        }
    }

    // Proves docs/persistence.md#filesystem-max-sessions
    @Test
    void uploadWhenSessionMaxSessionsReachedThenNewVisitorGets503AndNoFile() throws Exception {
        try (DemoApp app = start("SESSION_MAX_SESSIONS", "1")) {
            Browser first = new Browser(app.uri());
            first.upload("a.txt", "first".getBytes(UTF_8));
            Browser second = new Browser(app.uri());

            HttpResponse<String> refused = second.upload("b.txt", "second".getBytes(UTF_8));

            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(second.cookie()).isEmpty();
            assertThat(allFiles().stream().filter(f -> SessionKey.isKey(f.getFileName().toString()))).hasSize(1);
            assertThat(first.get("/action").body()).contains("first<br>");
        }
    }

    @Test
    void logsWhenServingThenStartLineNamesStoreAndNoLineHoldsARawId() throws Exception {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream original = System.err;
        System.setErr(new PrintStream(new Tee(original, captured), true, UTF_8));
        String id;
        try (DemoApp app = start("PERMANENT_SESSION_LIFETIME", "600")) {
            Browser browser = new Browser(app.uri());
            browser.upload("a.txt", "x".getBytes(UTF_8));
            browser.upload("b.txt", new byte[] {(byte) 0xC3});
            browser.get("/action");
            browser.get("/missing");
            id = browser.cookie().orElseThrow();
        } finally {
            System.setErr(original);
        }
        String log = captured.toString(UTF_8);
        assertThat(log).contains("listening on http://127.0.0.1:").contains(dir.toAbsolutePath().toString())
                .contains("idle lifetime 600 s");
        assertThat(log).doesNotContain(id);
    }

    // Proves docs/persistence.md#filesystem-deleted
    @Test
    void expiredFileWhenTheSweeperIsOffThenItStaysUntilTheSweepCommandRemovesIt() throws Exception {
        String[] settings = {"PERMANENT_SESSION_LIFETIME", "1", "SESSION_CLEANUP_INTERVAL", "1", "SESSION_SWEEPER", "false"};
        String id;
        try (DemoApp app = start(settings)) {
            Browser expiring = new Browser(app.uri());
            expiring.upload("a.txt", "soon gone".getBytes(UTF_8));
            id = expiring.cookie().orElseThrow();
            Browser live = new Browser(app.uri());
            Thread.sleep(2_600);
            live.upload("b.txt", "still here".getBytes(UTF_8));

            assertThat(sessionFiles(id)).as("no sweeper ran in the app").hasSize(1);
            assertThat(expiring.get("/action").body()).contains("You have not yet uploaded a file");

            Map<String, String> values = new java.util.HashMap<>(Map.of("SESSION_FILE_DIR", dir.toString()));
            for (int i = 0; i < settings.length; i += 2) {
                values.put(settings[i], settings[i + 1]);
            }
            assertThat(DemoApp.sweepOnce(Settings.of(values))).isZero();

            assertThat(sessionFiles(id)).isEmpty();
            assertThat(sessionFiles(live.cookie().orElseThrow())).hasSize(1);
            assertThat(live.get("/action").body()).contains("still&nbsp;here<br>");
        }
    }

    private List<Path> allFiles() throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).sorted().toList();
        }
    }

    /** Files whose name carries the digest of {@code rawId}'s key (the store's layout may shard into subfolders). */
    private List<Path> sessionFiles(String rawId) throws IOException {
        String digest = SessionKey.of(rawId).value().substring(2);
        return allFiles().stream().filter(f -> f.getFileName().toString().contains(digest)).toList();
    }

    /** Writes to two streams: the test's output stays visible while it is checked. */
    private static final class Tee extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        Tee(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }
    }
}
