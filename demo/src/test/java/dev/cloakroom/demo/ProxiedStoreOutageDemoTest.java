package dev.cloakroom.demo;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cloakroom.Settings;
import dev.cloakroom.testkit.TcpProxy;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The demo over real HTTP on a store server reached through a {@link TcpProxy}, so that the server can be taken away
 * without stopping it for the other tests that share it: while the server is down or hanging every request that uses
 * the session answers 503 within the store timeout, and once it is back the same cookie sees its upload again, with no
 * restart of the app. Subclasses name the server and clean up what the run left in it.
 */
abstract class ProxiedStoreOutageDemoTest {

    /** How the server is taken away. */
    enum Outage {
        /** The server is down: connections are reset. */
        REFUSED(TcpProxy::refuse),
        /** The server hangs: connections are accepted and nothing is answered, so only timeouts help. */
        HANGING(TcpProxy::blackhole);

        private final Consumer<TcpProxy> begin;

        Outage(Consumer<TcpProxy> begin) {
            this.begin = begin;
        }

        void begin(TcpProxy proxy) {
            begin.accept(proxy);
        }
    }

    /** More than the JDBC pool's default 10 connections, so that some requests wait for a connection. */
    private static final int PARALLEL_VISITORS = 20;

    private TcpProxy proxy;
    private DemoApp app;

    /** Port of the real server on 127.0.0.1. */
    abstract int serverPort();

    /** A short name for the {@code MEASURED:} lines. */
    abstract String storeName();

    /** The demo's store settings ({@code SESSION_TYPE}, ...) for the server reached at 127.0.0.1:{@code proxyPort}. */
    abstract Map<String, String> storeSettings(int proxyPort);

    /** Removes what this test instance left in the real server (its table, its keys). */
    abstract void removeStoredSessions() throws Exception;

    @BeforeEach
    void openProxy() {
        proxy = TcpProxy.to("127.0.0.1", serverPort());
    }

    @AfterEach
    void stopAndCleanUp() throws Exception {
        try {
            if (app != null) {
                app.close();
            }
        } finally {
            proxy.close();
            removeStoredSessions();
        }
    }

    private DemoApp start() {
        Map<String, String> values = new HashMap<>(storeSettings(proxy.port()));
        values.put("PORT", "0");
        app = DemoApp.start(Settings.of(values));
        return app;
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Outage.class)
    void actionWhenStoreOutThen503WithinTheBoundAndTheSameCookieGetsItsUploadBack(Outage outage) throws Exception {
        Browser browser = new Browser(start().uri());
        uploadAndSee(browser, "kept  through\nthe outage", 1);
        String cookie = browser.cookie().orElseThrow();

        outage.begin(proxy);
        Outages.Timed action = Outages.timed(storeName() + " " + outage + ": GET /action", () -> browser.get("/action"));
        Outages.assertUnavailableWithinBound(action);
        Outages.Timed again = Outages.timed(storeName() + " " + outage + ": GET /action again", () -> browser.get("/action"));
        Outages.assertUnavailableWithinBound(again);
        // The 404 page never opens the session, so it does not wait for the store at all.
        Outages.Timed missing = Outages.timed(storeName() + " " + outage + ": GET /missing (no session use)",
                () -> browser.get("/missing"));
        assertThat(missing.response().statusCode()).isEqualTo(404);
        assertThat(missing.took()).isLessThan(Outages.STORE_TIMEOUT);
        assertThat(browser.cookie()).contains(cookie);

        proxy.restore();
        HttpResponse<String> back = Outages.awaitServed(storeName() + " " + outage, browser, "/action");
        assertThat(back.body()).contains("kept&nbsp;&nbsp;through<br>").contains("the&nbsp;outage<br>")
                .contains("Uploads in this session: 1");
        assertThat(browser.cookie()).contains(cookie);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Outage.class)
    void uploadWhenStoreOutThen503AndAfterwardsTheOldUploadIsIntactAndNewOnesAreKept(Outage outage) throws Exception {
        Browser browser = new Browser(start().uri());
        uploadAndSee(browser, "the old upload", 1);
        String cookie = browser.cookie().orElseThrow();

        outage.begin(proxy);
        Outages.Timed upload = Outages.timed(storeName() + " " + outage + ": POST / (upload)",
                () -> browser.upload("lost.txt", "never stored".getBytes(UTF_8)));
        Outages.assertUnavailableWithinBound(upload);
        assertThat(browser.cookie()).contains(cookie);

        proxy.restore();
        HttpResponse<String> back = Outages.awaitServed(storeName() + " " + outage + " after a refused upload", browser, "/action");
        assertThat(back.body()).contains("the&nbsp;old&nbsp;upload<br>").doesNotContain("never")
                .contains("Uploads in this session: 1");
        uploadAndSee(browser, "after the outage", 2);
        assertThat(browser.cookie()).contains(cookie);
    }

