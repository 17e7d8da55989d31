package dev.cloakroom.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloakroom.Settings;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
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
        return exchange(request.getBytes(StandardCharsets.ISO_8859_1));
    }

    private String exchange(byte[] request) throws Exception {
        return exchange(request, request.length);
    }

    /** Sends {@code request} in pieces of {@code piece} bytes with a pause between them, as a real network would. */
    private String exchange(byte[] request, int piece) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", app.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            for (int from = 0; from < request.length; from += piece) {
                out.write(request, from, Math.min(piece, request.length - from));
                out.flush();
                if (from + piece < request.length) {
                    Thread.sleep(2);
                }
            }
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    /** A multipart upload of {@code size} bytes of text, whole, with its head declaring the length or chunking it. */
    private static byte[] upload(int size, boolean chunked) {
        String boundary = "b0undary";
        byte[] part = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"textfile\"; filename=\"big.txt\"\r\n"
                + "Content-Type: text/plain\r\n\r\n" + "z".repeat(size) + "\r\n--" + boundary + "--\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        String head = "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                + "Content-Type: multipart/form-data; boundary=" + boundary + "\r\n"
                + (chunked ? "Transfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(part.length) + "\r\n"
                        : "Content-Length: " + part.length + "\r\n\r\n");
        String tail = chunked ? "\r\n0\r\n\r\n" : "";
        byte[] request = new byte[head.length() + part.length + tail.length()];
        System.arraycopy(head.getBytes(StandardCharsets.ISO_8859_1), 0, request, 0, head.length());
        System.arraycopy(part, 0, request, head.length(), part.length);
        System.arraycopy(tail.getBytes(StandardCharsets.ISO_8859_1), 0, request, head.length() + part.length, tail.length());
        return request;
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

    @Test
    void uploadWhenDeclaredLengthOverLimitAndClientSendsItAllThen413PageArrives() throws Exception {
        // Sent slowly: a server that answered without reading the body would find nothing more to read, close on the
        // bytes still coming, and the kernel's reset would fail this write or lose the 413 before it is read.
        String response = exchange(upload(3 * (int) DemoApp.DEFAULT_MAX_CONTENT_LENGTH, false), 64 * 1024);

        assertThat(response).startsWith("HTTP/1.1 413 ").contains("limit of 1048576 bytes");
        assertHeaders(response);
    }

    @Test
    void uploadWhenChunkedBodyOverLimitAndClientSendsItAllThen413PageArrives() throws Exception {
        String response = exchange(upload(3 * (int) DemoApp.DEFAULT_MAX_CONTENT_LENGTH, true), 64 * 1024);

        assertThat(response).startsWith("HTTP/1.1 413 ").contains("limit of 1048576 bytes");
        assertHeaders(response);
    }

    @Test
    void uploadWhenNotMultipartAndSentSlowlyThen400PageArrives() throws Exception {
        // chunked, so that no declared length sends it to the 413 before its content type is looked at
        byte[] json = ("{\"textfile\": \"" + "x".repeat(3 * (int) DemoApp.DEFAULT_MAX_CONTENT_LENGTH) + "\"}")
                .getBytes(StandardCharsets.ISO_8859_1);
        byte[] head = ("POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(json.length) + "\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        byte[] tail = "\r\n0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
        byte[] request = Arrays.copyOf(head, head.length + json.length + tail.length);
        System.arraycopy(json, 0, request, head.length, json.length);
        System.arraycopy(tail, 0, request, head.length + json.length, tail.length);

        String response = exchange(request, 64 * 1024);

        assertThat(response).startsWith("HTTP/1.1 400 ").contains(UploadServlet.NO_FILE_MESSAGE);
        assertHeaders(response);
    }
}
