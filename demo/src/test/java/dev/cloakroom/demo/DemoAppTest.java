package dev.cloakroom.demo;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cloakroom.memory.MemorySessionStore;
import dev.cloakroom.SessionKey;
import dev.cloakroom.spi.SessionRecord;
import dev.cloakroom.Settings;
import dev.cloakroom.testkit.RecordingStore;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The demo over real HTTP on the memory store, which the tests can inspect; file-store specifics are in {@link FileStoreDemoTest}. */
@Tag("unit")
class DemoAppTest {
    private final List<DemoApp> apps = new ArrayList<>();
    private RecordingStore store;

    @AfterEach
    void stop() {
        apps.forEach(DemoApp::close);
    }

    private DemoApp start(String... settings) {
        Map<String, String> values = new HashMap<>(Map.of("PORT", "0", "SESSION_TYPE", "memory"));
        for (int i = 0; i < settings.length; i += 2) {
            values.put(settings[i], settings[i + 1]);
        }
        // the store SessionStores would build from these settings, kept here so that tests can look into it
        store = new RecordingStore(new MemorySessionStore(
                Long.parseLong(values.getOrDefault("SESSION_MAX_SESSIONS", String.valueOf(Long.MAX_VALUE)))));
        DemoApp app = DemoApp.start(Settings.of(values), store);
        apps.add(app);
        return app;
    }

    private Browser browser(DemoApp app) {
        return new Browser(app.uri());
    }

    private SessionRecord stored(Browser browser) {
        SessionKey key = SessionKey.of(browser.cookie().orElseThrow());
        return store.snapshot().stream().filter(r -> r.key().equals(key)).findFirst().orElseThrow();
    }

