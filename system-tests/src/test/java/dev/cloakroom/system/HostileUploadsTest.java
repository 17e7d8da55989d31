package dev.cloakroom.system;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cloakroom.SessionKey;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 9, item 2: uploads an attacker writes, into a session that already holds an upload. A refused one gets a clear
 * 4xx page and leaves the session's stored bytes exactly as they were; an accepted one is stored line for line and
 * shown escaped, so no markup from the file reaches the page.
 */
@Tag("server")
@ExtendWith(SharedFleet.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileUploadsTest {
    /** The demo's default {@code MAX_CONTENT_LENGTH}, which the shared demos run with. */
    private static final int MAX_CONTENT_LENGTH = 1024 * 1024;
    private static final String BOUNDARY = "b" + UUID.randomUUID();
    private static final Duration ENDLESS_BOUND = Duration.ofSeconds(10);
    private static final String UPLOADED_AS = "file.txt";

    private Report report;
    private Fleet fleet;

    @BeforeAll
    void start(Fleet shared) {
        report = Report.open("20-hostile-uploads", "Hostile uploads (issue 9, item 2)");
        fleet = shared;
    }

    /** Sends one request as {@code visitor}. */
    private interface Send {
        HttpResponse<String> send(DemoProcess demo, Visitor visitor) throws IOException, InterruptedException;
    }

    /** A request that must be refused with {@code status} and a page that {@code says} why. */
    private record Refused(String name, int status, String says, Send request) {
    }

    private static List<Refused> refused() {
        String noFile = "No file was chosen";
        String tooLarge = "larger than the limit of " + MAX_CONTENT_LENGTH + " bytes";
        return List.of(
                new Refused("a file that is not UTF-8 (Latin-1 bytes)", 400, "not UTF-8 text",
                        (demo, v) -> v.upload(demo, "latin1.txt", "caf\u00e9 cr\u00e8me".getBytes(ISO_8859_1))),
                new Refused("a file with a lone continuation byte and an overlong '/'", 400, "not UTF-8 text",
                        (demo, v) -> v.upload(demo, "bad.txt", new byte[] {'a', (byte) 0x80, 'b', (byte) 0xC0, (byte) 0xAF})),
                new Refused("a body of MAX_CONTENT_LENGTH + 1 bytes, Content-Length declared", 413, tooLarge,
                        (demo, v) -> v.post(demo, "multipart/form-data; boundary=" + BOUNDARY, bodyOfSize(MAX_CONTENT_LENGTH + 1))),
                new Refused("a chunked body of MAX_CONTENT_LENGTH + 1 bytes, no Content-Length", 413, tooLarge,
                        (demo, v) -> v.uploadChunked(demo, "big.txt", fileFillingBodyOf("big.txt", MAX_CONTENT_LENGTH + 1))),
                new Refused("a multipart body without the file field", 400, noFile,
                        (demo, v) -> v.post(demo, "multipart/form-data; boundary=" + BOUNDARY, ("--" + BOUNDARY
                                + "\r\nContent-Disposition: form-data; name=\"comment\"\r\n\r\nhello\r\n--" + BOUNDARY + "--\r\n")
                                .getBytes(US_ASCII))),
                new Refused("a file part with an empty file name", 400, noFile,
                        (demo, v) -> v.upload(demo, "", "text".getBytes(UTF_8))),
                new Refused("a wrong content type: application/json", 400, noFile,
                        (demo, v) -> v.post(demo, "application/json", "{\"textfile\":\"x\"}".getBytes(UTF_8))),
                new Refused("a wrong content type: a urlencoded form", 400, noFile,
                        (demo, v) -> v.post(demo, "application/x-www-form-urlencoded", "textfile=x".getBytes(UTF_8))),
                new Refused("multipart without a boundary parameter", 400, noFile,
                        (demo, v) -> v.post(demo, "multipart/form-data",
                                Visitor.multipart(BOUNDARY, Visitor.FILE_FIELD, "a.txt", "x".getBytes(UTF_8)))),
                new Refused("a truncated multipart body (no closing boundary)", 400, noFile,
                        (demo, v) -> v.post(demo, "multipart/form-data; boundary=" + BOUNDARY, ("--" + BOUNDARY
                                + "\r\nContent-Disposition: form-data; name=\"textfile\"; filename=\"a.txt\"\r\n\r\nhalf a fi")
                                .getBytes(US_ASCII))));
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void refusedWhenSentThenClear4xxPageAndStoredBytesUnchanged(Store store) throws Exception {
        Fleet.Running demo = fleet.on(store);
        Visitor visitor = seeded(demo);
        String id = visitor.id().orElseThrow();
        SessionKey key = SessionKey.of(id);
        for (Refused refused : refused()) {
            String before = demo.probe().record(key).orElseThrow();
            Map<String, String> all = demo.probe().records();

            HttpResponse<String> page = refused.request().send(demo.demo(), visitor);

            assertThat(page.statusCode()).as(refused.name()).isEqualTo(refused.status());
            assertThat(page.body()).as(refused.name()).contains(refused.says());
            assertThat(page.headers().firstValue("Content-Type")).as(refused.name()).contains("text/html;charset=utf-8");
            assertThat(demo.probe().record(key)).as("%s: the session's stored bytes", refused.name()).contains(before);
            assertThat(demo.probe().records()).as("%s: nothing else stored", refused.name()).isEqualTo(all);
            assertThat(visitor.id()).as("%s: the cookie kept", refused.name()).contains(id);
            report.record(store, refused.name(), 1,
                    page.statusCode() + " page \"…" + refused.says() + "…\"; the session's stored bytes unchanged");
        }
        assertThat(visitor.get(demo.demo(), "/action").body()).contains("original<br>").contains("Uploads in this session: 1");
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void endlessChunkedBodyWhenSentThenCutOffWith413InBoundedTimeAndSessionUnchanged(Store store) throws Exception {
        Fleet.Running demo = fleet.on(store);
        Visitor visitor = seeded(demo);
        SessionKey key = SessionKey.of(visitor.id().orElseThrow());
        String before = demo.probe().record(key).orElseThrow();
        int times = Mode.iterations(1, 5);
        long worst = 0;
        long mostSent = 0;
        for (int i = 0; i < times; i++) {
            AtomicLong sent = new AtomicLong();
            long start = System.nanoTime();
            RawHttp.Response response;
            try (RawHttp connection = RawHttp.connect(demo.demo(), ENDLESS_BOUND.multipliedBy(2))) {
                connection.send(RawHttp.head("POST", "/", ("session=" + visitor.cookie().orElseThrow()).getBytes(US_ASCII),
                        List.of("Content-Type: multipart/form-data; boundary=" + BOUNDARY, "Transfer-Encoding: chunked")));
                CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> endless(connection, sent));
                response = connection.response(start);
                writer.cancel(true);
            }
            long millis = response.elapsed().toMillis();
            assertThat(response.status()).isEqualTo(413);
            assertThat(response.text()).contains("larger than the limit");
            assertThat(response.elapsed()).isLessThan(ENDLESS_BOUND);
            worst = Math.max(worst, millis);
            mostSent = Math.max(mostSent, sent.get());
        }
        assertThat(demo.probe().record(key)).contains(before);
        report.record(store, "a chunked body that never ends", times, "413 page while the client was still sending; the "
                + "session's stored bytes unchanged", Map.of("slowest answer ms", worst, "bound ms", ENDLESS_BOUND.toMillis(),
                "most bytes sent before the answer", mostSent));
    }

    /** Writes chunks of one file part until the server stops reading (or the writer is cancelled). */
    private static void endless(RawHttp connection, AtomicLong sent) {
        byte[] head = ("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"textfile\"; filename=\"endless.txt\"\r\n\r\n")
                .getBytes(US_ASCII);
        byte[] data = new byte[64 * 1024];
        Arrays.fill(data, (byte) 'a');
        try {
            connection.send(chunk(head));
            while (!Thread.currentThread().isInterrupted()) {
                connection.send(chunk(data));
                sent.addAndGet(data.length);
            }
        } catch (IOException e) {
            // the server closed the connection: what it should do
        }
    }

    private static byte[] chunk(byte[] data) {
        byte[] size = (Integer.toHexString(data.length) + "\r\n").getBytes(US_ASCII);
        byte[] chunk = Arrays.copyOf(size, size.length + data.length + 2);
        System.arraycopy(data, 0, chunk, size.length, data.length);
        chunk[chunk.length - 2] = '\r';
        chunk[chunk.length - 1] = '\n';
        return chunk;
    }

    /** A file that must be accepted and shown as it is: its bytes, and the lines it holds. */
    private record Accepted(String name, byte[] content, List<String> lines) {
        static Accepted of(String name, String text) {
            return new Accepted(name, text.getBytes(UTF_8), text.lines().toList());
        }
    }

    private static List<Accepted> accepted() {
        List<String> shortLines = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            shortLines.add("l" + i);
        }
        return List.of(
                Accepted.of("HTML and script in lines", "<script>alert(1)</script>\n<img src=x onerror=alert(2)>\n"
                        + "\"><svg/onload=alert(3)>\n</textarea><b>bold</b> &amp; &lt;\n{{ 7*7 }} {% raw %}\n"),
                Accepted.of("right-to-left override and other bidi controls", "invoice\u202Etxt.exe\n\u2067isolate\u2069 \u200F\u200E\n"),
                Accepted.of("NUL bytes in a line", "before\u0000after\n\u0000\n"),
                Accepted.of("100,000 short lines", String.join("\n", shortLines) + "\n"),
                Accepted.of("one line of 900 KB", "x".repeat(900 * 1024) + "\n"),
                new Accepted("a body of exactly MAX_CONTENT_LENGTH bytes", fileFillingBodyOf(UPLOADED_AS, MAX_CONTENT_LENGTH),
                        List.of(new String(fileFillingBodyOf(UPLOADED_AS, MAX_CONTENT_LENGTH), US_ASCII))));
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void acceptedWhenUploadedThenStoredLineForLineAndShownEscaped(Store store) throws Exception {
        Fleet.Running demo = fleet.on(store);
        for (Accepted accepted : accepted()) {
            Visitor visitor = seeded(demo);
            SessionKey key = SessionKey.of(visitor.id().orElseThrow());
            long start = System.nanoTime();
            HttpResponse<String> upload = visitor.upload(demo.demo(), UPLOADED_AS, accepted.content());
            long uploadMillis = (System.nanoTime() - start) / 1_000_000;
            assertThat(upload.statusCode()).as(accepted.name()).isEqualTo(303);

            Map<String, JsonNode> stored = demo.probe().attributes(key);
            assertThat(stored.get("file_contents")).as("%s: stored line for line", accepted.name())
                    .isEqualTo(StoreProbe.JSON.valueToTree(accepted.lines()));
            assertThat(stored.get("uploads").asLong()).isEqualTo(2);
            start = System.nanoTime();
            HttpResponse<String> page = visitor.get(demo.demo(), "/action");
            long pageMillis = (System.nanoTime() - start) / 1_000_000;
            assertThat(page.statusCode()).isEqualTo(200);
            String body = page.body();
            assertThat(body).as(accepted.name()).contains("Uploads in this session: 2").doesNotContain("original<br>");
            for (String line : accepted.lines().subList(0, Math.min(1000, accepted.lines().size()))) {
                assertThat(body).as("%s: shown escaped", accepted.name()).contains(escaped(line) + "<br>");
            }
            assertThat(body.split("<br>", -1).length - 1).as("%s: every line shown", accepted.name())
                    .isGreaterThanOrEqualTo(accepted.lines().size());
            assertNoMarkupFromTheFile(body);
            assertThat(page.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(csp ->
                    assertThat(csp).startsWith("default-src 'none'"));
            Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("upload ms", uploadMillis);
            figures.put("page ms", pageMillis);
            figures.put("page bytes", body.length());
            report.record(store, accepted.name(), 1, "303; stored line for line; every line on the page, escaped; no markup "
                    + "from the file on the page", figures);
        }
    }

    /** The page's own markup only: none of the file's tags or event handlers came through as markup. */
    private static void assertNoMarkupFromTheFile(String body) {
        assertThat(body).doesNotContain("<script").doesNotContain("<img").doesNotContain("<svg").doesNotContain("<b>")
                .doesNotContain("</textarea>").doesNotContain("49&nbsp;{%");
    }

    /** What the page shows for {@code line}: HTML-escaped, then spaces as {@code &nbsp;}. */
    private static String escaped(String line) {
        return line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;")
                .replace("'", "&#39;").replace(" ", "&nbsp;");
    }

    /** A visitor whose session holds one upload, {@code original}, counted once. */
    private static Visitor seeded(Fleet.Running demo) throws Exception {
        Visitor visitor = new Visitor();
        assertThat(visitor.upload(demo.demo(), "original.txt", "original\n".getBytes(UTF_8)).statusCode()).isEqualTo(303);
        assertThat(demo.probe().record(SessionKey.of(visitor.id().orElseThrow()))).isPresent();
        return visitor;
    }

    /** A multipart body of exactly {@code size} bytes whose file part is filled with 'a'. */
    private static byte[] bodyOfSize(int size) {
        byte[] head = ("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"textfile\"; filename=\"big.txt\"\r\n"
                + "Content-Type: text/plain\r\n\r\n").getBytes(US_ASCII);
        byte[] tail = ("\r\n--" + BOUNDARY + "--\r\n").getBytes(US_ASCII);
        byte[] body = new byte[size];
        Arrays.fill(body, (byte) 'a');
        System.arraycopy(head, 0, body, 0, head.length);
        System.arraycopy(tail, 0, body, size - tail.length, tail.length);
        return body;
    }

    /** Content of 'a's that makes {@link Visitor}'s multipart body for file {@code filename} exactly {@code size} bytes. */
    private static byte[] fileFillingBodyOf(String filename, int size) {
        int overhead = Visitor.multipart("b" + UUID.randomUUID(), Visitor.FILE_FIELD, filename, new byte[0]).length;
        byte[] content = new byte[size - overhead];
        Arrays.fill(content, (byte) 'a');
        return content;
    }
}
