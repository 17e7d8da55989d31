package dev.cloakroom.demo;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cloakroom.SessionKey;
import dev.cloakroom.Settings;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * What the seed's author did by hand, in a real browser (headless Chromium) on each store: upload a text file through
 * the form, read it on the action page, look at the cookie and at what the store holds, delete the cookie, and wait
 * past a short lifetime. Besides the store servers it needs Debian's {@code chromium} and {@code chromium-driver}
 * (installed by {@code .ci/run}), so it is a server test. Screenshots of both pages are saved in
 * {@code target/screenshots}.
 */
@Tag("server")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BrowserDemoTest {
    private static final String NOTHING_UPLOADED = "You have not yet uploaded a file";
    /** How often the store is looked at while a session is expected to be swept. */
    private static final Duration POLL = Duration.ofMillis(200);

    @TempDir
    Path files;

    private static DemoApp start(DemoStore.Opened store, String... extra) {
        Map<String, String> values = new HashMap<>(store.settings());
        values.put("PORT", "0");
        for (int i = 0; i < extra.length; i += 2) {
            values.put(extra[i], extra[i + 1]);
        }
        return DemoApp.start(Settings.of(values));
    }

    // Proves docs/persistence.md#raw-id
    @ParameterizedTest
    @EnumSource(DemoStore.class)
    void uploadWhenThroughTheFormThenActionShowsTheLinesAsTextAndTheStoreOneRecordUnderTheHashedKey(DemoStore kind)
            throws Exception {
        try (DemoStore.Opened store = kind.open(); DemoApp app = start(store); HeadlessChromium chromium = new HeadlessChromium()) {
            WebDriver driver = chromium.driver();
            driver.get(app.uri().toString());
            assertThat(driver.getTitle()).isEqualTo("Experimental Greeting");
            chooseFile(driver, "notes.txt", "first line\n  two leading spaces\n<b>bold</b> & \"quoted\"\n");
            chromium.screenshot(kind.name().toLowerCase() + "-upload");

            submit(driver, app.uri());

            assertThat(driver.getTitle()).isEqualTo("This is what you asked for!");
            assertThat(bodyText(driver))
                    .contains("first line\n")
                    .contains("\n  two leading spaces\n")
                    .contains("\n<b>bold</b> & \"quoted\"\n")
                    .contains("Uploads in this session: 1")
                    .doesNotContain(NOTHING_UPLOADED);
            assertThat(driver.findElements(By.tagName("b"))).as("the uploaded markup is text, not an element").isEmpty();
            chromium.screenshot(kind.name().toLowerCase() + "-action");

            Cookie cookie = driver.manage().getCookieNamed(Browser.COOKIE);
            assertThat(cookie).isNotNull();
            assertThat(cookie.isHttpOnly()).isTrue();
            assertThat(cookie.getSameSite()).isEqualTo("Lax");
            assertThat(cookie.getPath()).isEqualTo("/");
            assertThat(cookie.getValue()).hasSize(43);
            assertThat(store.recordNames())
                    .containsExactly(store.recordName(SessionKey.of(cookie.getValue())))
                    .allSatisfy(name -> assertThat(name).doesNotContain(cookie.getValue()));
        }
    }

    // Proves docs/persistence.md#expired-cookie
    @ParameterizedTest
    @EnumSource(DemoStore.class)
    void cookieWhenDeletedInTheBrowserThenNothingUploadedAndTheNextUploadGetsANewId(DemoStore kind) throws Exception {
        try (DemoStore.Opened store = kind.open(); DemoApp app = start(store); HeadlessChromium chromium = new HeadlessChromium()) {
            WebDriver driver = chromium.driver();
            upload(driver, app.uri(), "first.txt", "first upload");
            String firstId = driver.manage().getCookieNamed(Browser.COOKIE).getValue();

            driver.manage().deleteCookieNamed(Browser.COOKIE);
            driver.navigate().refresh();

            assertThat(bodyText(driver)).contains(NOTHING_UPLOADED).contains("Uploads in this session: 0")
                    .doesNotContain("first upload");
            assertThat(driver.manage().getCookieNamed(Browser.COOKIE)).as("reading creates no session").isNull();

            upload(driver, app.uri(), "second.txt", "second upload");

            String secondId = driver.manage().getCookieNamed(Browser.COOKIE).getValue();
            assertThat(secondId).hasSize(43).isNotEqualTo(firstId);
            assertThat(bodyText(driver)).contains("second upload").contains("Uploads in this session: 1")
                    .doesNotContain("first upload");
            assertThat(store.recordNames()).containsExactlyInAnyOrder(
                    store.recordName(SessionKey.of(firstId)), store.recordName(SessionKey.of(secondId)));
        }
    }

    /**
     * With a browser-session cookie ({@code SESSION_PERMANENT=false}) the browser keeps presenting the id after the
     * session's lifetime, as the seed observed; the store must have swept the session by itself, and the page must
     * show nothing for the stale id.
     */
    // Proves docs/persistence.md#expired-cookie
    // Proves docs/persistence.md#session-permanent
    @ParameterizedTest
    @EnumSource(DemoStore.class)
    void sessionWhenIdlePastItsLifetimeThenSweptFromTheStoreAndGoneFromThePage(DemoStore kind) throws Exception {
        Duration lifetime = Duration.ofSeconds(2);
        try (DemoStore.Opened store = kind.open();
             DemoApp app = start(store, "PERMANENT_SESSION_LIFETIME", String.valueOf(lifetime.toSeconds()),
                     "SESSION_CLEANUP_INTERVAL", "1", "SESSION_PERMANENT", "false");
             HeadlessChromium chromium = new HeadlessChromium()) {
            WebDriver driver = chromium.driver();
            Instant uploaded = Instant.now();
            upload(driver, app.uri(), "short.txt", "short-lived line");
            String id = driver.manage().getCookieNamed(Browser.COOKIE).getValue();
            assertThat(bodyText(driver)).contains("short-lived line");
            assertThat(store.recordNames()).containsExactly(store.recordName(SessionKey.of(id)));

            awaitTrue(Duration.ofSeconds(20), () -> store.recordNames().isEmpty(), kind + " sweeping the expired session");

            assertThat(Duration.between(uploaded, Instant.now())).as("not swept before its lifetime").isGreaterThanOrEqualTo(lifetime);
            assertThat(driver.manage().getCookieNamed(Browser.COOKIE).getValue()).as("the browser still sends the id").isEqualTo(id);
            driver.navigate().refresh();
            assertThat(bodyText(driver)).contains(NOTHING_UPLOADED).contains("Uploads in this session: 0")
                    .doesNotContain("short-lived line");
            assertThat(store.recordNames()).as("reading a stale id stores nothing").isEmpty();
        }
    }

    /** Chooses, in the upload form's file input, a new file {@code name} holding {@code content}. */
    private void chooseFile(WebDriver driver, String name, String content) throws Exception {
        Path file = Files.writeString(files.resolve(name), content, UTF_8);
        driver.findElement(By.name("textfile")).sendKeys(file.toAbsolutePath().toString());
    }

    /** Presses Upload and waits for the redirect to the action page. */
    private static void submit(WebDriver driver, URI base) {
        driver.findElement(By.cssSelector("input[type=submit]")).click();
        new WebDriverWait(driver, HeadlessChromium.TIMEOUT).until(ExpectedConditions.urlToBe(base.resolve("/action").toString()));
    }

    private void upload(WebDriver driver, URI base, String name, String content) throws Exception {
        driver.get(base.toString());
        chooseFile(driver, name, content);
        submit(driver, base);
    }

    private static String bodyText(WebDriver driver) {
        return driver.findElement(By.tagName("body")).getText();
    }

    private static void awaitTrue(Duration timeout, Callable<Boolean> condition, String what) throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        while (!condition.call()) {
            assertThat(Instant.now()).as("waited %s for %s", timeout, what).isBefore(deadline);
            Thread.sleep(POLL.toMillis());
        }
    }
}
