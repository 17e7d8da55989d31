package dev.cloakroom.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.CookieSecure;
import dev.cloakroom.SameSite;
import dev.cloakroom.memory.MemorySessionStore;
import dev.cloakroom.SessionManager;
import dev.cloakroom.SessionMetrics;
import dev.cloakroom.file.FileSessionStore;
import dev.cloakroom.spi.SessionRecord;
import dev.cloakroom.spi.SessionStore;
import dev.cloakroom.testkit.TestClock;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The filter's behaviour over real HTTP, run against every container that extends it. Each test starts its own
 * container, manager and store.
 */
abstract class CloakroomFilterContract {
    private static final Pattern SESSION_COOKIE = Pattern.compile("session=([^;]*)(;.*)?");
    private static final String ID = "[A-Za-z0-9_-]{43}";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
            .followRedirects(HttpClient.Redirect.NEVER).build();
    final TestClock clock = new TestClock();
    ObservedStore store = new ObservedStore(new MemorySessionStore());
    RecordingListener recorder = new RecordingListener();
    final Queue<SessionMetrics.RejectedId> rejected = new ConcurrentLinkedQueue<>();
    final AtomicInteger updateConflicts = new AtomicInteger();
    SessionManager manager;
    TestServer server;
    /** How far the next {@code /get-sized} moves the clock once its body is written (once: it is then zero again). */
    final AtomicReference<Duration> afterBody = new AtomicReference<>(Duration.ZERO);
    /** Released by {@code /get-sized} once it has moved the clock: the client may have its answer before then. */
    final Semaphore bodyWritten = new Semaphore(0);

    abstract TestServer.Starter container();

    /** Whether this container runs on the Servlet API found on the class path (see {@link TestServer#servletApi61()}). */
    abstract boolean matchesServletApi();

