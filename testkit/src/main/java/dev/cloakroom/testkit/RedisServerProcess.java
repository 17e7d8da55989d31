package dev.cloakroom.testkit;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A private {@code redis-server} on a spare loopback port, for tests that must change server settings or count
 * commands without disturbing the shared Redis. Ports come from {@link #freePort()}, never fixed ones: test runs of
 * other worktrees on the same machine start their own servers at the same time. Nothing is kept on disk beyond the
 * test; a JVM shutdown hook stops the process if the test run dies first. Failure tests stop it hard
 * ({@link #kill()}, {@code kill -9}) or freeze it ({@link #pause()}, {@code SIGSTOP}).
 */
public final class RedisServerProcess implements AutoCloseable {
    private final int port;
    private final Path dir;
    private final Process process;
    private final Thread hook;

    private RedisServerProcess(int port, Path dir, Process process) {
        this.port = port;
        this.dir = dir;
        this.process = process;
        this.hook = new Thread(process::destroyForcibly, "redis-" + port + "-stopper");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Starts {@code redis-server} on {@code port} (see {@link #freePort()}) with {@code extraArgs}. */
    public static RedisServerProcess start(int port, String... extraArgs) {
        return launch(port, null, extraArgs);
    }

    /** Starts a Sentinel on {@code port} watching the master {@code mymaster} on {@code masterPort}, quorum 1. */
    public static RedisServerProcess startSentinel(int port, int masterPort) {
        return launch(port, "sentinel monitor mymaster 127.0.0.1 " + masterPort + " 1\n"
                + "sentinel down-after-milliseconds mymaster 1000\n"
                + "sentinel failover-timeout mymaster 5000\n", "--sentinel");
    }

    private static RedisServerProcess launch(int port, String config, String... extraArgs) {
        try {
            Path dir = Files.createTempDirectory("cloakroom-redis-" + port + "-");
            List<String> command = new ArrayList<>(List.of("redis-server"));
            if (config != null) {
                // Sentinel rewrites its configuration file, so it needs one of its own.
                Path file = dir.resolve("redis.conf");
                Files.writeString(file, config);
                command.add(file.toString());
            }
            command.addAll(List.of("--port", Integer.toString(port),
                    "--bind", "127.0.0.1", "--dir", dir.toString(), "--save", "", "--appendonly", "no",
                    "--daemonize", "no", "--logfile", dir.resolve("redis.log").toString()));
            command.addAll(Arrays.asList(extraArgs));
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("stdout.log").toFile()).start();
            RedisServerProcess server = new RedisServerProcess(port, dir, process);
            server.awaitPing(Duration.ofSeconds(15));
            return server;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start redis-server on port " + port, e);
        }
    }

    public int port() {
        return port;
    }

    public Path dir() {
        return dir;
    }

    /** Runs {@code redis-cli -p port args…} and returns its output. */
    public String cli(String... args) {
        List<String> command = new ArrayList<>(List.of("redis-cli", "-p", Integer.toString(port)));
        command.addAll(Arrays.asList(args));
        return run(command, Duration.ofSeconds(60));
    }

    /** The server's process id, for probes that read {@code /proc} or send signals. */
    public long pid() {
        return process.pid();
    }

    /** Whether the process still runs (a paused one does). */
    public boolean isAlive() {
        return process.isAlive();
    }

    /** {@code kill -9}: the server dies at once, without saving or telling its replicas or peers anything. */
    public void kill() {
        signal("KILL");
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** {@code SIGSTOP}: the server keeps its connections open and answers nothing until {@link #resume()}. */
    public void pause() {
        signal("STOP");
    }

    /** {@code SIGCONT} after {@link #pause()}. */
    public void resume() {
        signal("CONT");
    }

    private void signal(String name) {
        String output = run(List.of("kill", "-" + name, Long.toString(process.pid())), Duration.ofSeconds(10));
        if (!output.isBlank()) {
            throw new IllegalStateException("kill -" + name + " " + process.pid() + ": " + output);
        }
    }

    private void awaitPing(Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("redis-server on port " + port + " exited: " + log());
            }
            if (cli("ping").trim().equals("PONG")) {
                return;
            }
            sleep(100);
        }
        throw new IllegalStateException("redis-server on port " + port + " did not answer PING: " + log());
    }

    private String log() {
        try {
            return Files.readString(dir.resolve("redis.log"));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    /**
     * A loopback port that nothing listens on now, and whose cluster bus port (port + 10000) is free too, so that it
     * also serves a cluster node.
     */
    public static int freePort() {
        for (int attempt = 0; attempt < 100; attempt++) {
            int port;
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = socket.getLocalPort();
            } catch (IOException e) {
                throw new IllegalStateException("no free loopback port", e);
            }
            if (port + 10_000 <= 65_535 && isFree(port + 10_000)) {
                return port;
            }
        }
        throw new IllegalStateException("no free loopback port with a free bus port");
    }

    private static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Runs {@code command} to its end (at most {@code limit}) and returns what it printed, stderr included. */
    public static String run(List<String> command, Duration limit) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            process.getOutputStream().close();
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("timed out: " + command);
            }
            return new String(output);
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + command, e);
        }
    }

    /** {@link Thread#sleep}, with the interrupt flag restored and turned into an unchecked exception. */
    public static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            try {
                resume(); // a paused server would not act on SIGTERM
            } catch (IllegalStateException e) {
                // it exited meanwhile
            }
        }
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down already; the hook runs anyway
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // a temp directory left behind is harmless
        }
    }
}