    @Test
    void actionWhenStoreHangsUnderParallelVisitorsThenEveryOneGets503WithinTheBoundAndLaterItsOwnUpload() throws Exception {
        URI uri = start().uri();
        int visitors = PARALLEL_VISITORS;
        List<Browser> browsers = new ArrayList<>();
        for (int i = 0; i < visitors; i++) {
            Browser browser = new Browser(uri);
            uploadAndSee(browser, "visitor " + i, 1);
            browsers.add(browser);
        }

        Outage.HANGING.begin(proxy);
        ExecutorService pool = Executors.newFixedThreadPool(visitors);
        List<Outages.Timed> answers = new ArrayList<>();
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Outages.Timed>> pending = new ArrayList<>();
            for (Browser browser : browsers) {
                pending.add(pool.submit(() -> {
                    go.await();
                    long started = System.nanoTime();
                    HttpResponse<String> response = browser.get("/action");
                    return new Outages.Timed(response, Duration.ofNanos(System.nanoTime() - started));
                }));
            }
            go.countDown();
            for (Future<Outages.Timed> answer : pending) {
                answers.add(answer.get(30, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
        Duration slowest = answers.stream().map(Outages.Timed::took).max(Duration::compareTo).orElseThrow();
        System.out.printf("MEASURED: %s HANGING: %d parallel GET /action, slowest 503 in %d ms%n", storeName(), visitors,
                slowest.toMillis());
        answers.forEach(Outages::assertUnavailableWithinBound);

        proxy.restore();
        for (int i = 0; i < visitors; i++) {
            HttpResponse<String> back = Outages.awaitServed(storeName() + " HANGING, visitor " + i, browsers.get(i), "/action");
            assertThat(back.body()).contains("visitor&nbsp;" + i + "<br>").contains("Uploads in this session: 1");
        }
    }

    @Test
    void startWhenStoreDownThenTheAppStartsRefusesUploadsAndServesThemOnceTheStoreIsBack() throws Exception {
        proxy.refuse();
        long started = System.nanoTime();
        Browser browser = new Browser(start().uri());
        Duration startUp = Duration.ofNanos(System.nanoTime() - started);
        System.out.printf("MEASURED: %s REFUSED at start: the demo started in %d ms%n", storeName(), startUp.toMillis());
        assertThat(startUp).as("start-up with the store down").isLessThan(Outages.BOUND);

        Outages.Timed upload = Outages.timed(storeName() + " REFUSED at start: POST / (upload)",
                () -> browser.upload("first.txt", "first".getBytes(UTF_8)));
        Outages.assertUnavailableWithinBound(upload);
        assertThat(browser.cookie()).isEmpty();

        proxy.restore();
        long restored = System.nanoTime();
        long deadline = restored + Outages.RECOVERY.toNanos();
        HttpResponse<String> posted = browser.upload("first.txt", "first".getBytes(UTF_8));
        while (posted.statusCode() == 503 && System.nanoTime() < deadline) {
            Thread.sleep(100);
            posted = browser.upload("first.txt", "first".getBytes(UTF_8));
        }
        System.out.printf("MEASURED: %s REFUSED at start: upload stored %d ms after the restore%n", storeName(),
                Duration.ofNanos(System.nanoTime() - restored).toMillis());
        assertThat(posted.statusCode()).isIn(302, 303);
        assertThat(browser.get("/action").body()).contains("first<br>").contains("Uploads in this session: 1");
    }

    /** Uploads {@code text}, follows the redirect and sees the lines with {@code uploads} counted. */
    private static void uploadAndSee(Browser browser, String text, int uploads) throws Exception {
        HttpResponse<String> posted = browser.upload("notes.txt", text.getBytes(UTF_8));
        assertThat(posted.statusCode()).isIn(302, 303);
        assertThat(posted.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/action"));
        HttpResponse<String> action = browser.get("/action");
        assertThat(action.statusCode()).isEqualTo(200);
        for (String line : text.split("\n")) {
            assertThat(action.body()).contains(line.replace(" ", "&nbsp;") + "<br>");
        }
        assertThat(action.body()).contains("Uploads in this session: " + uploads);
    }
}