    @BeforeEach
    void onlyInMatchingExecution() {
        Assumptions.assumeTrue(matchesServletApi(), "runs in the surefire execution with this container's Servlet API");
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            int containerSessions = server.containerSessions();
            server.close();
            server = null;
            assertThat(containerSessions).as("sessions the container created itself").isZero();
        }
        if (manager != null) {
            manager.close();
            manager = null;
        }
    }

    void start(UnaryOperator<CloakroomConfig.Builder> config) throws Exception {
        startOn(store, config);
    }

    /** On another store than the observed memory one; {@link #stop()} closes it with the manager. */
    void startOn(SessionStore sessionStore, UnaryOperator<CloakroomConfig.Builder> config) throws Exception {
        stop();
        ServletSessionEvents events = new ServletSessionEvents().add(recorder);
        manager = SessionManager.builder(sessionStore).config(config.apply(CloakroomConfig.builder()).build())
                .clock(clock).sweeping(false).listener(events).metrics(new SessionMetrics() {
                    @Override
                    public void idRejected(RejectedId reason) {
                        rejected.add(reason);
                    }

                    @Override
                    public void updateConflict() {
                        updateConflicts.incrementAndGet();
                    }
                }).build();
        server = container().start(new CloakroomFilter(manager, events), new TestApp(() -> {
            clock.advance(afterBody.getAndSet(Duration.ZERO));
            bodyWritten.release();
        }));
    }

    void start() throws Exception {
        start(b -> b);
    }

    /** One answer, with the session's {@code Set-Cookie} lines picked out. */
    record Reply(int status, String body, HttpResponse<String> raw) {
        /** Every {@code Set-Cookie} line, the session's and the application's. */
        List<String> setCookies() {
            return raw.headers().allValues("Set-Cookie");
        }

        List<String> sessionCookies() {
            return setCookies().stream().filter(h -> h.startsWith("session=")).toList();
        }

        String sessionCookie() {
            List<String> all = sessionCookies();
            assertThat(all).as("session Set-Cookie lines").hasSize(1);
            return all.get(0);
        }

        String cookieValue() {
            return valueOf(sessionCookie());
        }

        boolean clearsCookie() {
            return sessionCookie().startsWith("session=;") && sessionCookie().contains("Max-Age=0");
        }

        String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }
    }

    /** A client that keeps the session cookie the way a browser does. */
    final class Browser {
        String cookie;

        Reply get(String path, String... headers) throws Exception {
            Reply reply = send(path, cookie, headers);
            for (String line : reply.sessionCookies()) {
                cookie = line.contains("Max-Age=0") ? null : valueOf(line);
            }
            return reply;
        }
    }

    /** A browser whose session already holds {@code name=value}. */
    Browser browserWith(String name, String value) throws Exception {
        Browser browser = new Browser();
        assertThat(browser.get("/set?name=" + name + "&value=" + value).status()).isEqualTo(200);
        return browser;
    }

    /** The session id (and signature) a session {@code Set-Cookie} line carries; empty when it clears the cookie. */
    static String valueOf(String sessionSetCookie) {
        Matcher m = SESSION_COOKIE.matcher(sessionSetCookie);
        assertThat(m.matches()).as("a session Set-Cookie line: %s", sessionSetCookie).isTrue();
        return m.group(1);
    }

    /** A request for {@code path}, carrying the session cookie {@code cookie} unless it is null. */
    HttpRequest request(String path, String cookie, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(server.base().resolve(path)).timeout(Duration.ofSeconds(10));
        if (cookie != null) {
            request.header("Cookie", "session=" + cookie);
        }
        if (headers.length > 0) {
            request.headers(headers);
        }
        return request.build();
    }

    Reply send(String path, String cookie, String... headers) throws IOException, InterruptedException {
        return replyOf(http.send(request(path, cookie, headers), HttpResponse.BodyHandlers.ofString()));
    }

    private static Reply replyOf(HttpResponse<String> response) {
        Reply reply = new Reply(response.statusCode(), response.body(), response);
        // The container must never start a session of its own.
        assertThat(reply.setCookies()).noneMatch(h -> h.toUpperCase(Locale.ROOT).startsWith("JSESSIONID"));
        return reply;
    }

    SessionRecord onlyRecord() {
        List<SessionRecord> records = store.memory.snapshot();
        assertThat(records).hasSize(1);
        return records.get(0);
    }

    @Test
    void attributeWhenSetThenReadByLaterRequest() throws Exception {
        start();
        Browser browser = new Browser();
        assertThat(browser.get("/set?name=color&value=blue").status()).isEqualTo(200);
        assertThat(browser.cookie).matches(ID);

        assertThat(browser.get("/get?name=color").body()).isEqualTo("blue");
        assertThat(new Browser().get("/get?name=color").body()).isEqualTo("no session");
    }

    @Test
    void sessionWhenItHoldsNoDataThenNoCookieAndNoRecord() throws Exception {
        start();
        Reply reply = send("/touch", null);

        assertThat(reply.body()).isEqualTo("new=true");
        assertThat(reply.sessionCookies()).isEmpty();
        assertThat(store.memory.snapshot()).isEmpty();
        assertThat(store.writes.get()).isZero();
    }

    @Test
    void requestWhenItNeverAsksForTheSessionThenNoStoreIo() throws Exception {
        start();
        Browser browser = browserWith("a", "1");
        store.resetCounts();

        Reply reply = browser.get("/none");

        assertThat(reply.body()).isEqualTo("untouched");
        assertThat(store.calls()).isZero();
        assertThat(reply.sessionCookies()).isEmpty();
    }

    @Test
    void requestWhenItChangesNothingThenNoStoreWriteAndNoCookie() throws Exception {
        start();
        Browser browser = browserWith("a", "1");
        long version = onlyRecord().version();
        store.resetCounts();

        Reply reply = browser.get("/get?name=a");

        assertThat(reply.body()).isEqualTo("1");
        assertThat(reply.sessionCookies()).isEmpty();
        assertThat(store.writes.get()).isZero();
        assertThat(store.loads.get()).isEqualTo(1);
        assertThat(onlyRecord().version()).isEqualTo(version);
    }

    @Test
    void readOnlyRequestsWhenTouchIntervalPassedThenOneTouchWriteAndFreshMaxAge() throws Exception {
        start(b -> b.idleTimeout(Duration.ofMinutes(100)).touchRatio(0.1));
        Browser browser = browserWith("a", "1");
        store.resetCounts();

        clock.advance(Duration.ofMinutes(5));
        Reply early = browser.get("/get?name=a");
        assertThat(early.sessionCookies()).isEmpty();
        assertThat(store.writes.get()).isZero();

        clock.advance(Duration.ofMinutes(6));
        Reply due = browser.get("/get?name=a");
        assertThat(store.writes.get()).isEqualTo(1);
        assertThat(due.sessionCookie()).contains("; Max-Age=6000;");
        assertThat(onlyRecord().expiresAt()).isEqualTo(clock.instant().plus(Duration.ofMinutes(100)));
    }

    // Proves docs/persistence.md#lifecycle
    @Test
    void touchWhenDueOnlyOnceTheBodyIsWrittenThenLeftToTheNextRequestWhoseCookieCarriesIt() throws Exception {
        start(b -> b.idleTimeout(Duration.ofMinutes(100)).touchRatio(0.1));
        Browser browser = browserWith("a", "1");
        store.resetCounts();
        clock.advance(Duration.ofMinutes(9));
        afterBody.set(Duration.ofMinutes(2));

        Reply crossing = browser.get("/get-sized?name=a");
        // The container may complete the response at its declared length, before the servlet returns: wait for the
        // servlet, then give the filter's last commit (microseconds of work) time to run before looking at the store.
        assertThat(bodyWritten.tryAcquire(5, TimeUnit.SECONDS)).isTrue();
        Thread.sleep(200);
        assertThat(crossing.body()).isEqualTo("1");
        assertThat(crossing.sessionCookies()).as("the response was complete before the touch fell due").isEmpty();
        assertThat(store.writes.get()).as("a touch whose Max-Age could not reach the browser").isZero();

        Reply next = browser.get("/get?name=a");
        assertThat(store.writes.get()).isEqualTo(1);
        assertThat(next.sessionCookie()).contains("; Max-Age=6000;");
        assertThat(onlyRecord().expiresAt()).isEqualTo(clock.instant().plus(Duration.ofMinutes(100)));
    }

    @Test
    void cookieWhenPermanentThenHttpOnlyLaxRootPathAndMaxAge() throws Exception {
        start();
        Reply reply = send("/set?name=a&value=1", null);

        assertThat(reply.sessionCookie()).matches("session=" + ID + "; Path=/; Max-Age=2678400; HttpOnly; SameSite=Lax");
        assertThat(reply.header("Cache-Control")).isEqualTo("no-store");
    }

    @Test
    void cookieWhenAbsoluteLifetimeIsNearerThenMaxAgeCountsDownToIt() throws Exception {
        start(b -> b.absoluteTimeout(Duration.ofHours(1)));
        Browser browser = new Browser();
        assertThat(browser.get("/set?name=a&value=1").sessionCookie()).contains("; Max-Age=3600;");
        clock.advance(Duration.ofMinutes(10));

        assertThat(browser.get("/set?name=a&value=2").sessionCookie()).contains("; Max-Age=3000;");
    }

    @Test
    void cookieWhenSentTwiceUnderTheSameNameThenTheUsableOneWins() throws Exception {
        start();
        Browser browser = browserWith("a", "1");

        assertThat(send("/get?name=a", null, "Cookie", "session=planted-junk; session=" + browser.cookie).body()).isEqualTo("1");
        assertThat(send("/get?name=a", null, "Cookie", "session=" + browser.cookie + "; session=planted-junk").body()).isEqualTo("1");
    }

    @Test
    void cookieWhenNotPermanentThenBrowserSessionCookie() throws Exception {
        start(b -> b.permanent(false).sameSite(SameSite.STRICT));
        Reply reply = send("/set?name=a&value=1", null);

        assertThat(reply.sessionCookie()).matches("session=" + ID + "; Path=/; HttpOnly; SameSite=Strict");
    }

    @Test
    void cookieWhenNotPermanentAndTheSessionChangesThenNotSentAgain() throws Exception {
        start(b -> b.permanent(false));
        Browser browser = browserWith("a", "1");

        Reply changed = browser.get("/set?name=a&value=2");

        assertThat(changed.sessionCookies()).isEmpty();
        assertThat(browser.get("/get?name=a").body()).isEqualTo("2");
    }

    @Test
    void cookieWhenPermanentAndUpdateSavedTheSessionThenSentAgainWithAFreshMaxAge() throws Exception {
        start(b -> b.idleTimeout(Duration.ofMinutes(100)));
        Browser browser = new Browser();
        assertThat(browser.get("/increment").body()).isEqualTo("1");
        String cookie = browser.cookie;
        clock.advance(Duration.ofMinutes(1));

        Reply updated = browser.get("/increment");

        assertThat(updated.body()).isEqualTo("2");
        assertThat(updated.sessionCookie()).contains("; Max-Age=6000;");
        assertThat(updated.cookieValue()).isEqualTo(cookie);
    }

    @Test
    void cookieWhenForwardedProtoIsHttpsThenSecureOnlyIfTrusted() throws Exception {
        start();
        assertThat(send("/set?name=a&value=1", null, "X-Forwarded-Proto", "https").sessionCookie()).doesNotContain("Secure");

        start(b -> b.trustForwardedProto(true));
        assertThat(send("/set?name=a&value=1", null, "X-Forwarded-Proto", "https").sessionCookie()).contains("; Secure");
        assertThat(send("/set?name=a&value=1", null, "X-Forwarded-Proto", "http").sessionCookie()).doesNotContain("Secure");
        assertThat(send("/set?name=a&value=1", null).sessionCookie()).doesNotContain("Secure");

        start(b -> b.cookieSecure(CookieSecure.ALWAYS));
        assertThat(send("/set?name=a&value=1", null).sessionCookie()).contains("; Secure");
    }

    @Test
    void redirectWhenRightAfterSetAttributeThenCookieAndDataAlreadyThere() throws Exception {
        start();
        Reply reply = send("/redirect?name=msg&value=saved", null);

        assertThat(reply.status()).isEqualTo(302);
        // The cookie travels with the redirect, so it was added before the response committed, and the data is
        // stored by then: a browser that follows at once finds it.
        assertThat(reply.cookieValue()).matches(ID);
        assertThat(onlyRecord().attributes()).containsEntry("msg", "\"saved\"");

        Browser browser = new Browser();
        Reply redirected = browser.get("/redirect?name=msg&value=again");
        assertThat(browser.get(redirected.header("Location")).body()).isEqualTo("again");
    }

    @Test
    void flushWhenRightAfterSetAttributeThenCookieSent() throws Exception {
        start();
        Browser browser = new Browser();
        Reply reply = browser.get("/flush?name=a&value=1");

        assertThat(reply.body()).isEqualTo("flushed");
        assertThat(reply.cookieValue()).matches(ID);
        assertThat(browser.get("/get?name=a").body()).isEqualTo("1");
    }

    @Test
    void cookieWhenApplicationResetsOrReplacesSetCookieHeaderThenStillSent() throws Exception {
        start();
        Browser browser = new Browser();
        Reply reply = browser.get("/own-cookie?name=a&value=1");

        assertThat(reply.body()).isEqualTo("own cookie");
        assertThat(reply.setCookies()).contains("theme=dark; Path=/");
        assertThat(reply.cookieValue()).matches(ID);
        assertThat(browser.get("/get?name=a").body()).isEqualTo("1");
    }

    @Test
    void sendErrorWhenRightAfterSetAttributeThenCookieSentAndDataStored() throws Exception {
        start();
        Browser browser = new Browser();
        Reply reply = browser.get("/error?name=a&value=1");

        assertThat(reply.status()).isEqualTo(409);
        assertThat(reply.cookieValue()).matches(ID);
        assertThat(browser.get("/get?name=a").body()).isEqualTo("1");
    }

    @Test
    void applicationWhenItThrowsThenSessionStillSavedAndErrorPassedOn() throws Exception {
        start();
        Browser browser = new Browser();
        Reply reply = browser.get("/throw?name=a&value=1");

        assertThat(reply.status()).isEqualTo(500);
        assertThat(browser.get("/get?name=a").body()).isEqualTo("1");
    }

    @Test
    void getSessionWhenResponseAlreadyCommittedThenIllegalStateAndNothingStored() throws Exception {
        start();
        Reply reply = send("/create-after-commit", null);

        assertThat(reply.body()).isEqualTo("committed;refused");
        assertThat(reply.sessionCookies()).isEmpty();
        assertThat(store.calls()).isZero();
    }

    @Test
    void bodyWhenLargerThanBufferOrDeclaredLengthThenCookieSentFirst() throws Exception {
        start();
        for (int size : new int[] {10, 200_000}) {
            Browser browser = new Browser();
            Reply reply = browser.get("/large-body?name=a&value=" + size + "&size=" + size);

            assertThat(reply.body()).hasSize(size);
            assertThat(reply.cookieValue()).matches(ID);
            assertThat(browser.get("/get?name=a").body()).isEqualTo(Integer.toString(size));
        }
    }

    @Test
    void idWhenInUrlOrParameterThenIgnored() throws Exception {
        start();
        Browser owner = browserWith("secret", "42");
        String id = owner.cookie;

        assertThat(send("/get;jsessionid=" + id + "?name=secret", null).body()).isEqualTo("no session");
        assertThat(send("/get?name=secret&jsessionid=" + id, null).body()).isEqualTo("no session");
        assertThat(send("/get?name=secret&session=" + id, null).body()).isEqualTo("no session");
        assertThat(send("/requested?jsessionid=" + id, null).body()).isEqualTo("present=false valid=false cookie=false url=false");
    }

    @Test
    void requestedIdWhenFromCookieThenReportedAndValid() throws Exception {
        start();
        Browser browser = browserWith("a", "1");

        assertThat(browser.get("/requested").body()).isEqualTo("present=true valid=true cookie=true url=false");
    }

    @Test
    void cookieWhenMalformedThenNoSessionNoStoreIoAndCleared() throws Exception {
        start();
        Reply reply = send("/get?name=a", "not-a-session-id");

        assertThat(reply.body()).isEqualTo("no session");
        assertThat(store.calls()).isZero();
        assertThat(reply.clearsCookie()).isTrue();

        Reply created = send("/set?name=a&value=1", "not-a-session-id");
        assertThat(created.cookieValue()).matches(ID);
    }

    @Test
    void cookieWhenUnknownThenNewSessionAndStaleCookieCleared() throws Exception {
        start();
        String unknown = "A".repeat(43);

        Reply reply = send("/touch", unknown);
        assertThat(reply.body()).isEqualTo("new=true");
        assertThat(reply.clearsCookie()).isTrue();
        assertThat(reply.header("Cache-Control")).isEqualTo("no-store");

        Reply created = send("/set?name=a&value=1", unknown);
        assertThat(created.cookieValue()).matches(ID).isNotEqualTo(unknown);

        store.resetCounts();
        Reply untouched = send("/none", unknown);
        assertThat(untouched.sessionCookies()).as("not looked up, so not known to be stale").isEmpty();
        assertThat(store.calls()).isZero();
    }

    @Test
    void cookieWhenItsSessionExpiredThenNoSessionAndCleared() throws Exception {
        start(b -> b.idleTimeout(Duration.ofMinutes(30)));
        Browser browser = browserWith("a", "1");
        clock.advance(Duration.ofMinutes(31));

        Reply reply = browser.get("/get?name=a");

        assertThat(reply.body()).isEqualTo("no session");
        assertThat(reply.clearsCookie()).isTrue();
    }

    @Test
    void invalidateWhenSessionLivesThenCookieClearedAndRecordGone() throws Exception {
        start();
        Browser browser = browserWith("a", "1");
        String old = browser.cookie;

        Reply reply = browser.get("/invalidate");

        assertThat(reply.clearsCookie()).isTrue();
        assertThat(reply.header("Cache-Control")).isEqualTo("no-store");
        assertThat(store.memory.snapshot()).isEmpty();
        assertThat(send("/get?name=a", old).body()).isEqualTo("no session");
    }

    @Test
    void callsWhenSessionInvalidatedThenIllegalState() throws Exception {
        start();
        assertThat(send("/after-invalidate", null).body()).isEqualTo("IIIIII");
        assertThat(store.memory.snapshot()).isEmpty();
    }

    @Test
    void changeSessionIdWhenSessionLivesThenNewCookieAndOldIdDead() throws Exception {
        start();
        Browser browser = browserWith("a", "1");
        String old = browser.cookie;

        Reply reply = browser.get("/change-id");

        assertThat(reply.body()).isEqualTo("changed");
        assertThat(browser.cookie).matches(ID).isNotEqualTo(old);
        assertThat(browser.get("/get?name=a").body()).isEqualTo("1");
        assertThat(send("/get?name=a", old).body()).isEqualTo("no session");
        assertThat(store.memory.snapshot()).hasSize(1);
    }

    @Test
    void changeSessionIdWhenNoSessionThenIllegalState() throws Exception {
        start();
        assertThat(send("/change-id", null).status()).isEqualTo(500);
    }

    @Test
    void maxInactiveIntervalWhenSetThenStoredAndEnforced() throws Exception {
        start();
        Browser browser = browserWith("a", "1");

        Reply reply = browser.get("/max-inactive?value=120");
        assertThat(reply.body()).isEqualTo("120");
        assertThat(reply.sessionCookie()).contains("; Max-Age=120;");
        assertThat(onlyRecord().maxInactiveInterval()).isEqualTo(Duration.ofSeconds(120));
        assertThat(browser.get("/max-inactive").body()).isEqualTo("120");

        clock.advance(Duration.ofSeconds(121));
        assertThat(browser.get("/get?name=a").body()).isEqualTo("no session");
    }

    @Test
    void maxInactiveIntervalWhenZeroOrNegativeThenConfiguredIdleTimeout() throws Exception {
        start(b -> b.idleTimeout(Duration.ofHours(2)));
        Browser browser = browserWith("a", "1");
        browser.get("/max-inactive?value=60");

        assertThat(browser.get("/max-inactive?value=0").body()).isEqualTo("7200");
        assertThat(browser.get("/max-inactive?value=-1").body()).isEqualTo("7200");
        assertThat(onlyRecord().maxInactiveInterval()).isEqualTo(Duration.ofHours(2));
    }

    @Test
    void isNewWhenFirstRequestThenTrueAndLaterFalse() throws Exception {
        start();
        Browser browser = new Browser();
        assertThat(browser.get("/is-new").body()).isEqualTo("new=true");
        assertThat(browser.get("/is-new").body()).isEqualTo("new=false");
    }

    @Test
    void listenersWhenSessionLivesThenToldEachEventWithNamesAndValues() throws Exception {
        start();
        Browser browser = browserWith("a", "1");
        browser.get("/set?name=a&value=2");
        browser.get("/set?name=b&value=3");
        browser.get("/remove?name=b");
        browser.get("/change-id");
        browser.get("/invalidate");

        assertThat(recorder.events).containsExactly("created", "added a=1", "replaced a=1 now 2", "added b=3",
                "removed b=3", "id changed to a new one", "destroyed a=2");
    }

    @Test
    void listenersWhenEmptySessionIsDroppedThenCreatedAndDestroyedPairUp() throws Exception {
        start();
        send("/touch", null);
        assertThat(recorder.events).containsExactly("created", "destroyed");
    }

    @Test
    void listenersWhenSweeperRemovesExpiredSessionThenDestroyedWithItsAttributes() throws Exception {
        start(b -> b.idleTimeout(Duration.ofMinutes(30)));
        new Browser().get("/set?name=cart&value=3");
        recorder.events.clear();
        clock.advance(Duration.ofMinutes(31));

        assertThat(manager.sweeper().runOnce()).isEqualTo(1);

        assertThat(recorder.events).containsExactly("destroyed cart=3");
        assertThat(recorder.lastDestroyedId).matches("v1[0-9a-f]{64}");
    }

    @Test
    void updateWhenFiftyParallelRequestsThenNoIncrementLost() throws Exception {
        start();
        Browser browser = new Browser();
        assertThat(browser.get("/increment").body()).isEqualTo("1");

        List<CompletableFuture<HttpResponse<String>>> replies = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            replies.add(http.sendAsync(request("/increment", browser.cookie), HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> reply : replies) {
            assertThat(replyOf(reply.get()).status()).isEqualTo(200);
        }

        assertThat(browser.get("/get?name=n").body()).isEqualTo("51");
    }

    @Test
    void setAttributeWhenSixteenParallelRequestsOnOneCookieOfTheFileStoreThenAll200AndOneOfTheValuesKept(@TempDir Path folder) throws Exception {
        startOn(FileSessionStore.builder(folder).build(), b -> b);
        Browser browser = browserWith("a", "start");

        List<CompletableFuture<HttpResponse<String>>> replies = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            replies.add(http.sendAsync(request("/set?name=a&value=" + i, browser.cookie), HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> reply : replies) {
            Reply answer = replyOf(reply.get());
            assertThat(answer.status()).as(answer.body()).isEqualTo(200);
            // a permanent cookie is sent again on every save, so that its Max-Age slides; always for the same id
            assertThat(answer.sessionCookies()).allSatisfy(line -> assertThat(valueOf(line)).isEqualTo(browser.cookie));
        }

        assertThat(browser.get("/get?name=a").body()).matches("[0-9]|1[0-5]");
    }

    @Test
    void updateWhenSixteenParallelRequestsOnOneCookieOfTheFileStoreThenEveryIncrementCountedWithoutConflicts(@TempDir Path folder) throws Exception {
        // They queue on the session's lock, each waiting for the fsyncs of those before it: the store timeout is set
        // far beyond what that takes on a busy machine, as this test is about what is lost or retried.
        startOn(FileSessionStore.builder(folder).build(), b -> b.storeTimeout(Duration.ofSeconds(60)));
        Browser browser = new Browser();
        assertThat(browser.get("/increment").body()).isEqualTo("1");

        List<CompletableFuture<HttpResponse<String>>> replies = new ArrayList<>();
        for (int i = 0; i < 16 * 5; i++) {
            replies.add(http.sendAsync(request("/increment", browser.cookie), HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> reply : replies) {
            Reply answer = replyOf(reply.get());
            assertThat(answer.status()).as(answer.body()).isEqualTo(200);
        }

        assertThat(browser.get("/get?name=n").body()).isEqualTo(String.valueOf(1 + 16 * 5));
        assertThat(updateConflicts).as("conflicts among requests of one process").hasValue(0);
    }

    @Test
    void storeWhenFullThen503WithRetryAfterAndNoCookieUntilCapacityReturns() throws Exception {
        store = new ObservedStore(new MemorySessionStore(1));
        start();
        Browser first = browserWith("a", "1");
        Browser second = new Browser();

        Reply refused = second.get("/set?name=a&value=2");

        assertThat(refused.status()).isEqualTo(503);
        assertThat(refused.header("Retry-After")).isEqualTo("5");
        assertThat(refused.setCookies()).isEmpty();
        assertThat(refused.body()).contains("try again");

        Reply redirect = second.get("/redirect?name=a&value=2");
        assertThat(redirect.status()).as("refused before the redirect is sent").isEqualTo(503);
        assertThat(redirect.header("Location")).isNull();
        assertThat(redirect.setCookies()).isEmpty();

        first.get("/invalidate");
        Reply accepted = second.get("/set?name=a&value=2");
        assertThat(accepted.status()).isEqualTo(200);
        assertThat(second.get("/get?name=a").body()).isEqualTo("2");
    }

    @Test
    void storeWhenDownThen503AndSameCookieWorksWhenItIsBack() throws Exception {
        start();
        Browser browser = browserWith("a", "1");
        String cookie = browser.cookie;
        store.down = true;

        Reply refused = browser.get("/get?name=a");

        assertThat(refused.status()).isEqualTo(503);
        assertThat(refused.header("Retry-After")).isEqualTo("5");
        assertThat(refused.setCookies()).isEmpty();
        assertThat(refused.body()).doesNotContain("no session");
        assertThat(send("/none", cookie).status()).isEqualTo(200);

        Reply caught = browser.get("/get-catching?name=a");
        assertThat(caught.status()).as("answered 503 even when the application caught the failure").isEqualTo(503);
        assertThat(caught.body()).doesNotContain("degraded");

        store.down = false;
        clock.advance(CloakroomConfig.DEFAULT_STORE_RETRY_INTERVAL); // until then, calls fail at once
        assertThat(browser.cookie).isEqualTo(cookie);
        assertThat(browser.get("/get?name=a").body()).isEqualTo("1");
    }

    @Test
    void invalidateWhenTheStoreFailsThen503AndTheSessionIsThereForARetry() throws Exception {
        start();
        Browser browser = browserWith("a", "1");
        String cookie = browser.cookie;
        store.deletesFail = true;

        Reply refused = browser.get("/invalidate");

        assertThat(refused.status()).isEqualTo(503);
        assertThat(refused.setCookies()).as("the cookie is neither cleared nor replaced").isEmpty();
        store.deletesFail = false;
        clock.advance(CloakroomConfig.DEFAULT_STORE_RETRY_INTERVAL); // until then, calls fail at once
        assertThat(browser.cookie).isEqualTo(cookie);
        assertThat(browser.get("/get?name=a").body()).isEqualTo("1");
        assertThat(browser.get("/invalidate").clearsCookie()).isTrue();
        assertThat(store.memory.snapshot()).isEmpty();
    }

    @Test
    void listenersWhenInvalidateFailsAndIsRetriedThenDestroyedOnceAfterTheDelete() throws Exception {
        start();
        Browser browser = browserWith("a", "1");
        List<Integer> recordsWhenTold = new ArrayList<>();
        recorder.onDestroyed = () -> recordsWhenTold.add(store.memory.snapshot().size());
        store.deletesFail = true;

        assertThat(browser.get("/invalidate").status()).isEqualTo(503);
        assertThat(recorder.events).as("the session lives on: nobody is told it ended").containsExactly("created", "added a=1");

        store.deletesFail = false;
        clock.advance(CloakroomConfig.DEFAULT_STORE_RETRY_INTERVAL); // until then, calls fail at once
        assertThat(browser.get("/invalidate").clearsCookie()).isTrue();
        assertThat(recorder.events).containsExactly("created", "added a=1", "destroyed a=1");
        assertThat(recordsWhenTold).as("records left when the listener ran").containsExactly(0);
    }

    @Test
    void listenersWhenTwoRequestsInvalidateOneSessionAtOnceThenDestroyedOnce() throws Exception {
        start();
        Browser browser = browserWith("a", "1");
        List<Reply> other = new ArrayList<>();
        store.beforeDelete = () -> {
            // A second tab logs out between this request's lookup and its delete.
            try {
                other.add(send("/invalidate", browser.cookie));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        };

        Reply reply = browser.get("/invalidate");

        assertThat(other).singleElement().satisfies(r -> assertThat(r.clearsCookie()).isTrue());
        assertThat(reply.clearsCookie()).isTrue();
        assertThat(recorder.events).containsExactly("created", "added a=1", "destroyed a=1");
        assertThat(store.memory.snapshot()).isEmpty();
    }

    @Test
    void updateWhenAnotherRequestInvalidatesTheSessionFirstThen409WithAMessageCookieClearedAndNothingRecreated() throws Exception {
        start();
        Browser browser = browserWith("a", "1");
        List<Reply> other = new ArrayList<>();
        store.beforeWrite = () -> {
            // A second tab logs out between this request's load and its update's write.
            try {
                other.add(send("/invalidate", browser.cookie));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        };

        Reply reply = browser.get("/increment");

        assertThat(other).singleElement().satisfies(r -> assertThat(r.clearsCookie()).isTrue());
        assertThat(reply.status()).isEqualTo(409);
        assertThat(reply.body()).contains("session ended");
        assertThat(reply.clearsCookie()).isTrue();
        assertThat(store.memory.snapshot()).as("not recreated").isEmpty();
    }

    @Test
    void sessionWhenTooLargeThen413AndNothingStored() throws Exception {
        start(b -> b.maxSessionBytes(100));
        Reply reply = send("/set?name=a&value=" + "x".repeat(200), null);

        assertThat(reply.status()).isEqualTo(413);
        assertThat(reply.setCookies()).isEmpty();
        assertThat(store.memory.snapshot()).isEmpty();
    }

    @Test
    void commitWhenAValueMutatedInPlaceHoldsALoneSurrogateThen422WithAMessageAndTheSessionLivesOn(@TempDir Path folder) throws Exception {
        // The file store refuses a lone surrogate at its write; a codec that checks text refuses it at encoding.
        startOn(FileSessionStore.builder(folder).build(), b -> b);
        Browser browser = browserWith("a", "1");
        String cookie = browser.cookie;

        Reply refused = browser.get("/mutate-in-place?name=b&value=2&bad=surrogate");

        assertThat(refused.status()).isEqualTo(422);
        assertThat(refused.body()).contains("cannot be kept in your session");
        assertThat(refused.header("Cache-Control")).isEqualTo("no-store");
        assertThat(refused.sessionCookies()).as("the cookie is neither cleared nor replaced").isEmpty();
        assertThat(browser.cookie).isEqualTo(cookie);
        assertThat(browser.get("/get?name=a").body()).isEqualTo("1");
        assertThat(browser.get("/get?name=b").body()).as("set in the same request, so saved").isEqualTo("2");
        assertThat(browser.get("/get?name=list").body()).isEqualTo("null");
    }

    @Test
    void commitWhenANewSessionHoldsAValueMutatedInPlaceToSomethingUnstorableThen422WithItsCookieAndTheOtherValuesStored() throws Exception {
        start();
        Browser browser = new Browser();

        Reply refused = browser.get("/mutate-in-place?name=b&value=2");

        assertThat(refused.status()).isEqualTo(422);
        assertThat(refused.cookieValue()).matches(ID);
        assertThat(browser.get("/get?name=b").body()).isEqualTo("2");
        assertThat(browser.get("/get?name=list").body()).isEqualTo("null");
    }

    @Test
    void commitWhenTheIdChangedAndAValueWasMutatedInPlaceToSomethingUnstorableThen422WithTheNewCookie() throws Exception {
        start();
        Browser browser = browserWith("a", "1");
        String old = browser.cookie;

        Reply refused = browser.get("/mutate-in-place?name=b&value=2&before=change-id");

        assertThat(refused.status()).isEqualTo(422);
        assertThat(refused.cookieValue()).matches(ID).isNotEqualTo(old);
        assertThat(send("/get?name=a", old).body()).as("the old id is dead").isEqualTo("no session");
        assertThat(browser.get("/get?name=a").body()).isEqualTo("1");
        assertThat(browser.get("/get?name=b").body()).isEqualTo("2");
        assertThat(browser.get("/get?name=list").body()).isEqualTo("null");
        assertThat(store.memory.snapshot()).hasSize(1);
    }

    @Test
    void sessionWhenItGrowsTooLargeAfterItWasStoredEarlierInTheRequestThen413WithItsCookie() throws Exception {
        start(b -> b.maxSessionBytes(1_000));
        Browser browser = new Browser();

        Reply refused = browser.get("/grow?name=a&value=1&before=save&size=2000");

        assertThat(refused.status()).isEqualTo(413);
        assertThat(refused.body()).doesNotContain("xxx");
        assertThat(refused.cookieValue()).as("the record stored earlier is the browser's").matches(ID);
        assertThat(browser.get("/get?name=a").body()).isEqualTo("1");
        assertThat(browser.get("/get?name=big").body()).isEqualTo("null");
    }

    @Test
    void sessionWhenTheIdChangedAndItGrowsTooLargeThen413AndTheOldIdStillHoldsTheSession() throws Exception {
        start(b -> b.maxSessionBytes(1_000));
        Browser browser = browserWith("a", "1");
        String old = browser.cookie;

        Reply refused = browser.get("/grow?name=b&value=2&before=change-id&size=2000");

        assertThat(refused.status()).isEqualTo(413);
        assertThat(refused.sessionCookies()).as("nothing moved, so the browser keeps its cookie").isEmpty();
        assertThat(browser.cookie).isEqualTo(old);
        assertThat(browser.get("/get?name=a").body()).isEqualTo("1");
        assertThat(browser.get("/get?name=b").body()).isEqualTo("null");
        assertThat(store.memory.snapshot()).hasSize(1);
    }

    @Test
    void commitWhenUnstorableAfterTheSessionWasSavedEarlierInTheRequestThenThe422KeepsItsCookie() throws Exception {
        start();
        Browser browser = new Browser();

        Reply refused = browser.get("/mutate-in-place?name=b&value=2&before=save");

        assertThat(refused.status()).isEqualTo(422);
        assertThat(refused.body()).doesNotContain("xxx");
        assertThat(refused.cookieValue()).matches(ID);
        assertThat(browser.get("/get?name=b").body()).isEqualTo("2");
        assertThat(browser.get("/get?name=list").body()).isEqualTo("[fine]");
    }

    @Test
    void commitWhenUnstorableAfterTheApplicationsOwnAnswerThenThatAnswerStands() throws Exception {
        start();
        Browser browser = browserWith("a", "1");

        Reply committed = browser.get("/mutate-in-place?name=b&value=2&before=commit");
        assertThat(committed.status()).isEqualTo(200);
        assertThat(committed.body()).isEqualTo("ok");

        Reply ownStatus = browser.get("/mutate-in-place?name=b&value=2&after=409");
        assertThat(ownStatus.status()).isEqualTo(409);
        assertThat(ownStatus.body()).isEqualTo("conflict");

        assertThat(browser.get("/mutate-in-place?name=b&value=2&after=throw").status())
                .as("the application's exception is passed on").isEqualTo(500);
        assertThat(browser.get("/get?name=a").body()).isEqualTo("1");
    }

    @Test
    void attributeWhenTypeUnsupportedThenApplicationGetsTheException() throws Exception {
        start();
        assertThat(send("/unsupported?name=a", null).body()).isEqualTo("rejected: UnsupportedAttributeException");
    }

    @Test
    void asyncRequestWhenSessionSetBeforeStartAsyncThenSaved() throws Exception {
        start();
        Browser browser = new Browser();
        Reply reply = browser.get("/async?name=a&value=1");

        assertThat(reply.body()).isEqualTo("async ok");
        assertThat(browser.cookie).matches(ID);
        assertThat(browser.get("/get?name=a").body()).isEqualTo("1");
    }

    @Test
    void asyncRequestWhenSessionCreatedInAsyncPartThenCookieSetAtComplete() throws Exception {
        start();
        Browser browser = new Browser();
        Reply reply = browser.get("/async-late?name=a&value=2");

        assertThat(reply.body()).isEqualTo("late ok");
        assertThat(browser.cookie).matches(ID);
        assertThat(browser.get("/get?name=a").body()).isEqualTo("2");
    }

    @Test
    void signedCookieWhenTamperedOrUnsignedThenNoSessionWithoutStoreIo() throws Exception {
        start(b -> b.signingKeys(List.of("current-key-0123456789")));
        Browser browser = browserWith("a", "1");
        assertThat(browser.cookie).matches(ID + "\\.[A-Za-z0-9_-]{43}");
        assertThat(browser.get("/get?name=a").body()).isEqualTo("1");
        String id = browser.cookie.substring(0, 43);
        String signature = browser.cookie.substring(44);
        // A digit, never a change of case only: Jetty's per-connection header cache matches values ignoring case,
        // so on a kept-alive connection "a..." after "A..." would reach the filter as the earlier header.
        String tampered = id + "." + (signature.charAt(0) == '0' ? '1' : '0') + signature.substring(1);
        store.resetCounts();

        assertThat(send("/get?name=a", tampered).body()).isEqualTo("no session");
        assertThat(send("/get?name=a", id).body()).isEqualTo("no session");
        assertThat(store.calls()).isZero();
        assertThat(rejected).containsExactly(SessionMetrics.RejectedId.BAD_SIGNATURE, SessionMetrics.RejectedId.BAD_SIGNATURE);
    }

    @Test
    void signedCookieWhenSignedWithFallbackKeyThenAcceptedAndReissuedWithCurrentKey() throws Exception {
        start(b -> b.signingKeys(List.of("old-key-0123456789abc")));
        Browser browser = browserWith("a", "1");
        String oldCookie = browser.cookie;

        start(b -> b.signingKeys(List.of("new-key-0123456789abc", "old-key-0123456789abc")));
        Reply reply = browser.get("/get?name=a");
        assertThat(reply.body()).isEqualTo("1");
        String newCookie = reply.cookieValue();
        assertThat(newCookie).startsWith(oldCookie.substring(0, 44)).isNotEqualTo(oldCookie);
        assertThat(browser.get("/get?name=a").sessionCookies()).isEmpty();

        start(b -> b.signingKeys(List.of("new-key-0123456789abc")));
        assertThat(send("/get?name=a", newCookie).body()).isEqualTo("1");
        assertThat(send("/get?name=a", oldCookie).body()).isEqualTo("no session");
    }

    @Test
    void logsWhenSessionsLiveAndFailThenNoRawIdInAnyLine() throws Exception {
        start(b -> b.maxSessionBytes(200));
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        List<String> ids = new ArrayList<>();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            Browser browser = new Browser();
            browser.get("/set?name=a&value=1");
            ids.add(browser.cookie);
            browser.get("/change-id");
            ids.add(browser.cookie);
            assertThat(browser.get("/set?name=a&value=" + "x".repeat(300)).status()).isEqualTo(413);
            store.down = true;
            assertThat(browser.get("/get?name=a").status()).isEqualTo(503);
            store.down = false;
            clock.advance(CloakroomConfig.DEFAULT_STORE_RETRY_INTERVAL);
            browser.get("/invalidate");
            send("/get?name=a", ids.get(0));
        } finally {
            System.setErr(original);
        }
        String log = captured.toString(StandardCharsets.UTF_8);

        assertThat(log).as("the capture works").contains("answered 503").contains("answered 413");
        for (String id : ids) {
            assertThat(id).matches(ID);
            assertThat(log).doesNotContain(id);
        }
    }

    @Test
    void servletContextWhenAskedThenTheContainers() throws Exception {
        start();
        assertThat(send("/context", null).body()).isEqualTo("true");
    }
}
