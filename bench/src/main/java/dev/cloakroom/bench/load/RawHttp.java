package dev.cloakroom.bench.load;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One HTTP/1.1 connection on a blocking socket, kept alive while the server allows it and opened again when it does
 * not (gunicorn's sync workers close every connection), as wrk does. Far lighter per request than
 * {@code java.net.http}, which matters here: the load generator shares the machine's cores with both servers, and
 * the faster server would otherwise pay more of its cost. Not thread-safe: one per client thread.
 */
final class RawHttp implements AutoCloseable {
    private static final int TIMEOUT_MILLIS = 30_000;

    /** Status, headers (names in lower case, in order) and body of one answer. */
    record Answer(int status, List<String[]> headers, String body) {
        String header(String name) {
            return headers.stream().filter(h -> h[0].equals(name)).map(h -> h[1]).findFirst().orElse("");
        }

        List<String> all(String name) {
            return headers.stream().filter(h -> h[0].equals(name)).map(h -> h[1]).toList();
        }
    }

    private final int port;
    private Socket socket;
    private InputStream in;
    private OutputStream out;

    RawHttp(int port) {
        this.port = port;
    }

    /** Sends one request; {@code headers} are whole lines without the line end ({@code "Cookie: a=b"}). */
    Answer send(String method, String path, List<String> headers, byte[] body) throws IOException {
        boolean reused = socket != null;
        try {
            return exchange(method, path, headers, body);
        } catch (IOException e) {
            close();
            if (!reused) {
                throw e;
            }
            // the server closed the kept connection between two requests: once more, on a new one
            return exchange(method, path, headers, body);
        }
    }

    private Answer exchange(String method, String path, List<String> headers, byte[] body) throws IOException {
        if (socket == null) {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(TIMEOUT_MILLIS);
            socket.connect(new InetSocketAddress("127.0.0.1", port), TIMEOUT_MILLIS);
            in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
            out = socket.getOutputStream();
        }
        StringBuilder head = new StringBuilder(256).append(method).append(' ').append(path).append(" HTTP/1.1\r\n")
                .append("Host: 127.0.0.1:").append(port).append("\r\n");
        headers.forEach(h -> head.append(h).append("\r\n"));
        if (body != null) {
            head.append("Content-Length: ").append(body.length).append("\r\n");
        }
        head.append("\r\n");
        byte[] headBytes = head.toString().getBytes(StandardCharsets.ISO_8859_1);
        if (body == null) {
            out.write(headBytes);
        } else {
            byte[] all = new byte[headBytes.length + body.length];
            System.arraycopy(headBytes, 0, all, 0, headBytes.length);
            System.arraycopy(body, 0, all, headBytes.length, body.length);
            out.write(all);
        }
        out.flush();
        String status = line();
        if (!status.startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP answer: " + status);
        }
        int code = Integer.parseInt(status.substring(9, 12));
        List<String[]> answerHeaders = new ArrayList<>();
        for (String l; !(l = line()).isEmpty(); ) {
            int colon = l.indexOf(':');
            if (colon > 0) {
                answerHeaders.add(new String[] {l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim()});
            }
        }
        Answer partial = new Answer(code, answerHeaders, "");
        String length = partial.header("content-length");
        byte[] content;
        boolean closeAfter = status.startsWith("HTTP/1.0") || partial.header("connection").equalsIgnoreCase("close");
        if (!length.isEmpty()) {
            content = in.readNBytes(Integer.parseInt(length));
        } else if (partial.header("transfer-encoding").equalsIgnoreCase("chunked")) {
            content = chunked();
        } else {
            content = in.readAllBytes();
            closeAfter = true;
        }
        if (closeAfter) {
            close();
        }
        return new Answer(code, answerHeaders, new String(content, StandardCharsets.UTF_8));
    }

    private byte[] chunked() throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String size = line();
            int n = Integer.parseInt(size.split(";", 2)[0].trim(), 16);
            if (n == 0) {
                while (!line().isEmpty()) {
                    // trailers: none expected, read away
                }
                return body.toByteArray();
            }
            body.write(in.readNBytes(n));
            line();
        }
    }

    private String line() throws IOException {
        StringBuilder l = new StringBuilder(64);
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed mid-answer");
            }
            if (b == '\n') {
                int end = l.length();
                return end > 0 && l.charAt(end - 1) == '\r' ? l.substring(0, end - 1) : l.toString();
            }
            l.append((char) b);
        }
    }

    @Override
    public void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException e) {
                // closing a socket we no longer use: nothing is lost
            }
        }
        socket = null;
        in = null;
        out = null;
    }
}
