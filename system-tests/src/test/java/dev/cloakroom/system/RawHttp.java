package dev.cloakroom.system;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * HTTP/1.1 over a plain socket, for the bytes {@code java.net.http} refuses to send (NUL and control bytes in a
 * header, invalid UTF-8, a body that never ends). One request per connection ({@code Connection: close}).
 */
final class RawHttp implements AutoCloseable {
    private static final int MAX_HEAD = 64 * 1024;

    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;

    private RawHttp(Socket socket) throws IOException {
        this.socket = socket;
        this.out = socket.getOutputStream();
        this.in = socket.getInputStream();
    }

    /** A connection to {@code demo}, whose reads give up after {@code readTimeout}. */
    static RawHttp connect(DemoProcess demo, Duration readTimeout) throws IOException {
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress(demo.uri().getHost(), demo.uri().getPort()), 5_000);
            socket.setSoTimeout((int) readTimeout.toMillis());
            return new RawHttp(socket);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    /** {@code GET path} with {@code cookie} as the Cookie header's value, byte for byte. */
    static Response get(DemoProcess demo, String path, byte[] cookie) throws IOException {
        return exchange(demo, head("GET", path, cookie, List.of()));
    }

    /** Sends {@code request} as is and reads the whole response. */
    static Response exchange(DemoProcess demo, byte[] request) throws IOException {
        try (RawHttp connection = connect(demo, Duration.ofSeconds(30))) {
            long start = System.nanoTime();
            connection.send(request);
            return connection.response(start);
        }
    }

    /**
     * A request head: the request line, {@code Host}, the Cookie header (if not null) with {@code cookie}'s bytes as
     * they are, {@code extra} header lines, {@code Connection: close}, and the blank line.
     */
    static byte[] head(String method, String path, byte[] cookie, List<String> extra) {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        head.writeBytes((method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n").getBytes(StandardCharsets.US_ASCII));
        if (cookie != null) {
            head.writeBytes("Cookie: ".getBytes(StandardCharsets.US_ASCII));
            head.writeBytes(cookie);
            head.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        for (String line : extra) {
            head.writeBytes((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        }
        head.writeBytes("Connection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        return head.toByteArray();
    }

    void send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** Reads one response: the head, then a body by {@code Content-Length}, chunked, or up to the close. */
    Response response(long startNanos) throws IOException {
        String head = readHead();
        String[] lines = head.split("\r\n");
        String[] statusLine = lines[0].split(" ", 3);
        int status = Integer.parseInt(statusLine[1]);
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.add(Map.entry(lines[i].substring(0, colon).trim(), lines[i].substring(colon + 1).trim()));
        }
        Response partial = new Response(status, headers, new byte[0], Duration.ZERO);
        byte[] body;
        Optional<String> length = partial.header("Content-Length");
        if (length.isPresent()) {
            body = in.readNBytes(Integer.parseInt(length.get()));
        } else if (partial.header("Transfer-Encoding").map(v -> v.toLowerCase(Locale.ROOT).contains("chunked")).orElse(false)) {
            body = dechunk();
        } else {
            body = in.readAllBytes();
        }
        return new Response(status, headers, body, Duration.ofNanos(System.nanoTime() - startNanos));
    }

    private String readHead() throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int last = 0;
        while (last != 0x0d0a0d0a) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed after " + head.size() + " bytes of the response head");
            }
            head.write(b);
            last = (last << 8) | b;
            if (head.size() > MAX_HEAD) {
                throw new IOException("response head over " + MAX_HEAD + " bytes");
            }
        }
        return head.toString(StandardCharsets.ISO_8859_1).trim();
    }

    private byte[] dechunk() throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String size = line();
            int semicolon = size.indexOf(';');
            int n = Integer.parseInt((semicolon < 0 ? size : size.substring(0, semicolon)).trim(), 16);
            if (n == 0) {
                while (!line().isEmpty()) {
                    // trailers
                }
                return body.toByteArray();
            }
            body.writeBytes(in.readNBytes(n));
            line();
        }
    }

    private String line() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    /** A response as read off the wire. */
    record Response(int status, List<Map.Entry<String, String>> headers, byte[] body, Duration elapsed) {
        /** The first value of header {@code name} (case-insensitive). */
        Optional<String> header(String name) {
            return headers.stream().filter(h -> h.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue).findFirst();
        }

        /** Every value of header {@code name} (case-insensitive). */
        List<String> headers(String name) {
            return headers.stream().filter(h -> h.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue).toList();
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }
}
