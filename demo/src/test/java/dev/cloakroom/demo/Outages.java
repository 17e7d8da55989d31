package dev.cloakroom.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloakroom.CloakroomConfig;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;

/**
 * What every store outage test of the demo checks over HTTP: a 503 within the store timeout plus slack, carrying the
 * demo's security headers and no cookie; and recovery of the same cookie without restarting the app. Prints each
 * latency as a {@code MEASURED:} line in the surefire output.
 */
final class Outages {
    /** The store timeout the demo runs with by default ({@code SESSION_STORE_TIMEOUT_MS} unset). */
    static final Duration STORE_TIMEOUT = CloakroomConfig.DEFAULT_STORE_TIMEOUT;
    /** The 503 must come within the store timeout; the second covers HTTP, Jetty and a loaded machine. */
    static final Duration BOUND = STORE_TIMEOUT.plusSeconds(1);
    /** How long a store may take to serve again once its server is back (pools and clients reconnect by themselves). */
    static final Duration RECOVERY = Duration.ofSeconds(10);

    private Outages() {
    }

    /** A request that is answered, with its latency. */
    record Timed(HttpResponse<String> response, Duration took) {
    }

    interface Request {
        HttpResponse<String> send() throws IOException, InterruptedException;
    }

    /** Sends {@code request}, prints {@code MEASURED: <label> ...} with its status and latency. */
    static Timed timed(String label, Request request) throws IOException, InterruptedException {
        long started = System.nanoTime();
        HttpResponse<String> response = request.send();
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        System.out.printf("MEASURED: %s answered %d in %d ms%n", label, response.statusCode(), took.toMillis());
        return new Timed(response, took);
    }

    /** The filter's answer when the store cannot be reached, with the demo's headers, in time and without a cookie. */
    static void assertUnavailableWithinBound(Timed timed) {
        HttpResponse<String> response = timed.response();
        assertThat(response.statusCode()).as("status while the store is out").isEqualTo(503);
        assertThat(timed.took()).as("time to the 503").isLessThan(BOUND);
        assertThat(response.headers().firstValue("Retry-After")).hasValueSatisfying(seconds ->
                assertThat(Long.parseLong(seconds)).isPositive());
        assertThat(response.headers().allValues("Set-Cookie")).as("Set-Cookie on the 503").isEmpty();
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type ->
                assertThat(type.toLowerCase(Locale.ROOT).replace(" ", "")).contains("charset=utf-8"));
        assertThat(response.headers().firstValue("X-Content-Type-Options")).contains("nosniff");
        assertThat(response.headers().firstValue("Content-Security-Policy")).contains(Pages.CONTENT_SECURITY_POLICY);
        assertThat(response.headers().firstValue("Referrer-Policy")).contains("no-referrer");
        assertThat(response.headers().firstValue("Cache-Control")).hasValueSatisfying(value ->
                assertThat(value).contains("no-store"));
        assertThat(response.headers().firstValue("Server")).isEmpty();
        assertThat(response.body()).doesNotContain("Exception").doesNotContain("at dev.cloakroom").doesNotContain("127.0.0.1");
    }

    /**
     * Requests {@code path} with {@code browser}'s cookie until it is answered 200, for at most {@link #RECOVERY};
     * prints how long that took. Each attempt is itself bounded by the store timeout.
     */
    static HttpResponse<String> awaitServed(String label, Browser browser, String path) throws IOException, InterruptedException {
        long started = System.nanoTime();
        long deadline = started + RECOVERY.toNanos();
        int attempts = 0;
        while (true) {
            attempts++;
            HttpResponse<String> response = browser.get(path);
            if (response.statusCode() == 200) {
                System.out.printf("MEASURED: %s served %s again %d ms after the restore (%d attempts)%n", label, path,
                        Duration.ofNanos(System.nanoTime() - started).toMillis(), attempts);
                return response;
            }
            assertThat(response.statusCode()).as("status while the store comes back").isEqualTo(503);
            if (System.nanoTime() > deadline) {
                throw new AssertionError(label + ": " + path + " still answered 503 " + RECOVERY.toSeconds()
                        + " s after the store came back (" + attempts + " attempts)");
            }
            Thread.sleep(100);
        }
    }
}
