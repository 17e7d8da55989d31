package dev.cloakroom.demo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.remote.http.ClientConfig;

/**
 * Debian's Chromium ({@value #BROWSER}) driven through Debian's {@value #DRIVER}, headless, with a fresh profile that
 * is deleted on {@link #close()}. Both paths are given to Selenium, so Selenium Manager never runs and nothing is
 * downloaded; `.ci/run` installs the two packages.
 */
final class HeadlessChromium implements AutoCloseable {
    static final String BROWSER = "/usr/bin/chromium";
    static final String DRIVER = "/usr/bin/chromedriver";
    /** Bound on starting chromedriver, on every WebDriver command, on a page load and on a wait for a page. */
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final Path profile;
    private final ChromeDriver driver;

    HeadlessChromium() throws IOException {
        profile = Files.createTempDirectory("cloakroom-chromium-");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(Path.of(DRIVER).toFile())
                .usingAnyFreePort()
                .withTimeout(TIMEOUT)
                .withSilent(true)
                .build();
        ChromeOptions options = new ChromeOptions().setBinary(BROWSER).addArguments(
                // root in a container: no user namespace for the sandbox, a small /dev/shm, no GPU
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                // the test talks to 127.0.0.1 only: no call home, no updates, no sync
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--window-size=1024,768", "--user-data-dir=" + profile);
        try {
            driver = new ChromeDriver(service, options, ClientConfig.defaultConfig().readTimeout(TIMEOUT));
        } catch (RuntimeException e) {
            service.stop();
            deleteProfile();
            throw e;
        }
        driver.manage().timeouts().pageLoadTimeout(TIMEOUT).scriptTimeout(TIMEOUT);
    }

    ChromeDriver driver() {
        return driver;
    }

    /** Saves what the browser shows now as {@code <name>.png} under {@code target/screenshots}. */
    Path screenshot(String name) throws IOException {
        Path dir = Files.createDirectories(Path.of("target", "screenshots"));
        return Files.write(dir.resolve(name + ".png"), driver.getScreenshotAs(OutputType.BYTES));
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            deleteProfile();
        }
    }

    private void deleteProfile() {
        try (Stream<Path> walk = Files.walk(profile)) {
            for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete the Chromium profile " + profile, e);
        }
    }
}
