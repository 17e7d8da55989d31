package dev.cloakroom.bench.load;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * One browser on the seed's app: its own connection (opened again when gunicorn closes it) and its session cookie.
 * Both apps get the same form post of the same file and must answer the same: a redirect to {@code /action}, whose
 * page lists the file's lines.
 */
final class SeedClient implements AutoCloseable {
    private static final String BOUNDARY = "cloakroomseedboundary";
    /** 64 lines of 63 characters and a newline, 4 KiB, spaces included (the pages show them as {@code &nbsp;}). */
    private static final String UPLOAD_TEXT = IntStream.range(0, 64)
            .mapToObj(i -> String.format("line %02d of the seed upload, kept in the session: %s", i, "abcdefghijklm"))
            .collect(Collectors.joining("\n", "", "\n"));
    private static final byte[] UPLOAD_BODY = ("--" + BOUNDARY + "\r\n"
            + "Content-Disposition: form-data; name=\"textfile\"; filename=\"seed.txt\"\r\n"
            + "Content-Type: text/plain\r\n\r\n" + UPLOAD_TEXT + "\r\n--" + BOUNDARY + "--\r\n")
            .getBytes(StandardCharsets.UTF_8);
    private static final String FIRST_LINE = UPLOAD_TEXT.lines().findFirst().orElseThrow().replace(" ", "&nbsp;");
    private static final String LAST_LINE = UPLOAD_TEXT.lines().reduce((a, b) -> b).orElseThrow().replace(" ", "&nbsp;");
    private static final List<String> FORM_HEADERS = List.of("Content-Type: multipart/form-data; boundary=" + BOUNDARY);

    /** What one request got: a right answer, a wrong one, or no answer at all (refused or dropped connection). */
    enum Outcome { RIGHT, WRONG, FAILED }

    private final RawHttp http;
    private String cookie;

    SeedClient(int port) {
        this.http = new RawHttp(port);
    }

    /**
     * Posts the file; right if the answer is a redirect to {@code /action} (Flask's 302, the demo's 303) that
     * names a session. {@code fresh}: without a cookie, and a set-up client keeps the one it gets.
     */
    Outcome upload(boolean fresh) {
        List<String> headers = fresh ? FORM_HEADERS
                : List.of(FORM_HEADERS.get(0), "Cookie: session=" + cookie);
        Optional<RawHttp.Answer> a = send("POST", "/", headers, UPLOAD_BODY);
        if (a.isEmpty()) {
            return Outcome.FAILED;
        }
        RawHttp.Answer answer = a.get();
        Optional<String> set = answer.all("set-cookie").stream()
                .filter(c -> c.startsWith("session=")).map(c -> c.substring(8).split(";", 2)[0]).findFirst();
        boolean right = (answer.status() == 302 || answer.status() == 303)
                && answer.header("location").endsWith("/action")
                && (set.isPresent() || !fresh);
        if (fresh && cookie == null && set.isPresent()) {
            cookie = set.get();
        }
        return right ? Outcome.RIGHT : Outcome.WRONG;
    }

    /** Reads {@code /action}; right if it lists the upload's first and last line. */
    Outcome read() {
        if (cookie == null) {
            return Outcome.WRONG;
        }
        Optional<RawHttp.Answer> a = send("GET", "/action", List.of("Cookie: session=" + cookie), null);
        if (a.isEmpty()) {
            return Outcome.FAILED;
        }
        return a.get().status() == 200 && a.get().body().contains(FIRST_LINE)
                && a.get().body().contains(LAST_LINE) ? Outcome.RIGHT : Outcome.WRONG;
    }

    private Optional<RawHttp.Answer> send(String method, String path, List<String> headers, byte[] body) {
        try {
            return Optional.of(http.send(method, path, headers, body));
        } catch (IOException | RuntimeException e) {
            // counted by the caller: a refused or dropped connection, or an answer that is not HTTP, is an error
            http.close();
            return Optional.empty();
        }
    }

    @Override
    public void close() {
        http.close();
    }
}
