package dev.cloakroom.example.boot;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cloakroom.SessionKey;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Actuator on the filesystem store, over real HTTP: the cloakroom health component, the session meters, and the
 * {@code sessions} endpoint.
 */
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
    void sessionsEndpointWhenNotLoggedInThenRedirectsToTheLogin() {
        HttpResponse<String> listing = browser.get(port, "/actuator/sessions?username=alice");

        assertThat(listing.statusCode()).isEqualTo(302);
        assertThat(listing.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/login"));
    }

    @Test
    void sessionsEndpointWhenAskedForAUsersSessionsThenListsThemByKeyAndDeletesOneByItsKey() throws Exception {
        logIn();
        String id = browser.cookie("session").orElseThrow();
        String key = SessionKey.of(id).value();

        HttpResponse<String> listing = browser.get(port, "/actuator/sessions?username=alice");

        assertThat(listing.statusCode()).isEqualTo(200);
        assertThat(listing.body()).doesNotContain(id);
        JsonNode sessions = JSON.readTree(listing.body()).get("sessions");
        assertThat(sessions).hasSize(1);
        JsonNode session = sessions.get(0);
        assertThat(session.get("key").asText()).isEqualTo(key);
        assertThat(session.get("principal").asText()).isEqualTo("alice");
        for (String time : new String[] {"createdAt", "lastAccessedAt", "idleDeadline", "expiresAt"}) {
            assertThat(Instant.parse(session.get(time).asText())).as(time).isNotNull();
        }
        assertThat(Instant.parse(session.get("expiresAt").asText())).isAfter(Instant.parse(session.get("lastAccessedAt").asText()));
        assertThat(session.get("sizeInBytes").asLong()).isPositive();

        String token = browser.csrfToken(port, "/logout");
        HttpResponse<String> deleted = browser.delete(port, "/actuator/sessions/" + key, token);

        assertThat(deleted.statusCode()).isEqualTo(204);
        assertThat(browser.get(port, "/secret").statusCode()).isEqualTo(302);
    }

    @Test
    void sessionsEndpointWhenGivenABadUserNameOrKeyThenAnswers4xxWithTheReason() throws Exception {
        logIn();
        String token = browser.csrfToken(port, "/logout");

        HttpResponse<String> noName = browser.get(port, "/actuator/sessions");
        HttpResponse<String> badName = browser.get(port, "/actuator/sessions?username=%01alice");
        HttpResponse<String> badKey = browser.delete(port, "/actuator/sessions/../../etc/passwd", token);
        HttpResponse<String> shortKey = browser.delete(port, "/actuator/sessions/v1abc", token);
        HttpResponse<String> unknownKey = browser.delete(port, "/actuator/sessions/v1" + "0".repeat(64), token);

        assertThat(noName.statusCode()).isEqualTo(400);
        assertThat(badName.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(badName.body()).get("message").asText()).contains("control characters");
        assertThat(badKey.statusCode()).isBetween(400, 404);
        assertThat(shortKey.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(shortKey.body()).get("message").asText()).startsWith("not a session key");
        assertThat(unknownKey.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(unknownKey.body()).get("message").asText()).isEqualTo("no live session has this key");
        assertThat(browser.get(port, "/secret").statusCode()).isEqualTo(200);
    }

    @Test
    void sessionsStartedWhenAUserLoggedInThenCountsAtLeastTheirSession() throws Exception {
        logIn();

        HttpResponse<String> meter = browser.get(port, "/actuator/metrics/cloakroom.sessions.started");

        assertThat(meter.statusCode()).isEqualTo(200);
        JsonNode count = JSON.readTree(meter.body()).at("/measurements/0");
        assertThat(count.get("statistic").asText()).isEqualTo("COUNT");
        assertThat(count.get("value").asDouble()).isGreaterThanOrEqualTo(1);
    }

    private void logIn() {
        String token = browser.csrfToken(port, "/login");
        HttpResponse<String> login = browser.post(port, "/login", Map.of("username", "alice", "password", PASSWORD, "_csrf", token));
        assertThat(login.statusCode()).isEqualTo(302);
    }
}
