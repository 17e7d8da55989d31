package dev.cloakroom.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloakroom.CloakroomConfig;
import jakarta.servlet.http.Cookie;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class SessionCookiesTest {

    @Test
    void presentedWhenPrintedThenTheRawIdIsNotShown() {
        String id = "q3Zc1oP4cV7yq0tJ3h9XwQm2s8Lr5nB6aK1dE0fGhIU";

        assertThat(new SessionCookies.Presented(true, id, false).toString()).doesNotContain(id).contains("accepted");
        assertThat(SessionCookies.Presented.NONE.toString()).contains("none");
    }

    @Test
    void readWhenUnsignedValueIsNotIdShapedThenPresentWithoutAnIdAndTheNextCookieStillCounts() {
        // found by SessionCookiesFuzzTest: the value itself came out as the raw id, up to getRequestedSessionId()
        SessionCookies unsigned = new SessionCookies(CloakroomConfig.builder().build());
        String id = "q3Zc1oP4cV7yq0tJ3h9XwQm2s8Lr5nB6aK1dE0fGhIU";

        assertThat(unsigned.read(new Cookie[] {new Cookie("session", "../../etc/passwd")}))
                .isEqualTo(new SessionCookies.Presented(true, null, false));
        assertThat(unsigned.read(new Cookie[] {new Cookie("session", "abc"), new Cookie("session", id)}).rawId()).isEqualTo(id);
        assertThat(unsigned.read(new Cookie[] {new Cookie("other", id)})).isEqualTo(SessionCookies.Presented.NONE);
    }

    @Test
    void mustSendWhenPermanentThenAfterEverySaveSoThatMaxAgeSlides() {
        SessionCookies permanent = new SessionCookies(CloakroomConfig.builder().permanent(true).build());

        assertThat(permanent.mustSend(false, false)).as("the browser lacks the id").isTrue();
        assertThat(permanent.mustSend(true, true)).as("saved: Max-Age slides").isTrue();
        assertThat(permanent.mustSend(true, false)).as("held and unchanged").isFalse();
    }

    @Test
    void mustSendWhenBrowserSessionCookieThenOnlyWhenTheBrowserLacksTheId() {
        SessionCookies browserSession = new SessionCookies(CloakroomConfig.builder().permanent(false).build());

        assertThat(browserSession.mustSend(false, false)).isTrue();
        assertThat(browserSession.mustSend(false, true)).isTrue();
        assertThat(browserSession.mustSend(true, true)).as("no Max-Age to slide").isFalse();
    }
}
