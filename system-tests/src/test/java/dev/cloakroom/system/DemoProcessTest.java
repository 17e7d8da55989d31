package dev.cloakroom.system;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cloakroom.SessionKey;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The harness itself: the demo process starts on each store, what it stores reads back through the store's probe
 * under the hashed key only, and after a {@code kill -9} a new process on the same store serves the same cookie.
 */
@Tag("server")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DemoProcessTest {
    private Report report;

    @BeforeAll
    void openReport() {
        report = Report.open("00-harness", "Harness: the demo as its own process");
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void demoWhenKilledThenRestartServesTheSameCookieAndStoreHoldsOnlyTheHashedKey(Store store) throws Exception {
        try (StoreProbe probe = store.open("harness")) {
            DemoProcess.Launch launch = DemoProcess.on(probe).name("harness-" + store.name().toLowerCase());
            Visitor visitor = new Visitor();
            long started = System.nanoTime();
            DemoProcess first = launch.start();
            long startMillis = (System.nanoTime() - started) / 1_000_000;
            String id;
            try {
                HttpResponse<String> upload = visitor.upload(first, "a.txt", "hello world\nsecond".getBytes(UTF_8));
                assertThat(upload.statusCode()).isEqualTo(303);
                id = visitor.id().orElseThrow();

                Map<String, String> records = probe.records();
                assertThat(records).containsOnlyKeys(SessionKey.of(id).value());
                Map<String, JsonNode> attributes = probe.attributes(SessionKey.of(id));
                assertThat(attributes.get("file_contents").toString()).isEqualTo("[\"hello world\",\"second\"]");
                assertThat(attributes.get("uploads").asLong()).isEqualTo(1);
                assertThat(probe.everything().toString()).doesNotContain(id);
                first.kill();
                assertThat(first.isAlive()).isFalse();
                assertThat(first.log()).doesNotContain(id);
            } finally {
                first.close();
            }

            try (DemoProcess second = launch.start()) {
                assertThat(second.pid()).isNotEqualTo(first.pid());
                HttpResponse<String> action = visitor.get(second, "/action");
                assertThat(action.statusCode()).isEqualTo(200);
                assertThat(action.body()).contains("hello&nbsp;world<br>").contains("Uploads in this session: 1");
                assertThat(visitor.id()).contains(id);
                second.stop();
                assertThat(second.log()).doesNotContain(id).contains("Cloakroom demo listening on");
            }
            report.record(store, "start the demo process, upload, kill -9, start a new process on the same store", 1,
                    "the same cookie reads the upload back; the store holds one record under the hashed key; the raw id "
                            + "is in no stored byte and no log line",
                    Map.of("start ms", startMillis));
        }
    }
}
