package dev.cloakroom.servlet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.memory.MemorySessionStore;
import dev.cloakroom.SessionManager;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code SESSION_COOKIE_SECURE=auto} follows {@code request.isSecure()} as the container reports it. */
@Tag("unit")
class JettySecureRequestTest {
    @BeforeEach
    void onlyOnJettysServletApi() {
        assumeFalse(TestServer.servletApi61(), "Jetty ee10 runs on the Servlet 6.0 jar");
    }

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void cookieWhenContainerReportsSecureRequestThenSecureUnderAuto() throws Exception {
        // trustForwardedProto stays off: the filter itself ignores the header; the container's customizer decides.
        try (SessionManager manager = SessionManager.builder(new MemorySessionStore()).config(CloakroomConfig.builder().build())
                .sweeping(false).build();
             TestServer server = JettyTestServer.startBehindProxy(new CloakroomFilter(manager), new TestApp())) {
            String secure = setCookie(server, "https");
            String plain = setCookie(server, "http");

            assertThat(secure).contains("; Secure");
            assertThat(plain).doesNotContain("Secure");
        }
    }

    private String setCookie(TestServer server, String proto) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(server.base().resolve("/set?name=a&value=1"))
                .header("X-Forwarded-Proto", proto).build(), HttpResponse.BodyHandlers.ofString());
        return response.headers().firstValue("Set-Cookie").orElseThrow();
    }
}
