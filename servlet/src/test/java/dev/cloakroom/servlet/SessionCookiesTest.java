package dev.cloakroom.servlet;

import static org.assertj.core.api.Assertions.assertThat;

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
}
