package dev.cloakroom.demo;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cloakroom.file.FileSessionStore;
import dev.cloakroom.SessionKey;
import dev.cloakroom.Settings;
import dev.cloakroom.spi.RecordPage;
import dev.cloakroom.spi.SessionRecord;
import dev.cloakroom.spi.SessionStore;
import dev.cloakroom.spi.SessionWrite;
import dev.cloakroom.spi.WriteResult;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Disk trouble under the demo's default store, made real on the file system: the session folder, or the shard folder
 * of one session, replaced by a regular file while the app runs (permission bits would not stop a test running as
 * root). The demo answers 503 at once, and the same cookie works again once the folder is back. A store failing in a way
 * nobody planned for (here: a store already closed) gives the 500 page, without a stack trace.
 */
@Tag("unit")
class FileStoreOutageDemoTest {
    @TempDir
    Path root;

    private Path sessions() {
        return root.resolve("sessions");
    }

    private DemoApp start() {
        return DemoApp.start(Settings.of(Map.of("PORT", "0", "SESSION_FILE_DIR", sessions().toString())));
    }

    @Test
    void requestsWhenSessionFolderReplacedByAFileThen503AndTheSameCookieWorksWhenTheFolderIsBack() throws Exception {
        try (DemoApp app = start()) {
            Browser browser = new Browser(app.uri());
            assertThat(browser.upload("a.txt", "kept on disk".getBytes(UTF_8)).statusCode()).isIn(302, 303);
            String cookie = browser.cookie().orElseThrow();

            Path aside = root.resolve("sessions-aside");
            Files.move(sessions(), aside);
            Files.writeString(sessions(), "not a folder");
            try {
                Outages.Timed action = Outages.timed("filesystem folder replaced: GET /action", () -> browser.get("/action"));
                Outages.assertUnavailableWithinBound(action);
                Outages.Timed upload = Outages.timed("filesystem folder replaced: POST / (upload)",
                        () -> browser.upload("b.txt", "never stored".getBytes(UTF_8)));
                Outages.assertUnavailableWithinBound(upload);
                assertThat(browser.cookie()).contains(cookie);
            } finally {
                Files.delete(sessions());
                Files.move(aside, sessions());
            }

            HttpResponse<String> back = Outages.awaitServed("filesystem folder back", browser, "/action");
            assertThat(back.body()).contains("kept&nbsp;on&nbsp;disk<br>").doesNotContain("never")
                    .contains("Uploads in this session: 1");
            assertThat(browser.upload("c.txt", "after the trouble".getBytes(UTF_8)).statusCode()).isIn(302, 303);
            assertThat(browser.get("/action").body()).contains("after&nbsp;the&nbsp;trouble<br>")
                    .contains("Uploads in this session: 2");
            assertThat(browser.cookie()).contains(cookie);
        }
    }

    @Test
    void actionWhenTheSessionsShardReplacedByAFileThen503AndTheSameCookieWorksWhenTheShardIsBack() throws Exception {
        try (DemoApp app = start()) {
            Browser browser = new Browser(app.uri());
            assertThat(browser.upload("a.txt", "in a shard".getBytes(UTF_8)).statusCode()).isIn(302, 303);
            String cookie = browser.cookie().orElseThrow();
            Path shard = sessionFile(cookie).getParent();
            assertThat(shard.getParent()).isEqualTo(sessions());

            Path aside = root.resolve("shard-aside");
            Files.move(shard, aside);
            Files.writeString(shard, "not a folder");
            try {
                Outages.Timed action = Outages.timed("filesystem shard replaced: GET /action", () -> browser.get("/action"));
                Outages.assertUnavailableWithinBound(action);
                Outages.Timed upload = Outages.timed("filesystem shard replaced: POST / (upload)",
                        () -> browser.upload("b.txt", "never stored".getBytes(UTF_8)));
                Outages.assertUnavailableWithinBound(upload);
            } finally {
                Files.delete(shard);
                Files.move(aside, shard);
            }

            HttpResponse<String> back = Outages.awaitServed("filesystem shard back", browser, "/action");
            assertThat(back.body()).contains("in&nbsp;a&nbsp;shard<br>").doesNotContain("never")
                    .contains("Uploads in this session: 1");
            assertThat(browser.cookie()).contains(cookie);
        }
    }

    @Test
    void actionWhenTheStoreFailsUnexpectedlyThenErrorPageWithTheHeadersAndNoStackTrace() throws Exception {
        FileSessionStore files = FileSessionStore.builder(sessions()).build();
        BuggyStore store = new BuggyStore(files);
        try (DemoApp app = DemoApp.start(Settings.of(Map.of("PORT", "0")), store)) {
            Browser browser = new Browser(app.uri());
            assertThat(browser.upload("a.txt", "x".getBytes(UTF_8)).statusCode()).isIn(302, 303);

            // A bug, not an outage: the store throws what no store may throw.
            store.broken = true;
            HttpResponse<String> failed = browser.get("/action");

            assertThat(failed.statusCode()).isEqualTo(500);
            SecurityHeaders.assertOn(failed);
            assertThat(Browser.sessionCookies(failed)).isEmpty();
            assertThat(failed.body()).contains("Something went wrong").doesNotContain(BuggyStore.MESSAGE)
                    .doesNotContain("IllegalStateException").doesNotContain("at dev.cloakroom").doesNotContain(root.toString());
        }
    }

    @Test
    void actionWhenTheStoreWasClosedUnderTheAppThen503AndNoCookie() throws Exception {
        FileSessionStore store = FileSessionStore.builder(sessions()).build();
        try (DemoApp app = DemoApp.start(Settings.of(Map.of("PORT", "0")), store)) {
            Browser browser = new Browser(app.uri());
            assertThat(browser.upload("a.txt", "x".getBytes(UTF_8)).statusCode()).isIn(302, 303);

            store.close();
            HttpResponse<String> failed = browser.get("/action");

            assertThat(failed.statusCode()).isEqualTo(503);
            assertThat(failed.headers().firstValue("Retry-After")).isPresent();
            assertThat(Browser.sessionCookies(failed)).isEmpty();
        }
    }

    /** The file store, until a test makes its loads fail as a bug would: with an exception no store may throw. */
    private static final class BuggyStore implements SessionStore {
        static final String MESSAGE = "a bug in the store";
        private final SessionStore store;
        volatile boolean broken;

        BuggyStore(SessionStore store) {
            this.store = store;
        }

        @Override
        public Optional<SessionRecord> load(SessionKey key) {
            if (broken) {
                throw new IllegalStateException(MESSAGE);
            }
            return store.load(key);
        }

        @Override
        public WriteResult write(SessionWrite write) {
            return store.write(write);
        }

        @Override
        public boolean delete(SessionKey key) {
            return store.delete(key);
        }

        @Override
        public RecordPage list(String cursor, int limit) {
            return store.list(cursor, limit);
        }

        @Override
        public int sweep(Instant now, int limit, Consumer<SessionRecord> deleted) {
            return store.sweep(now, limit, deleted);
        }

        @Override
        public String describe() {
            return "buggy " + store.describe();
        }

        @Override
        public void close() {
            store.close();
        }
    }

    /** The one file of {@code rawId}'s session: its name carries the digest of the hashed key. */
    private Path sessionFile(String rawId) throws IOException {
        String digest = SessionKey.of(rawId).value().substring(2);
        try (Stream<Path> walk = Files.walk(sessions())) {
            List<Path> files = walk.filter(Files::isRegularFile).filter(f -> f.getFileName().toString().contains(digest)).toList();
            assertThat(files).hasSize(1);
            return files.get(0);
        }
    }
}