    // Proves docs/persistence.md#filesystem-written
    @Test
    void greetingWhenFirstVisitThenFormAndExperimentTextAndNoCookie() throws Exception {
        Browser browser = browser(start());

        HttpResponse<String> page = browser.get("/");

        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body())
                .contains("<title>Experimental Greeting</title>")
                .contains("<h1>Upload text file</h1>")
                .contains("<form method='POST' enctype=\"multipart/form-data\">")
                .contains("<input type='file' name='textfile'>")
                .contains("<input type='submit' value='Upload'>")
                .contains("This is an experiment. Upload the text file whose contents you want displayed.")
                .contains("go to the <a href=\"/action\">Action page</a>")
                .doesNotContain("Thank you for uploading");
        assertThat(Browser.sessionCookies(page)).isEmpty();
        assertThat(store.snapshot()).isEmpty();
        SecurityHeaders.assertOn(page);
    }

    @Test
    void uploadWhenTextFileThenRedirectToActionWhichListsEscapedLinesWithNbsp() throws Exception {
        Browser browser = browser(start());

        HttpResponse<String> posted = browser.upload("notes.txt",
                "first line\n  two  spaces\n<script>alert('x')</script> & \"q\"\n".getBytes(UTF_8));

        assertThat(posted.statusCode()).isIn(302, 303);
        assertThat(posted.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/action"));
        assertThat(browser.cookie()).isPresent();
        SecurityHeaders.assertOn(posted);

        HttpResponse<String> action = browser.get("/action");
        assertThat(action.statusCode()).isEqualTo(200);
        assertThat(action.body())
                .contains("<title>This is what you asked for!</title>")
                .contains("Go back to the <a href=\"/\">upload page</a>.")
                .contains("<h3>The file contents are:</h3>")
                .contains("first&nbsp;line<br>")
                .contains("&nbsp;&nbsp;two&nbsp;&nbsp;spaces<br>")
                .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&nbsp;&amp;&nbsp;&quot;q&quot;<br>")
                .doesNotContain("<script>")
                .doesNotContain("You have not yet uploaded a file")
                .contains("Uploads in this session: 1");
        SecurityHeaders.assertOn(action);

        HttpResponse<String> greeting = browser.get("/");
        assertThat(greeting.body())
                .contains("Thank you for uploading a file. See the contents of your previous upload <a href=\"/action\">here</a>")
                .doesNotContain("This is an experiment.");
    }

    @Test
    void actionWhenPostedThenSameAsGet() throws Exception {
        Browser browser = browser(start());
        browser.upload("a.txt", "hello world".getBytes(UTF_8));

        HttpResponse<String> action = browser.post("/action");

        assertThat(action.statusCode()).isEqualTo(200);
        assertThat(action.body()).contains("hello&nbsp;world<br>");
    }

    @Test
    void actionWhenSecondBrowserWithoutCookieThenNothingUploadedAndOwnSession() throws Exception {
        DemoApp app = start();
        Browser first = browser(app);
        first.upload("a.txt", "mine".getBytes(UTF_8));
        Browser second = browser(app);

        HttpResponse<String> page = second.get("/action");

        assertThat(page.body()).contains("<p>You have not yet uploaded a file</p>").doesNotContain("mine")
                .contains("Uploads in this session: 0");
        assertThat(Browser.sessionCookies(page)).as("reading creates no session").isEmpty();

        second.upload("b.txt", "yours".getBytes(UTF_8));
        assertThat(second.cookie()).isPresent().isNotEqualTo(first.cookie());
        assertThat(second.get("/action").body()).contains("yours<br>").doesNotContain("mine");
        assertThat(first.get("/action").body()).contains("mine<br>").doesNotContain("yours");
        assertThat(store.snapshot()).hasSize(2);
    }

    @Test
    void uploadWhenSecondFileThenReplacesLinesAndCountsTwo() throws Exception {
        Browser browser = browser(start());
        browser.upload("a.txt", "old".getBytes(UTF_8));
        String cookie = browser.cookie().orElseThrow();

        browser.upload("b.txt", "new".getBytes(UTF_8));

        assertThat(browser.cookie()).contains(cookie);
        assertThat(browser.get("/action").body()).contains("new<br>").doesNotContain("old<br>")
                .contains("Uploads in this session: 2");
    }

    @Test
    void logoutWhenSessionHoldsUploadThenDeletedCookieClearedAndOldCookieSeesNothing() throws Exception {
        Browser browser = browser(start());
        browser.upload("a.txt", "kept".getBytes(UTF_8));
        String cookie = browser.cookie().orElseThrow();
        assertThat(store.snapshot()).hasSize(1);

        HttpResponse<String> logout = browser.post("/logout");

        assertThat(logout.statusCode()).isEqualTo(303);
        assertThat(logout.headers().firstValue("Location")).contains("/");
        assertThat(Browser.sessionCookies(logout)).singleElement().asString().contains("Max-Age=0");
        assertThat(browser.cookie()).isEmpty();
        assertThat(store.snapshot()).isEmpty();
        HttpResponse<String> stale = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(apps.get(0).uri().resolve("/action")).header("Cookie", "session=" + cookie).build(),
                HttpResponse.BodyHandlers.ofString(UTF_8));
        assertThat(stale.body()).contains("You have not yet uploaded a file").contains("Uploads in this session: 0");
        assertThat(store.snapshot()).isEmpty();
    }

    @Test
    void uploadWhenByteOrderMarkAndMixedLineEndingsThenLinesSplitAndMarkGone() throws Exception {
        Browser browser = browser(start());
        byte[] text = "\uFEFFalpha\r\nbeta\rgamma\n\ndelta\r\n".getBytes(UTF_8);

        browser.upload("mixed.txt", text);

        String body = browser.get("/action").body();
        assertThat(body).doesNotContain("\uFEFF").doesNotContain("\r");
        assertThat(linesShown(body)).containsExactly("alpha", "beta", "gamma", "", "delta");
    }

    /** The lines as rendered between the "contents" heading and the upload counter, one per {@code <br>}. */
    private static List<String> linesShown(String body) {
        String heading = "<h3>The file contents are:</h3>";
        String block = body.substring(body.indexOf(heading) + heading.length(), body.indexOf("<p>Uploads in this session"));
        block = block.substring(block.indexOf("<br>") + "<br>".length());
        String[] parts = block.split("<br>", -1);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < parts.length - 1; i++) {
            lines.add(parts[i].strip());
        }
        return lines;
    }

    @Test
    void uploadWhenNoFilePartThenFormWithMessageAndSessionUntouched() throws Exception {
        Browser browser = browser(start());
        browser.upload("a.txt", "kept".getBytes(UTF_8));
        long version = stored(browser).version();

        HttpResponse<String> page = browser.postFormWithoutFile();

        assertThat(page.statusCode()).isIn(200, 400);
        assertThat(page.body()).contains("No file was chosen").contains("<input type='file' name='textfile'>");
        SecurityHeaders.assertOn(page);
        assertUntouched(browser, version, "kept");
    }

    @Test
    void uploadWhenEmptyFilenameThenFormWithMessageAndSessionUntouched() throws Exception {
        Browser browser = browser(start());
        browser.upload("a.txt", "kept".getBytes(UTF_8));
        long version = stored(browser).version();

        // what a browser sends when the form is submitted without choosing a file
        HttpResponse<String> page = browser.upload("", new byte[0]);

        assertThat(page.statusCode()).isIn(200, 400);
        assertThat(page.body()).contains("No file was chosen").contains("<h1>Upload text file</h1>");
        assertUntouched(browser, version, "kept");
    }

    // Proves docs/persistence.md#filesystem-written
    @Test
    void uploadWhenNoFileAndNoSessionThenNoSessionCreated() throws Exception {
        Browser browser = browser(start());

        HttpResponse<String> page = browser.upload("", new byte[0]);

        assertThat(page.body()).contains("No file was chosen");
        assertThat(Browser.sessionCookies(page)).isEmpty();
        assertThat(store.snapshot()).isEmpty();
    }

    @Test
    void uploadWhenNotUtf8ThenBadRequestPageAndSessionUntouched() throws Exception {
        Browser browser = browser(start());
        browser.upload("a.txt", "kept".getBytes(UTF_8));
        long version = stored(browser).version();

        HttpResponse<String> page = browser.upload("latin1.txt", "caf\u00e9 cr\u00e8me".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));

        assertThat(page.statusCode()).isEqualTo(400);
        assertThat(page.body()).contains("not UTF-8 text");
        SecurityHeaders.assertOn(page);
        assertUntouched(browser, version, "kept");
    }

    @Test
    void uploadWhenLargerThanMaxContentLengthThen413PageAndSessionUntouched() throws Exception {
        Browser browser = browser(start("MAX_CONTENT_LENGTH", "2000"));
        browser.upload("a.txt", "kept".getBytes(UTF_8));
        long version = stored(browser).version();

        HttpResponse<String> page = browser.upload("big.txt", "y".repeat(5000).getBytes(UTF_8));

        assertThat(page.statusCode()).isEqualTo(413);
        assertThat(page.body()).contains("File too large").contains("limit of 2000 bytes");
        SecurityHeaders.assertOn(page);
        assertUntouched(browser, version, "kept");
    }

    @Test
    void uploadWhenChunkedBodyOverTheLimitThen413AndSessionUntouched() throws Exception {
        Browser browser = browser(start("MAX_CONTENT_LENGTH", "2000"));
        browser.upload("a.txt", "kept".getBytes(UTF_8));
        long version = stored(browser).version();

        HttpResponse<String> page = browser.uploadChunked("big.txt", "y".repeat(50_000).getBytes(UTF_8));

        assertThat(page.statusCode()).isEqualTo(413);
        assertThat(page.body()).contains("limit of 2000 bytes");
        SecurityHeaders.assertOn(page);
        assertUntouched(browser, version, "kept");
    }

    @Test
    void uploadWhenChunkedBodyWithinTheLimitThenAccepted() throws Exception {
        Browser browser = browser(start("MAX_CONTENT_LENGTH", "2000"));

        HttpResponse<String> posted = browser.uploadChunked("small.txt", "small enough".getBytes(UTF_8));

        assertThat(posted.statusCode()).isIn(302, 303);
        assertThat(browser.get("/action").body()).contains("small&nbsp;enough<br>");
    }

    @Test
    void uploadWhenOverDefaultLimitOfOneMebibyteThen413() throws Exception {
        Browser browser = browser(start());
        browser.upload("a.txt", "kept".getBytes(UTF_8));
        long version = stored(browser).version();

        HttpResponse<String> page = browser.upload("big.txt", "z".repeat((int) DemoApp.DEFAULT_MAX_CONTENT_LENGTH + 1).getBytes(UTF_8));

        assertThat(page.statusCode()).isEqualTo(413);
        assertThat(page.body()).contains("limit of 1048576 bytes");
        assertUntouched(browser, version, "kept");
    }

    @Test
    void uploadWhenFileJustUnderDefaultLimitThenAccepted() throws Exception {
        Browser browser = browser(start());
        String line = "0123456789 abcdefghij\n";
        byte[] text = line.repeat(1_000_000 / line.length()).getBytes(UTF_8);

        HttpResponse<String> posted = browser.upload("big.txt", text);

        assertThat(posted.statusCode()).isIn(302, 303);
        HttpResponse<String> action = browser.get("/action");
        assertThat(action.statusCode()).isEqualTo(200);
        assertThat(action.body()).contains("0123456789&nbsp;abcdefghij<br>");
    }

    @Test
    void uploadWhenLinesWouldExceedTheSessionSizeCapThen413AndSessionUntouched() throws Exception {
        Browser browser = browser(start("SESSION_MAX_SIZE", "500"));
        browser.upload("a.txt", "kept".getBytes(UTF_8));
        long version = stored(browser).version();

        HttpResponse<String> page = browser.upload("big.txt", "w\n".repeat(400).getBytes(UTF_8));

        assertThat(page.statusCode()).isEqualTo(413);
        assertThat(page.body()).contains("more room than a session may hold (500 bytes)");
        SecurityHeaders.assertOn(page);
        assertUntouched(browser, version, "kept");
    }

    @Test
    void uploadWhenLinesFitTheCapOnlyWithoutTheUploadCountThen413AndSessionUntouched() throws Exception {
        Browser browser = browser(start("SESSION_MAX_SIZE", "500"));
        browser.upload("a.txt", "kept".getBytes(UTF_8));
        long version = stored(browser).version();
        // file_contents alone takes exactly the cap: ["xxx…"] is 483 + 4 bytes, its name 13; the count does not fit too
        byte[] exactlyTheCap = "x".repeat(500 - UploadServlet.FILE_CONTENTS.length() - 4).getBytes(UTF_8);

        HttpResponse<String> page = browser.upload("edge.txt", exactlyTheCap);

        assertThat(page.statusCode()).isEqualTo(413);
        assertUntouched(browser, version, "kept");
    }

    @Test
    void uploadWhenTwentyInParallelWithOneCookieThenEveryUploadCounted() throws Exception {
        DemoApp app = start();
        Browser browser = browser(app);
        browser.upload("first.txt", "first".getBytes(UTF_8));
        int parallel = 20;
        ExecutorService pool = Executors.newFixedThreadPool(parallel);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<CompletableFuture<Integer>> statuses = new ArrayList<>();
            for (int i = 0; i < parallel; i++) {
                int n = i;
                statuses.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        go.await();
                        return browser.upload("f" + n + ".txt", ("file " + n).getBytes(UTF_8)).statusCode();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }, pool));
            }
            go.countDown();
            for (CompletableFuture<Integer> status : statuses) {
                assertThat(status.get(60, TimeUnit.SECONDS)).isIn(302, 303);
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(browser.get("/action").body()).contains("Uploads in this session: " + (1 + parallel));
        assertThat(store.snapshot()).hasSize(1);
    }

    @Test
    void uploadWhenMaxSessionsReachedThenNewVisitorRefusedAndExistingOneServed() throws Exception {
        DemoApp app = start("SESSION_MAX_SESSIONS", "1");
        Browser first = browser(app);
        first.upload("a.txt", "first".getBytes(UTF_8));
        Browser second = browser(app);

        HttpResponse<String> refused = second.upload("b.txt", "second".getBytes(UTF_8));

        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(Browser.sessionCookies(refused)).isEmpty();
        assertThat(refused.headers().firstValue("X-Content-Type-Options")).contains("nosniff");
        assertThat(store.snapshot()).hasSize(1);
        assertThat(first.upload("c.txt", "first again".getBytes(UTF_8)).statusCode()).isIn(302, 303);
        assertThat(first.get("/action").body()).contains("first&nbsp;again<br>").contains("Uploads in this session: 2");
    }

    @Test
    void pagesWhenUnknownPathOrMethodThenOwnErrorPagesWithHeaders() throws Exception {
        Browser browser = browser(start());

        HttpResponse<String> missing = browser.get("/nope");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.body()).contains("There is no page at this address");
        SecurityHeaders.assertOn(missing);

        HttpResponse<String> put = browser.send(browser.request("/").PUT(java.net.http.HttpRequest.BodyPublishers.noBody()).build());
        assertThat(put.statusCode()).isEqualTo(405);
        assertThat(put.headers().firstValue("Allow")).contains(UploadServlet.ALLOWED_METHODS);
        SecurityHeaders.assertOn(put);

        HttpResponse<String> trace = browser.send(browser.request("/").method("TRACE", java.net.http.HttpRequest.BodyPublishers.noBody())
                .header("X-Secret", "should-not-echo").build());
        assertThat(trace.statusCode()).isEqualTo(405);
        assertThat(trace.body()).doesNotContain("should-not-echo");
    }

    // Proves docs/persistence.md#session-permanent
    @Test
    void cookieWhenPermanentByDefaultThenMaxAgeIsTheLifetime() throws Exception {
        Browser browser = browser(start("PERMANENT_SESSION_LIFETIME", "120"));

        HttpResponse<String> posted = browser.upload("a.txt", "x".getBytes(UTF_8));

        String cookie = Browser.sessionCookies(posted).get(0);
        assertThat(maxAge(cookie)).isBetween(115L, 120L);
        assertThat(cookie).containsIgnoringCase("HttpOnly").containsIgnoringCase("SameSite=Lax").contains("Path=/");
        SessionRecord record = stored(browser);
        assertThat(record.maxInactiveInterval()).hasSeconds(120);
    }

    @Test
    void cookieWhenDefaultLifetimeThenThirtyOneDays() throws Exception {
        Browser browser = browser(start());

        HttpResponse<String> posted = browser.upload("a.txt", "x".getBytes(UTF_8));

        assertThat(maxAge(Browser.sessionCookies(posted).get(0))).isBetween(2678400L - 5, 2678400L);
    }

    // Proves docs/persistence.md#session-permanent
    @Test
    void cookieWhenNotPermanentThenNoMaxAgeButServerLifetimeStillSet() throws Exception {
        Browser browser = browser(start("SESSION_PERMANENT", "false", "PERMANENT_SESSION_LIFETIME", "300"));

        HttpResponse<String> posted = browser.upload("a.txt", "x".getBytes(UTF_8));

        String cookie = Browser.sessionCookies(posted).get(0);
        assertThat(cookie).doesNotContainIgnoringCase("Max-Age").doesNotContainIgnoringCase("Expires");
        assertThat(stored(browser).maxInactiveInterval()).hasSeconds(300);
    }

    @Test
    void responsesWhenAnyPageThenNoServerHeader() throws Exception {
        Browser browser = browser(start());

        assertThat(browser.get("/").headers().firstValue("Server")).isEmpty();
        assertThat(browser.get("/missing").headers().firstValue("Server")).isEmpty();
    }

    private static long maxAge(String setCookie) {
        for (String attribute : setCookie.split(";")) {
            String[] nameValue = attribute.trim().split("=", 2);
            if (nameValue[0].equalsIgnoreCase("Max-Age")) {
                return Long.parseLong(nameValue[1].trim());
            }
        }
        throw new AssertionError("no Max-Age in " + setCookie.replaceAll("=[^;]*", "=…"));
    }

    private void assertUntouched(Browser browser, long version, String line) throws Exception {
        assertThat(stored(browser).version()).as("stored session version").isEqualTo(version);
        assertThat(browser.get("/action").body()).contains(line + "<br>").contains("Uploads in this session: 1");
        assertThat(stored(browser).version()).isEqualTo(version);
    }
}
