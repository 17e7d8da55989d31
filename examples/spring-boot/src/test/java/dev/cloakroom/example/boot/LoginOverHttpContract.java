package dev.cloakroom.example.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionManager;
import dev.cloakroom.example.provider.OidcProvider;
import dev.cloakroom.spi.SessionStore;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The example app over real HTTP, on the store a subclass configures: Spring Security's form login with CSRF, the
 * saved request, session fixation protection, remember-me, OpenID Connect login against a local provider, a flash
 * message, logout, a second instance on the same store, {@code maximumSessions(1)} across clients and instances,
 * "sign out everywhere"; and what the store holds. The web server is Tomcat, or Jetty in the build's Jetty execution,
 * which sets {@code example.web-server}.
 */
@SpringBootTest(classes = CloakroomExampleApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"example.password=" + LoginOverHttpContract.PASSWORD, "cloakroom.cookie.secure=never", "cloakroom.sweeper=false"})
// Each class's store is removed in its @AfterAll, before its context closes: no sweeper may run against it meanwhile.
@DirtiesContext
abstract class LoginOverHttpContract {
    static final String PASSWORD = "Tr0ub4dor-and-3-horses-never-stored";
    private static final String COOKIE = "session";
    private static final String REMEMBER_ME = "remember-me";

    // Started before the context, whose OAuth2 client reads the provider's discovery document at start.
    private static OidcProvider provider;

    @LocalServerPort
    int port;

    @Autowired
    SessionStore store;

    @Autowired
    ApplicationContext context;

    @Autowired
    SessionManager sessions;

    final Browser browser = new Browser();

    @BeforeAll
    static void startProvider() {
        provider = OidcProvider.start();
    }

    @AfterAll
    static void stopProvider() {
        provider.close();
    }

    // Called as the context loads, after @BeforeAll: the provider is up.
    @DynamicPropertySource
    static void oidcClient(DynamicPropertyRegistry registry) {
        provider.clientProperties().forEach((name, value) -> registry.add(name, () -> value));
    }

    /** Every {@code cloakroom.*} (and Boot) property the subclass's {@code @DynamicPropertySource} sets. */
    abstract Map<String, String> storeProperties();

    /** Everything the store holds for this test class, as text: file names and contents, rows, keys and values. */
    abstract List<String> storedText() throws Exception;

    @AfterEach
    void containerNeverIssuedASessionOfItsOwn() {
        assertThat(browser.cookiesSet()).doesNotContain("JSESSIONID");
    }

