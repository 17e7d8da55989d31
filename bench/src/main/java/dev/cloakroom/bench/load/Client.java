package dev.cloakroom.bench.load;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One browser: its own HTTP/1.1 connection and its own cookie jar, sending one request at a time. Not thread-safe;
 * each client thread has its own.
 */
final class Client {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    /** What came back, and how long it took from send to the last byte, in nanoseconds. */
    record Answer(int status, String body, long nanos) {
    }

    private final HttpClient http;
    private final URI base;
    private final Map<String, String> cookies = new LinkedHashMap<>();

    Client(int port) {
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(TIMEOUT).build();
        this.base = URI.create("http://127.0.0.1:" + port);
    }

    /** A new client that presents the same cookies: another tab of the same browser. */
    Client sameBrowser(int port) {
        Client tab = new Client(port);
        tab.cookies.putAll(cookies);
        return tab;
    }

    Answer send(Workload workload) {
        return send(workload.method(), workload.path(), workload.body());
    }

    Answer send(String method, String path, String body) {
        return send(method, path, body, TIMEOUT);
    }

    /** With a timeout of its own: a cleanup, or a request that may wait for one. */
    Answer send(String method, String path, String body, Duration timeout) {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).timeout(timeout)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (!cookies.isEmpty()) {
            request.header("Cookie", cookies.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                    .collect(Collectors.joining("; ")));
        }
        long started = System.nanoTime();
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + path + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during " + method + " " + path, e);
        }
        long nanos = System.nanoTime() - started;
        response.headers().allValues("Set-Cookie").forEach(this::keep);
        return new Answer(response.statusCode(), response.body(), nanos);
    }

    private void keep(String setCookie) {
        String pair = setCookie.split(";", 2)[0];
        int eq = pair.indexOf('=');
        if (eq <= 0) {
            return;
        }
        String name = pair.substring(0, eq).trim();
        String value = pair.substring(eq + 1).trim();
        boolean expired = value.isEmpty() || setCookie.toLowerCase(java.util.Locale.ROOT).contains("max-age=0");
        if (expired) {
            cookies.remove(name);
        } else {
            cookies.put(name, value);
        }
    }
}
