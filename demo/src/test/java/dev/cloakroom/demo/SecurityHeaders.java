package dev.cloakroom.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;

/** The headers every page of the demo must carry, checked on a real response. */
final class SecurityHeaders {
    private SecurityHeaders() {
    }

    static void assertOn(HttpResponse<?> response) {
        var headers = response.headers();
        if (response.statusCode() != 303 && response.statusCode() != 302) {
            assertThat(headers.firstValue("Content-Type")).hasValueSatisfying(type ->
                    assertThat(type.toLowerCase().replace(" ", "")).isEqualTo("text/html;charset=utf-8"));
        }
        assertThat(headers.firstValue("X-Content-Type-Options")).contains("nosniff");
        assertThat(headers.firstValue("Content-Security-Policy")).hasValueSatisfying(csp -> assertThat(csp)
                .contains("default-src 'none'")
                .contains("frame-ancestors 'none'")
                .contains("form-action 'self'")
                .doesNotContain("script-src")
                .doesNotContain("unsafe-inline")
                .doesNotContain("unsafe-eval"));
        assertThat(headers.firstValue("Referrer-Policy")).contains("no-referrer");
        assertThat(headers.firstValue("Server")).isEmpty();
    }
}