    @Test
    void webServerWhenStartedThenTheOneThisBuildExecutionAsksFor() {
        ExpectedWebServer.assertStartedBy(context);
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

        try (ConfigurableApplicationContext second = secondInstance(Map.of())) {
            HttpResponse<String> page = browser.get(portOf(second), "/secret");

            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).isEqualTo("the secret of alice");
            assertThat(browser.cookie(COOKIE)).hasValue(id);
        }
    }

    @Test
    void rememberMeWhenSessionCookieDroppedThenLoggedInAgainUnderANewSessionThatAloneKeepsTheLogin() throws Exception {
        String token = browser.csrfToken(port, "/login");
        HttpResponse<String> login = browser.post(port, "/login",
                Map.of("username", "alice", "password", PASSWORD, "remember-me", "on", "_csrf", token));
        assertThat(login.statusCode()).isEqualTo(302);
        String first = browser.cookie(COOKIE).orElseThrow();
        String rememberMe = browser.cookie(REMEMBER_ME).orElseThrow();

        browser.forgetCookie(COOKIE);
        HttpResponse<String> back = browser.get(port, "/secret");

        assertThat(back.statusCode()).isEqualTo(200);
        assertThat(back.body()).isEqualTo("the secret of alice");
        String second = browser.cookie(COOKIE).orElseThrow();
        assertThat(second).isNotEqualTo(first);
        // The remember-me login is now in the stored session: it serves without the remember-me cookie.
        browser.forgetCookie(REMEMBER_ME);
        assertThat(browser.get(port, "/secret").body()).isEqualTo("the secret of alice");
        assertThat(storedText()).noneMatch(text -> text.contains(first) || text.contains(second)
                || text.contains(rememberMe) || text.contains(PASSWORD));
    }

    @Test
    void logoutWhenLoggedInWithRememberMeThenTheRememberMeCookieIsClearedAndTheSessionEnds() {
        String token = browser.csrfToken(port, "/login");
        browser.post(port, "/login", Map.of("username", "alice", "password", PASSWORD, "remember-me", "on", "_csrf", token));
        String id = browser.cookie(COOKIE).orElseThrow();
        assertThat(browser.cookie(REMEMBER_ME)).isPresent();

        HttpResponse<String> logout = browser.post(port, "/logout", Map.of("_csrf", browser.csrfToken(port, "/logout")));

        assertThat(logout.statusCode()).isEqualTo(302);
        assertThat(browser.cookie(REMEMBER_ME)).isEmpty();
        assertThat(store.load(SessionKey.of(id))).isEmpty();
        // A remember-me cookie is signed, not stored: one kept after logout still logs in until it expires, as in any
        // Spring Security app with the hash-based default. So only the session cookie is checked here.
        browser.restoreCookie(COOKIE, id);
        assertThat(browser.get(port, "/secret").statusCode()).isEqualTo(302);
    }

    @Test
    void noteWhenPostedThenTheRedirectTargetShowsTheFlashMessageOnce() throws Exception {
        logIn();
        assertThat(browser.get(port, "/notes").body()).doesNotContain("id=\"flash\"");

        HttpResponse<String> saved = browser.post(port, "/notes", Map.of("text", "buy <milk>", "_csrf", browser.csrfToken(port, "/notes")));

        assertThat(saved.statusCode()).isEqualTo(302);
        assertThat(saved.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/notes"));
        assertThat(storedText()).anyMatch(text -> text.contains("buy <milk>"));
        HttpResponse<String> shown = browser.get(port, "/notes");
        assertThat(shown.statusCode()).isEqualTo(200);
        assertThat(shown.body()).contains("<p id=\"flash\">Saved: buy &lt;milk&gt;</p>");
        assertThat(browser.get(port, "/notes").body()).doesNotContain("id=\"flash\"");
        assertThat(storedText()).noneMatch(text -> text.contains("buy <milk>"));
    }

    @Test
    void noteWhenBlankOrTooLongThenBadRequestWithTheReasonAndNoFlashMessage() {
        logIn();
        String token = browser.csrfToken(port, "/notes");

        HttpResponse<String> blank = browser.post(port, "/notes", Map.of("text", " ", "_csrf", token));
        HttpResponse<String> missing = browser.post(port, "/notes", Map.of("_csrf", token));
        HttpResponse<String> tooLong = browser.post(port, "/notes", Map.of("text", "x".repeat(NotesController.MAX_LENGTH + 1), "_csrf", token));

        assertThat(List.of(blank, missing, tooLong)).allSatisfy(response -> {
            assertThat(response.statusCode()).isEqualTo(400);
            assertThat(response.body()).startsWith("a note is 1 to " + NotesController.MAX_LENGTH + " characters");
        });
        assertThat(browser.get(port, "/notes").body()).doesNotContain("id=\"flash\"");
    }

    @Test
    void oidcLoginWhenTheProviderLogsTheUserInThenTheSavedRequestIsServedUnderANewSessionId() throws Exception {
        assertThat(browser.get(port, "/secret").statusCode()).isEqualTo(302);
        String before = browser.cookie(COOKIE).orElseThrow();

        HttpResponse<String> toProvider = browser.get(port, "/oauth2/authorization/" + OidcProvider.REGISTRATION);
        URI authorize = location(toProvider);
        assertThat(authorize.toString()).startsWith(provider.issuer() + "/oauth2/authorize?");
        URI providerLogin = location(browser.get(authorize));
        String token = browser.csrfToken(providerLogin);
        URI authorizeAgain = location(browser.post(providerLogin,
                Map.of("username", OidcProvider.USER, "password", OidcProvider.PASSWORD, "_csrf", token)));
        URI callback = location(browser.get(authorizeAgain));
        assertThat(callback.toString()).startsWith("http://" + Browser.APP_HOST + ":" + port + "/login/oauth2/code/" + OidcProvider.REGISTRATION + "?code=");
        HttpResponse<String> loggedIn = browser.get(callback);

        assertThat(loggedIn.statusCode()).isEqualTo(302);
        assertThat(location(loggedIn).getPath()).isEqualTo("/secret");
        String after = browser.cookie(COOKIE).orElseThrow();
        assertThat(after).isNotEqualTo(before);
        assertThat(store.load(SessionKey.of(before))).isEmpty();
        HttpResponse<String> page = browser.get(location(loggedIn));
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).isEqualTo("the secret of " + OidcProvider.USER);
        assertThat(storedText()).noneMatch(text -> text.contains(before) || text.contains(after)
                || text.contains(OidcProvider.PASSWORD) || text.contains(OidcProvider.CLIENT_SECRET));
    }

    @Test
    void maximumSessionsWhenASecondClientThenAClientOfAnotherInstanceLogsInThenEachEndsTheSessionBefore() {
        logIn();
        String first = browser.cookie(COOKIE).orElseThrow();
        Browser phone = new Browser();

        assertThat(logIn(phone, port).statusCode()).isEqualTo(302);

        assertThat(store.load(SessionKey.of(first))).isEmpty();
        assertThat(browser.get(port, "/secret").statusCode()).isEqualTo(302);
        assertThat(phone.get(port, "/secret").statusCode()).isEqualTo(200);
        String second = phone.cookie(COOKIE).orElseThrow();
        try (ConfigurableApplicationContext other = secondInstance(Map.of())) {
            Browser laptop = new Browser();

            assertThat(logIn(laptop, portOf(other)).statusCode()).isEqualTo(302);

            assertThat(store.load(SessionKey.of(second))).isEmpty();
            assertThat(phone.get(port, "/secret").statusCode()).isEqualTo(302);
            assertThat(laptop.get(portOf(other), "/secret").body()).isEqualTo("the secret of alice");
            assertThat(sessions.sessionsOf("alice")).extracting(info -> info.key())
                    .containsExactly(SessionKey.of(laptop.cookie(COOKIE).orElseThrow()));
        }
    }

    @Test
    void signOutEverywhereWhenTheUserHasSessionsOnTwoInstancesThenNothingOfTheUserIsLeftInTheStore() throws Exception {
        logIn();
        String here = browser.cookie(COOKIE).orElseThrow();
        // The other instance lets a user keep any number of sessions, so both logins live on.
        try (ConfigurableApplicationContext other = secondInstance(Map.of("example.maximum-sessions", "-1"))) {
            Browser laptop = new Browser();
            assertThat(logIn(laptop, portOf(other)).statusCode()).isEqualTo(302);
            String there = laptop.cookie(COOKIE).orElseThrow();
            assertThat(sessions.sessionsOf("alice")).hasSize(2);

            HttpResponse<String> signedOut = browser.post(port, "/sign-out-everywhere", Map.of("_csrf", browser.csrfToken(port, "/logout")));

            assertThat(signedOut.statusCode()).isEqualTo(302);
            assertThat(signedOut.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/login?signed-out=2"));
            assertThat(sessions.sessionsOf("alice")).isEmpty();
            assertThat(store.load(SessionKey.of(here))).isEmpty();
            assertThat(store.load(SessionKey.of(there))).isEmpty();
            assertThat(laptop.get(portOf(other), "/secret").statusCode()).isEqualTo(302);
            browser.restoreCookie(COOKIE, here);
            assertThat(browser.get(port, "/secret").statusCode()).isEqualTo(302);
            // The file store's index names a user by the SHA-256 of the name, Redis's by its SHA-1.
            String sha256 = hex("SHA-256", "alice");
            String sha1 = hex("SHA-1", "alice");
            assertThat(storedText()).noneMatch(text -> text.contains("alice") || text.contains(sha256) || text.contains(sha1)
                    || text.contains(here) || text.contains(there) || text.contains(PASSWORD));
        }
    }

    private HttpResponse<String> logIn() {
        return logIn(browser, port);
    }

    private static HttpResponse<String> logIn(Browser browser, int port) {
        String token = browser.csrfToken(port, "/login");
        return browser.post(port, "/login", Map.of("username", "alice", "password", PASSWORD, "_csrf", token));
    }

    /** Another instance of the app on this class's store, with these properties on top. */
    private ConfigurableApplicationContext secondInstance(Map<String, String> more) {
        // As command-line arguments, which win over application.properties as the test's own properties do.
        Map<String, String> properties = new LinkedHashMap<>(storeProperties());
        properties.putAll(Map.of("server.port", "0", "example.password", PASSWORD, "cloakroom.cookie.secure", "never", "cloakroom.sweeper", "false"));
        properties.putAll(more);
        return new SpringApplicationBuilder(CloakroomExampleApplication.class)
                .run(properties.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue()).toArray(String[]::new));
    }

    private static String hex(String digest, String text) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance(digest).digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    private static int portOf(ConfigurableApplicationContext instance) {
        return Integer.parseInt(instance.getEnvironment().getProperty("local.server.port"));
    }

    private static URI location(HttpResponse<String> response) {
        assertThat(response.statusCode()).as("redirect from %s: %s", response.uri(), response.body()).isEqualTo(302);
        return response.uri().resolve(response.headers().firstValue("Location").orElseThrow());
    }

}
