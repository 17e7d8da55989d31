package dev.cloakroom.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * A loopback TCP relay between a store and its real server, for outage tests that must not stop a server other
 * tests share. {@link #refuse()} is a server that is down (connections reset at once); {@link #blackhole()} is a
 * server that stopped answering (connections accepted, nothing relayed: the case where only timeouts help);
 * {@link #restore()} brings the server back. {@link #refuseWhen} goes down at an exact point of a conversation.
 */
public final class TcpProxy implements AutoCloseable {
    private enum Mode { FORWARD, REFUSE, BLACKHOLE }

    private final InetSocketAddress target;
    private final ServerSocket server;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private volatile Mode mode = Mode.FORWARD;
    private volatile Predicate<ByteBuffer> trigger;
    private volatile boolean closed;

    private TcpProxy(InetSocketAddress target) throws IOException {
        this.target = target;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "tcp-proxy-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Starts relaying from a free loopback port to {@code host:port}. */
    public static TcpProxy to(String host, int port) {
        try {
            return new TcpProxy(new InetSocketAddress(host, port));
        } catch (IOException e) {
            throw new IllegalStateException("cannot open a loopback port for the proxy", e);
        }
    }

    /** The loopback port clients connect to. */
    public int port() {
        return server.getLocalPort();
    }

    /** Drops every open connection and resets new ones: the server is down. */
    public void refuse() {
        mode = Mode.REFUSE;
        dropAll();
    }

    /** Keeps accepting but relays nothing, in either direction, on new and existing connections: the server hangs. */
    public void blackhole() {
        mode = Mode.BLACKHOLE;
    }

    /**
     * Shows {@code trigger} each chunk a client sends, before relaying it; the first chunk it answers true for is not
     * relayed, and the proxy then {@link #refuse()}s, so the server never sees that request. {@code null} stops
     * watching. Calls are serialised; a chunk is what one read returned, which is one request for a client that waits
     * for each answer.
     */
    public void refuseWhen(Predicate<ByteBuffer> trigger) {
        this.trigger = trigger;
    }

    /** Relays again; connections opened during an outage are dropped so that clients reconnect cleanly. */
    public void restore() {
        // Mode first: a connection accepted during the outage is either in the set dropped below, or sees FORWARD.
        mode = Mode.FORWARD;
        dropAll();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return;
            }
            if (mode == Mode.REFUSE) {
                resetQuietly(client);
                continue;
            }
            sockets.add(client);
            if (mode == Mode.BLACKHOLE) {
                continue;
            }
            try {
                Socket upstream = new Socket();
                upstream.connect(target, 2000);
                sockets.add(upstream);
                pump(client, upstream, true);
                pump(upstream, client, false);
            } catch (IOException e) {
                resetQuietly(client);
            }
        }
    }

    private void pump(Socket from, Socket to, boolean fromClient) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[16 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    if (mode == Mode.BLACKHOLE) {
                        continue;
                    }
                    if (fromClient && fires(ByteBuffer.wrap(buffer, 0, n).asReadOnlyBuffer())) {
                        refuse();
                        return;
                    }
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // one side went away; closing both ends below tells the other
            } finally {
                closeQuietly(from);
                closeQuietly(to);
                sockets.remove(from);
                sockets.remove(to);
            }
        }, "tcp-proxy-pump");
        thread.setDaemon(true);
        thread.start();
    }

    private synchronized boolean fires(ByteBuffer chunk) {
        Predicate<ByteBuffer> current = trigger;
        if (current == null || !current.test(chunk)) {
            return false;
        }
        trigger = null;
        return true;
    }

    private void dropAll() {
        for (Socket socket : sockets) {
            resetQuietly(socket);
        }
        sockets.clear();
    }

    private static void resetQuietly(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
        } catch (SocketException e) {
            // already closed
        }
        closeQuietly(socket);
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // nothing left to release
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // nothing left to release
        }
        dropAll();
    }
}
