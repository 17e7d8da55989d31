package dev.cloakroom.servlet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The no-argument filter, configured the {@code web.xml} way: by init-params, on Jetty. */
@Tag("unit")
class CloakroomFilterInitTest {
    @BeforeEach
    void onlyOnJettysServletApi() {
        assumeFalse(TestServer.servletApi61(), "Jetty ee10 runs on the Servlet 6.0 jar");
    }

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void initWhenGivenSettingsAsInitParamsThenBuildsTheManagerFromThem() throws Exception {
        try (TestServer server = JettyTestServer.start(new CloakroomFilter(), new TestApp(),
                Map.of("SESSION_TYPE", "memory", "SESSION_COOKIE_NAME", "sid", "SESSION_PERMANENT", "false"))) {
            HttpResponse<String> set = http.send(HttpRequest.newBuilder(server.base().resolve("/set?name=a&value=1")).build(),
                    HttpResponse.BodyHandlers.ofString());
            String cookie = set.headers().firstValue("Set-Cookie").orElseThrow();
            assertThat(cookie).matches("sid=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Lax");

            HttpResponse<String> get = http.send(HttpRequest.newBuilder(server.base().resolve("/get?name=a"))
                    .header("Cookie", cookie.substring(0, cookie.indexOf(';'))).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(get.body()).isEqualTo("1");
        }
    }

    @Test
    void initWhenSettingIsInvalidThenContainerRefusesToStart() {
        assertThatThrownBy(() -> JettyTestServer.start(new CloakroomFilter(), new TestApp(),
                Map.of("SESSION_TYPE", "memory", "PERMANENT_SESSION_LIFETIME", "soon")).close())
                .hasStackTraceContaining("PERMANENT_SESSION_LIFETIME");
    }
}
