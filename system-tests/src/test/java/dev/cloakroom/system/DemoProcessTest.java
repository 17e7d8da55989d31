package dev.cloakroom.system;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cloakroom.SessionKey;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The harness itself: the demo process runs on each store, what it stores reads back through the store's probe under
 * the hashed key only, and after a {@code kill -9} a new process on the same store serves the same cookie.
 */
@Tag("server")
@ExtendWith(SharedFleet.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DemoProcessTest {
    private Report report;
    private Fleet fleet;

    @BeforeAll
    void start(Fleet shared) {
        report = Report.open("00-harness", "Harness: the demo as its own process");
        fleet = shared;
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void demoWhenKilledThenRestartServesTheSameCookieAndStoreHoldsOnlyTheHashedKey(Store store) throws Exception {
        Fleet.Running running = fleet.on(store);
        DemoProcess first = running.demo();
        StoreProbe probe = running.probe();
        Visitor visitor = new Visitor();
        Map<String, String> before = probe.records();

        HttpResponse<String> upload = visitor.upload(first, "a.txt", "hello world\nsecond".getBytes(UTF_8));
        assertThat(upload.statusCode()).isEqualTo(303);
        String id = visitor.id().orElseThrow();
        Map<String, String> added = new TreeMap<>(probe.records());
        added.keySet().removeAll(before.keySet());
        assertThat(added).containsOnlyKeys(SessionKey.of(id).value());
        Map<String, JsonNode> attributes = probe.attributes(SessionKey.of(id));
        assertThat(attributes.get("file_contents").toString()).isEqualTo("[\"hello world\",\"second\"]");
        assertThat(attributes.get("uploads").asLong()).isEqualTo(1);
        assertThat(probe.everything().toString()).doesNotContain(id);

        first.kill();
        assertThat(first.isAlive()).isFalse();
        assertThat(first.log()).doesNotContain(id);
        long started = System.nanoTime();
        DemoProcess second = fleet.on(store).demo();
        long restartMillis = (System.nanoTime() - started) / 1_000_000;

        assertThat(second.pid()).isNotEqualTo(first.pid());
        HttpResponse<String> action = visitor.get(second, "/action");
        assertThat(action.statusCode()).isEqualTo(200);
        assertThat(action.body()).contains("hello&nbsp;world<br>").contains("Uploads in this session: 1");
        assertThat(visitor.id()).contains(id);
        assertThat(second.log()).doesNotContain(id).contains("Cloakroom demo listening on");
        report.record(store, "upload on the demo process, kill -9 it, start a new process on the same store", 1,
                "the same cookie reads the upload back from the new process; the store holds one new record, under the "
                        + "hashed key; the raw id is in no stored byte and no log line",
                Map.of("restart until answering ms", restartMillis));
    }
}
