package dev.cloakroom.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloakroom.Settings;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Requests that Jetty refuses before they reach the app, sent as raw bytes, still get the demo's headers. */
@Tag("unit")
class RawHttpTest {
    private DemoApp app;

    @BeforeEach
    void start() {
        app = DemoApp.start(Settings.of(Map.of("PORT", "0", "SESSION_TYPE", "memory")));
    }

    @AfterEach
    void stop() {
        app.close();
    }

    private String exchange(String request) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", app.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private static void assertHeaders(String response) {
        String head = response.substring(0, response.indexOf("\r\n\r\n")).toLowerCase();
        assertThat(head)
                .contains("\r\ncontent-type: text/html;charset=utf-8\r\n")
                .contains("\r\nx-content-type-options: nosniff\r\n")
                .contains("\r\ncontent-security-policy: default-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'\r\n")
                .contains("\r\nreferrer-policy: no-referrer\r\n")
                .doesNotContain("\r\nserver:");
    }

    @Test
    void malformedUriWhenRefusedByJettyThen400WithSecurityHeaders() throws Exception {
        String response = exchange("GET /a%zzb HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nConnection: close\r\n\r\n");

        assertThat(response).startsWith("HTTP/1.1 400 ");
        assertHeaders(response);
        assertThat(response).doesNotContain("at org.eclipse.jetty");
    }

    @Test
    void oversizedHeaderWhenRefusedByJettyThen431WithSecurityHeaders() throws Exception {
        String response = exchange("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000) + "\r\nConnection: close\r\n\r\n");

        assertThat(response).startsWith("HTTP/1.1 431 ");
        assertHeaders(response);
    }

    @Test
    void headWhenGreetingThenHeadersWithoutBody() throws Exception {
        String response = exchange("HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

        assertThat(response).startsWith("HTTP/1.1 200 ");
        assertHeaders(response);
        assertThat(response.substring(response.indexOf("\r\n\r\n") + 4)).isEmpty();
    }
}
