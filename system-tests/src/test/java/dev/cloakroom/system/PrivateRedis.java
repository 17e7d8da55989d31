package dev.cloakroom.system;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@code redis-server} of this JVM's own, for the scenarios that stop, pause or kill their store: on a port of
 * {@link Processes}' range, loopback only, nothing persisted (no RDB, no AOF), so that a restart comes back empty
 * unless {@link #stop()} asked it to save first. The shared server on 6379 is never touched.
 */
final class PrivateRedis implements AutoCloseable {
    private final Path root;
    private final int port;
    private Process process;

    private PrivateRedis(Path root, int port) {
        this.root = root;
        this.port = port;
    }

    /** Starts it; returns once it accepts connections. */
    static PrivateRedis start() throws IOException {
        PrivateRedis server = new PrivateRedis(Files.createTempDirectory("cloakroom-redis-"), Processes.freePort());
        try {
            server.restart();
            return server;
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    int port() {
        return port;
    }

    /**
     * Stops the server after writing its data to {@code dump.rdb} in its folder, which {@link #restart()} loads: an
     * operator's restart, which keeps the sessions. (Without the save, a restart would answer every cookie with a fresh
     * session, which is what a restart of an unpersisted Redis does.)
     */
    synchronized void stop() throws IOException {
        if (process != null) {
            Processes.run(Duration.ofSeconds(30), "redis-cli", "-p", Integer.toString(port), "shutdown", "save");
            await(process);
            process = null;
        }
    }

    /** Starts it again after {@link #stop()} or {@link #kill()}; returns once it accepts connections. */
    synchronized void restart() throws IOException {
        if (process == null) {
            process = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--dir", root.toString(), "--dbfilename", "dump.rdb")
                    .redirectErrorStream(true).redirectOutput(root.resolve("server.log").toFile()).start();
            Processes.awaitListening(port, Duration.ofSeconds(30));
        }
    }

    /** Freezes it with {@code SIGSTOP}: connections are accepted by the kernel and never answered. */
    synchronized void pause() throws IOException {
        Processes.signal("STOP", List.of(pid()));
    }

    /** Undoes {@link #pause()}. */
    synchronized void resume() throws IOException {
        Processes.signal("CONT", List.of(pid()));
    }

    /** {@code SIGKILL}: what it held in memory is gone. */
    synchronized void kill() throws IOException {
        if (process != null) {
            process.destroyForcibly();
            await(process);
            process = null;
        }
    }

    @Override
    public synchronized void close() throws IOException {
        try {
            if (process != null) {
                resume();
                kill();
            }
        } finally {
            PrivatePostgres.deleteTree(root);
        }
    }

    private long pid() throws IOException {
        if (process == null) {
            throw new IOException("redis-server on " + port + " is not running");
        }
        return process.pid();
    }

    private static void await(Process process) throws IOException {
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new IOException("redis-server did not exit within 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    @Override
    public String toString() {
        return "Redis of its own on 127.0.0.1:" + port;
    }
}
