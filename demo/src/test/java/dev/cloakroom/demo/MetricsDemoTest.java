package dev.cloakroom.demo;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cloakroom.Settings;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code SESSION_METRICS}: the session meters on a Prometheus scrape endpoint, and no endpoint by default. */
@Tag("unit")
class MetricsDemoTest {
    @TempDir
    Path dir;

    private DemoApp start(Map<String, String> extra) {
        Map<String, String> values = new java.util.HashMap<>(Map.of("PORT", "0", "SESSION_FILE_DIR", dir.toString()));
        values.putAll(extra);
        return DemoApp.start(Settings.of(values));
    }

    @Test
    void metricsWhenOnThenScrapeShowsTheUploadsSessionAndItsStoreCalls() throws Exception {
        try (DemoApp app = start(Map.of("SESSION_METRICS", "true"))) {
            Browser browser = new Browser(app.uri());
            browser.upload("a.txt", "one line".getBytes(UTF_8));
            assertThat(browser.get("/action").body()).contains("one&nbsp;line<br>");

            HttpResponse<String> scrape = new Browser(app.uri()).get("/metrics");
            assertThat(scrape.statusCode()).isEqualTo(200);
            assertThat(scrape.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("text/plain"));
            assertThat(scrape.body())
                    .contains("cloakroom_sessions_started_total 1.0")
                    .contains("cloakroom_sessions_loaded_total 1.0")
                    .contains("cloakroom_ids_rejected_total{reason=\"bad-signature\"} 0.0")
                    .contains("cloakroom_store_calls_seconds_count{operation=\"write\"}")
                    .contains("cloakroom_store_errors_total{kind=\"unavailable\",operation=\"load\"} 0.0");
        }
    }

    @Test
    void metricsWhenNotSetThenNoEndpoint() throws Exception {
        try (DemoApp app = start(Map.of())) {
            assertThat(new Browser(app.uri()).get("/metrics").statusCode()).isEqualTo(404);
        }
    }
}
