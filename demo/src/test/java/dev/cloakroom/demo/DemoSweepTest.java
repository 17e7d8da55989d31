package dev.cloakroom.demo;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cloakroom.SessionKey;
import dev.cloakroom.Settings;
import dev.cloakroom.file.FileSessionStore;
import dev.cloakroom.spi.SessionWrite;
import dev.cloakroom.spi.WriteResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo's own cleanup on its default store: the sweeper thread it runs, and {@code java -jar cloakroom-demo.jar
 * sweep} for a cron job ({@link DemoApp#sweepOnce}, what that command runs), with the files checked on disk.
 */
@Tag("unit")
class DemoSweepTest {
    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    Path dir;

    private Map<String, String> settings(String... extra) {
        Map<String, String> values = new HashMap<>(Map.of("PORT", "0", "SESSION_FILE_DIR", dir.toString()));
        for (int i = 0; i < extra.length; i += 2) {
            values.put(extra[i], extra[i + 1]);
        }
        return values;
    }

    // Proves docs/persistence.md#filesystem-deleted
    @Test
    void expiredFileWhenTheDemosOwnSweeperRunsThenGoneWithoutARequestAndALiveOneStays() throws Exception {
        try (DemoApp app = DemoApp.start(Settings.of(settings("PERMANENT_SESSION_LIFETIME", "1", "SESSION_CLEANUP_INTERVAL", "1")))) {
            Browser expiring = new Browser(app.uri());
            expiring.upload("a.txt", "soon gone".getBytes(UTF_8));
            String expired = expiring.cookie().orElseThrow();
            assertThat(sessionFiles(expired)).hasSize(1);
            long uploaded = System.nanoTime();

            // lifetime 1 s, then at most 1.5 sweep intervals; the rest is slack for a loaded machine
            while (!sessionFiles(expired).isEmpty() && System.nanoTime() - uploaded < Duration.ofSeconds(8).toNanos()) {
                Thread.sleep(100);
            }
            System.out.printf("MEASURED expired session file gone %d ms after its upload (lifetime 1000 ms, interval 1 s)%n",
                    Duration.ofNanos(System.nanoTime() - uploaded).toMillis());
            assertThat(sessionFiles(expired)).as("swept with no request for it").isEmpty();

            Browser live = new Browser(app.uri());
            live.upload("b.txt", "still here".getBytes(UTF_8));
            assertThat(sessionFiles(live.cookie().orElseThrow())).hasSize(1);
            assertThat(live.get("/action").body()).contains("still&nbsp;here<br>");
        }
    }

    // Proves docs/persistence.md#filesystem-deleted
    @Test
    void sweepCommandWhenMoreExpiredSessionsThanOneBatchThenAllGoneTheLiveOneKeptAndExitZero() throws Exception {
        int expired = 520; // the sweeper deletes in batches of 500
        Instant past = Instant.now().minus(Duration.ofHours(2));
        try (FileSessionStore store = FileSessionStore.builder(dir).build()) {
            for (int i = 0; i < expired; i++) {
                SessionWrite write = new SessionWrite(randomKey(), true, Map.of("file_contents", "[\"old\"]"), Set.of(), past, past,
                        Duration.ofMinutes(30), past.plus(Duration.ofMinutes(30)), SessionWrite.ANY_VERSION, past, SessionWrite.NO_SIZE_LIMIT);
                assertThat(store.write(write)).isEqualTo(WriteResult.WRITTEN);
            }
        }
        String live;
        try (DemoApp app = DemoApp.start(Settings.of(settings("SESSION_SWEEPER", "false")))) {
            Browser browser = new Browser(app.uri());
            browser.upload("b.txt", "still here".getBytes(UTF_8));
            live = browser.cookie().orElseThrow();
        }
        assertThat(recordFiles()).hasSize(expired + 1);

        assertThat(DemoApp.sweepOnce(Settings.of(settings("SESSION_SWEEPER", "false")))).isZero();

        assertThat(recordFiles()).containsExactlyElementsOf(sessionFiles(live));
    }

    // Proves docs/persistence.md#filesystem-deleted
    @Test
    void sweepCommandWhenASettingIsWrongOrTheFolderUnusableThenNonZeroAndNothingDeleted() throws Exception {
        assertThat(DemoApp.sweepOnce(Settings.of(settings("PERMANENT_SESSION_LIFETIME", "0")))).as("a wrong setting").isEqualTo(2);

        Path notAFolder = Files.writeString(dir.resolve("a-file"), "not a folder");
        assertThat(DemoApp.sweepOnce(Settings.of(Map.of("SESSION_FILE_DIR", notAFolder.toString())))).as("an unusable folder")
                .isEqualTo(1);
        assertThat(notAFolder).hasContent("not a folder");
    }

    private List<Path> recordFiles() throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).filter(f -> SessionKey.isKey(f.getFileName().toString())).sorted().toList();
        }
    }

    private List<Path> sessionFiles(String rawId) throws IOException {
        String name = SessionKey.of(rawId).value();
        return recordFiles().stream().filter(f -> f.getFileName().toString().equals(name)).toList();
    }

    private static SessionKey randomKey() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return new SessionKey("v1" + HexFormat.of().formatHex(bytes));
    }
}
