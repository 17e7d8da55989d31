package dev.cloakroom.example.boot;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** Actuator on the filesystem store, over real HTTP: the cloakroom health component and the session meters. */
@Tag("unit")
@SpringBootTest(classes = CloakroomExampleApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"example.password=" + ActuatorOverHttpTest.PASSWORD, "cloakroom.cookie.secure=never", "cloakroom.sweeper=false"})
// The folder goes at @AfterAll: the context must not outlive it in the cache.
@DirtiesContext
class ActuatorOverHttpTest {
    static final String PASSWORD = "actuator-test-password";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path folder;

    @LocalServerPort
    int port;

    private final Browser browser = new Browser();

    @DynamicPropertySource
    static void store(DynamicPropertyRegistry registry) {
        // The store creates its folder itself (0700): only the parent exists.
        registry.add("cloakroom.filesystem.dir", () -> folder.resolve("sessions").toString());
    }

    @Test
    void healthWhenAskedWithoutLoginThenTheCloakroomComponentIsUp() throws Exception {
        HttpResponse<String> health = browser.get(port, "/actuator/health");

        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(health.body()).at("/components/cloakroom/status").asText()).isEqualTo("UP");
    }

    @Test
    void sessionsStartedWhenAUserLoggedInThenCountsAtLeastTheirSession() throws Exception {
        String token = browser.csrfToken(port, "/login");
        HttpResponse<String> login = browser.post(port, "/login", Map.of("username", "alice", "password", PASSWORD, "_csrf", token));
        assertThat(login.statusCode()).isEqualTo(302);

        HttpResponse<String> meter = browser.get(port, "/actuator/metrics/cloakroom.sessions.started");

        assertThat(meter.statusCode()).isEqualTo(200);
        JsonNode count = JSON.readTree(meter.body()).at("/measurements/0");
        assertThat(count.get("statistic").asText()).isEqualTo("COUNT");
        assertThat(count.get("value").asDouble()).isGreaterThanOrEqualTo(1);
    }
}
