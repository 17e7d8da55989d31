package dev.cloakroom.example.boot;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.servlet.http.HttpSessionAttributeListener;
import jakarta.servlet.http.HttpSessionBindingEvent;
import jakarta.servlet.http.HttpSessionEvent;
import jakarta.servlet.http.HttpSessionIdListener;
import jakarta.servlet.http.HttpSessionListener;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * {@code HttpSessionListener}, {@code HttpSessionIdListener} and {@code HttpSessionAttributeListener} beans of a Boot
 * app hear about Cloakroom's sessions, each event once (the container, which Boot also gives them to, never has a
 * session of its own): creation, the id change of Spring Security's session fixation protection at login, the security
 * context stored, the end at logout. Filesystem store, over HTTP.
 */
@Tag("unit")
@SpringBootTest(classes = {CloakroomExampleApplication.class, SessionListenersTest.Listeners.class},
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"example.password=" + SessionListenersTest.PASSWORD, "cloakroom.cookie.secure=never", "cloakroom.sweeper=false"})
// The folder goes at @AfterAll: the context must not outlive it in the cache.
@DirtiesContext
class SessionListenersTest {
    static final String PASSWORD = "listener-test-password";
    private static final String COOKIE = "session";

    @TempDir
    static Path folder;

    @LocalServerPort
    int port;

    @Autowired
    Recorder recorder;

    @Autowired
    ApplicationContext context;

    private final Browser browser = new Browser();

    @DynamicPropertySource
    static void store(DynamicPropertyRegistry registry) {
        registry.add("cloakroom.filesystem.dir", () -> folder.resolve("sessions").toString());
    }

    @Test
    void listenersWhenASessionIsCreatedLoggedInAndLoggedOutThenToldEachStepOnceWithTheIdsTheBrowserHeld() {
        String token = browser.csrfToken(port, "/login");
        String before = browser.cookie(COOKIE).orElseThrow();
        HttpResponse<String> login = browser.post(port, "/login", Map.of("username", "alice", "password", PASSWORD, "_csrf", token));
        assertThat(login.statusCode()).isEqualTo(302);
        String after = browser.cookie(COOKIE).orElseThrow();
        assertThat(recorder.events()).containsExactly("created " + before, "id changed " + before + " to " + after);
        assertThat(recorder.attributes()).containsOnlyOnce("added SPRING_SECURITY_CONTEXT");

        HttpResponse<String> logout = browser.post(port, "/logout", Map.of("_csrf", browser.csrfToken(port, "/logout")));

        assertThat(logout.statusCode()).isEqualTo(302);
        assertThat(recorder.events()).containsExactly("created " + before, "id changed " + before + " to " + after, "destroyed " + after);
        assertThat(browser.cookiesSet()).doesNotContain("JSESSIONID");
        ExpectedWebServer.assertStartedBy(context);
    }

    @TestConfiguration(proxyBeanMethods = false)
    static class Listeners {
        @Bean
        Recorder recorder() {
            return new Recorder();
        }
    }

    /** The three kinds of listener in one bean, as an app's audit bean might be; the starter hands it each event once. */
    static final class Recorder implements HttpSessionListener, HttpSessionIdListener, HttpSessionAttributeListener {
        private final List<String> events = new CopyOnWriteArrayList<>();
        private final List<String> attributes = new CopyOnWriteArrayList<>();

        @Override
        public void sessionCreated(HttpSessionEvent event) {
            events.add("created " + event.getSession().getId());
        }

        @Override
        public void sessionDestroyed(HttpSessionEvent event) {
            events.add("destroyed " + event.getSession().getId());
        }

        @Override
        public void sessionIdChanged(HttpSessionEvent event, String oldSessionId) {
            events.add("id changed " + oldSessionId + " to " + event.getSession().getId());
        }

        @Override
        public void attributeAdded(HttpSessionBindingEvent event) {
            attributes.add("added " + event.getName());
        }

        List<String> events() {
            return List.copyOf(events);
        }

        List<String> attributes() {
            return List.copyOf(attributes);
        }
    }
}
