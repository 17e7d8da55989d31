package dev.cloakroom.demo;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * A browser of one visitor, over real HTTP: keeps the session cookie it is given and sends it back; follows no
 * redirect by itself, so tests see each response. Thread-safe enough for parallel requests with one cookie.
 */
final class Browser {
    static final String COOKIE = "session";
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private final URI base;
    private volatile String cookie;

    Browser(URI base) {
        this.base = base;
    }

    /** The session cookie's value, if one was set. */
    Optional<String> cookie() {
        return Optional.ofNullable(cookie);
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return send(request(path).GET().build());
    }

    HttpResponse<String> post(String path) throws IOException, InterruptedException {
        return send(request(path).POST(HttpRequest.BodyPublishers.noBody()).build());
    }

    /** The upload form's POST with {@code content} as the file {@code filename} in field {@code textfile}. */
    HttpResponse<String> upload(String filename, byte[] content) throws IOException, InterruptedException {
        return send(uploadRequest(filename, content, false));
    }

    /** As {@link #upload} with a chunked body: no {@code Content-Length} the server could check up front. */
    HttpResponse<String> uploadChunked(String filename, byte[] content) throws IOException, InterruptedException {
        return send(uploadRequest(filename, content, true));
    }

    /** A multipart POST with one text field and no file part at all. */
    HttpResponse<String> postFormWithoutFile() throws IOException, InterruptedException {
        String boundary = "b" + UUID.randomUUID();
        String body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"comment\"\r\n\r\nhello\r\n--" + boundary + "--\r\n";
        return send(request("/").header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    HttpRequest uploadRequest(String filename, byte[] content, boolean chunked) {
        String boundary = "b" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"textfile\"; filename=\"" + filename
                + "\"\r\nContent-Type: text/plain\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.writeBytes(content);
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        byte[] bytes = body.toByteArray();
        HttpRequest.BodyPublisher publisher = chunked
                ? HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes))
                : HttpRequest.BodyPublishers.ofByteArray(bytes);
        return request("/").header("Content-Type", "multipart/form-data; boundary=" + boundary).POST(publisher).build();
    }

    HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
        HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        remember(response);
        return response;
    }

    HttpRequest.Builder request(String path) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(20));
        String current = cookie;
        if (current != null) {
            builder.header("Cookie", COOKIE + "=" + current);
        }
        return builder;
    }

    /** The {@code Set-Cookie} headers for the session cookie in {@code response}. */
    static List<String> sessionCookies(HttpResponse<?> response) {
        return response.headers().allValues("Set-Cookie").stream().filter(h -> h.startsWith(COOKIE + "=")).toList();
    }

    private void remember(HttpResponse<?> response) {
        for (String header : sessionCookies(response)) {
            String value = header.substring(COOKIE.length() + 1).split(";", 2)[0].trim();
            boolean cleared = value.isEmpty() || header.toLowerCase().contains("max-age=0");
            cookie = cleared ? null : value;
        }
    }
}
