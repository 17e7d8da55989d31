package dev.cloakroom.system;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * One visitor's browser over {@code java.net.http}: keeps the session cookie it is given and sends it back to whichever
 * demo it talks to next (two instances behind no balancer see the same browser), follows no redirect, so that each
 * response is seen. Safe for parallel requests with one cookie. Hostile cookie values the JDK client refuses to send go
 * through {@link RawHttp} instead.
 */
final class Visitor {
    static final String COOKIE = "session";
    static final String FILE_FIELD = "textfile";
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private volatile String cookie;

    Visitor() {
    }

    /** A visitor who already holds {@code cookie}, e.g. a hostile value. */
    Visitor(String cookie) {
        this.cookie = cookie;
    }

    /** The session cookie's value, if it holds one. */
    Optional<String> cookie() {
        return Optional.ofNullable(cookie);
    }

    /** The raw session id in the cookie: the value before the signature when signing is on. */
    Optional<String> id() {
        return cookie().map(value -> value.contains(".") ? value.substring(0, value.lastIndexOf('.')) : value);
    }

    HttpResponse<String> get(DemoProcess demo, String path) throws IOException, InterruptedException {
        return send(request(demo, path).GET().build());
    }

    /** {@code POST /logout}: the demo invalidates the session. */
    HttpResponse<String> logout(DemoProcess demo) throws IOException, InterruptedException {
        return send(request(demo, "/logout").POST(HttpRequest.BodyPublishers.noBody()).build());
    }

    /** The upload form's POST with {@code content} as the file {@code filename}. */
    HttpResponse<String> upload(DemoProcess demo, String filename, byte[] content) throws IOException, InterruptedException {
        return send(upload(demo, filename, content, false));
    }

    /** As {@link #upload} with a chunked body: no {@code Content-Length} the server could check up front. */
    HttpResponse<String> uploadChunked(DemoProcess demo, String filename, byte[] content) throws IOException, InterruptedException {
        return send(upload(demo, filename, content, true));
    }

    /** A POST to {@code /} with {@code body} as is, under {@code contentType}. */
    HttpResponse<String> post(DemoProcess demo, String contentType, byte[] body) throws IOException, InterruptedException {
        return send(request(demo, "/").header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
    }

    private HttpRequest upload(DemoProcess demo, String filename, byte[] content, boolean chunked) {
        String boundary = "b" + UUID.randomUUID();
        byte[] body = multipart(boundary, FILE_FIELD, filename, content);
        HttpRequest.BodyPublisher publisher = chunked
                ? HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))
                : HttpRequest.BodyPublishers.ofByteArray(body);
        return request(demo, "/").header("Content-Type", "multipart/form-data; boundary=" + boundary).POST(publisher).build();
    }

    /** A multipart/form-data body with one file part. */
    static byte[] multipart(String boundary, String field, String filename, byte[] content) {
        ByteArrayOutputStream body = new ByteArrayOutputStream(content.length + 256);
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + field + "\"; filename=\"" + filename
                + "\"\r\nContent-Type: text/plain\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.writeBytes(content);
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return body.toByteArray();
    }

    private HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
        HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        for (String header : sessionCookies(response.headers().allValues("Set-Cookie"))) {
            String value = header.substring(COOKIE.length() + 1).split(";", 2)[0].trim();
            cookie = value.isEmpty() || header.toLowerCase().contains("max-age=0") ? null : value;
        }
        return response;
    }

    private HttpRequest.Builder request(DemoProcess demo, String path) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(demo.uri().resolve(path)).timeout(Duration.ofSeconds(30));
        String current = cookie;
        if (current != null) {
            builder.header("Cookie", COOKIE + "=" + current);
        }
        return builder;
    }

    /** The {@code Set-Cookie} headers among {@code headers} that set or clear the session cookie. */
    static List<String> sessionCookies(List<String> headers) {
        return headers.stream().filter(h -> h.startsWith(COOKIE + "=")).toList();
    }

    /** The session id a {@code Set-Cookie} header gives, or empty if it clears the cookie. */
    static Optional<String> idIn(String setCookie) {
        String value = setCookie.substring(COOKIE.length() + 1).split(";", 2)[0].trim();
        if (value.isEmpty() || setCookie.toLowerCase().contains("max-age=0")) {
            return Optional.empty();
        }
        return Optional.of(value.contains(".") ? value.substring(0, value.lastIndexOf('.')) : value);
    }
}
