package dev.cloakroom.demo;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cloakroom.MemorySessionStore;
import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionRecord;
import dev.cloakroom.SessionStore;
import dev.cloakroom.SessionStoreUnavailableException;
import dev.cloakroom.SessionWrite;
import dev.cloakroom.Settings;
import dev.cloakroom.WriteResult;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** When the store is down, the session filter answers 503; the demo's headers are on that answer too. */
class StoreOutageTest {

    /** A memory store that can be switched off, as a store server that stops answering. */
    private static final class SwitchableStore implements SessionStore {
        private final MemorySessionStore delegate = new MemorySessionStore();
        volatile boolean down;
        volatile boolean broken;

        private void check() {
            if (down) {
                throw new SessionStoreUnavailableException("store switched off by the test");
            }
            if (broken) {
                throw new IllegalStateException("a bug in the store, planted by the test");
            }
        }

        @Override public Optional<SessionRecord> load(SessionKey key) { check(); return delegate.load(key); }
        @Override public WriteResult write(SessionWrite write) { check(); return delegate.write(write); }
        @Override public boolean delete(SessionKey key) { check(); return delegate.delete(key); }
        @Override public List<SessionRecord> sweep(Instant now, int limit) { check(); return delegate.sweep(now, limit); }
        @Override public String describe() { return "switchable " + delegate.describe(); }
        @Override public void close() { delegate.close(); }
    }

    @Test
    void actionWhenStoreDownThen503WithSecurityHeadersAndRecoversWhenBack() throws Exception {
        SwitchableStore store = new SwitchableStore();
        try (DemoApp app = DemoApp.start(Settings.of(Map.of("PORT", "0", "SESSION_TYPE", "memory")), store)) {
            Browser browser = new Browser(app.uri());
            browser.upload("a.txt", "still here".getBytes(UTF_8));
            String cookie = browser.cookie().orElseThrow();

            store.down = true;
            HttpResponse<String> down = browser.get("/action");
            HttpResponse<String> upload = browser.upload("b.txt", "lost".getBytes(UTF_8));

            for (HttpResponse<String> response : List.of(down, upload)) {
                assertThat(response.statusCode()).isEqualTo(503);
                assertThat(response.headers().firstValue("Retry-After")).isPresent();
                assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t.toLowerCase()).contains("charset=utf-8"));
                assertThat(response.headers().firstValue("X-Content-Type-Options")).contains("nosniff");
                assertThat(response.headers().firstValue("Content-Security-Policy")).contains(Pages.CONTENT_SECURITY_POLICY);
                assertThat(response.headers().firstValue("Referrer-Policy")).contains("no-referrer");
                assertThat(response.headers().firstValue("Server")).isEmpty();
                assertThat(Browser.sessionCookies(response)).isEmpty();
            }

            store.down = false;
            assertThat(browser.cookie()).contains(cookie);
            assertThat(browser.get("/action").body()).contains("still&nbsp;here<br>").contains("Uploads in this session: 1");
        }
    }

    @Test
    void actionWhenStoreFailsUnexpectedlyThenErrorPageWithHeadersAndNoStackTrace() throws Exception {
        SwitchableStore store = new SwitchableStore();
        try (DemoApp app = DemoApp.start(Settings.of(Map.of("PORT", "0", "SESSION_TYPE", "memory")), store)) {
            Browser browser = new Browser(app.uri());
            browser.upload("a.txt", "x".getBytes(UTF_8));

            store.broken = true;
            HttpResponse<String> failed = browser.get("/action");

            assertThat(failed.statusCode()).isIn(500, 503);
            SecurityHeaders.assertOn(failed);
            assertThat(failed.body()).doesNotContain("planted by the test").doesNotContain("at dev.cloakroom")
                    .doesNotContain("IllegalStateException");
        }
    }
}
