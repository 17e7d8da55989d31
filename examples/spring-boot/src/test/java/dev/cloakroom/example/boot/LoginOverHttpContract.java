package dev.cloakroom.example.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloakroom.SessionKey;
import dev.cloakroom.spi.SessionStore;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.annotation.DirtiesContext;

/**
 * The example app over real HTTP, on the store a subclass configures: Spring Security's form login with CSRF, the
 * saved request, session fixation protection, logout, a second instance on the same store; and what the store holds.
 */
@SpringBootTest(classes = CloakroomExampleApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"example.password=" + LoginOverHttpContract.PASSWORD, "cloakroom.cookie.secure=never", "cloakroom.sweeper=false"})
// Each class's store is removed in its @AfterAll, before its context closes: no sweeper may run against it meanwhile.
@DirtiesContext
abstract class LoginOverHttpContract {
    static final String PASSWORD = "Tr0ub4dor-and-3-horses-never-stored";
    private static final String COOKIE = "session";

    @LocalServerPort
    int port;

    @Autowired
    SessionStore store;

    final Browser browser = new Browser();

    /** Every {@code cloakroom.*} (and Boot) property the subclass's {@code @DynamicPropertySource} sets. */
    abstract Map<String, String> storeProperties();

    /** Everything the store holds for this test class, as text: file names and contents, rows, keys and values. */
    abstract List<String> storedText() throws Exception;

    @AfterEach
    void containerNeverIssuedASessionOfItsOwn() {
        assertThat(browser.cookiesSet()).doesNotContain("JSESSIONID");
    }

    @Test
    void loginPageWhenFetchedThenAnswersWithCsrfTokenKeptInCloakroomSession() {
        HttpResponse<String> page = browser.get(port, "/login");

        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("name=\"_csrf\"");
        String id = browser.cookie(COOKIE).orElseThrow();
        assertThat(store.load(SessionKey.of(id))).isPresent();
    }

    @Test
    void secretWhenLoggedInThenServedThroughSavedRequestUnderNewSessionId() throws Exception {
        HttpResponse<String> secret = browser.get(port, "/secret");
        assertThat(secret.statusCode()).isEqualTo(302);
        assertThat(secret.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/login"));
        String before = browser.cookie(COOKIE).orElseThrow();

        HttpResponse<String> login = logIn();

        assertThat(login.statusCode()).isEqualTo(302);
        assertThat(login.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/secret?continue"));
        String after = browser.cookie(COOKIE).orElseThrow();
        assertThat(after).isNotEqualTo(before);
        assertThat(store.load(SessionKey.of(before))).isEmpty();
        assertThat(store.load(SessionKey.of(after))).isPresent();
        HttpResponse<String> page = browser.get(port, "/secret?continue");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).isEqualTo("the secret of alice");
        assertThat(storedText()).isNotEmpty().noneMatch(text -> text.contains(before) || text.contains(after) || text.contains(PASSWORD));
    }

    @Test
    void logoutWhenPostedThenSessionGoneFromStoreAndItsCookieNoLongerServes() {
        logIn();
        String id = browser.cookie(COOKIE).orElseThrow();
        assertThat(browser.get(port, "/secret").statusCode()).isEqualTo(200);

        HttpResponse<String> logout = browser.post(port, "/logout", Map.of("_csrf", browser.csrfToken(port, "/logout")));

        assertThat(logout.statusCode()).isEqualTo(302);
        assertThat(logout.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/login?logout"));
        assertThat(store.load(SessionKey.of(id))).isEmpty();
        browser.restoreCookie(COOKIE, id);
        assertThat(browser.get(port, "/secret").statusCode()).isEqualTo(302);
    }

    @Test
    void cookieWhenPresentedToAnotherInstanceOnTheSameStoreThenStillLoggedIn() {
        logIn();
        String id = browser.cookie(COOKIE).orElseThrow();

        // As command-line arguments, which win over application.properties as the test's own properties do.
        try (ConfigurableApplicationContext second = new SpringApplicationBuilder(CloakroomExampleApplication.class)
                .run(arguments(storeProperties()))) {
            int secondPort = Integer.parseInt(second.getEnvironment().getProperty("local.server.port"));
            HttpResponse<String> page = browser.get(secondPort, "/secret");

            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).isEqualTo("the secret of alice");
            assertThat(browser.cookie(COOKIE)).hasValue(id);
        }
    }

    private HttpResponse<String> logIn() {
        String token = browser.csrfToken(port, "/login");
        return browser.post(port, "/login", Map.of("username", "alice", "password", PASSWORD, "_csrf", token));
    }

    private static String[] arguments(Map<String, String> storeProperties) {
        Map<String, String> properties = new LinkedHashMap<>(storeProperties);
        properties.putAll(Map.of("server.port", "0", "example.password", PASSWORD, "cloakroom.cookie.secure", "never", "cloakroom.sweeper", "false"));
        return properties.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue()).toArray(String[]::new);
    }
}
