package dev.cloakroom.system;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A PostgreSQL server of this JVM's own, for the scenarios that stop, pause or kill their store: a cluster made by
 * {@code initdb} in a temp folder, on a port of {@link Processes}' range, loopback only, trust authentication for user
 * {@code postgres}; the shared server on 5432 is never touched. PostgreSQL refuses to run as root, so when this JVM is
 * root its programs run as the {@code postgres} user, who owns the folder.
 */
final class PrivatePostgres implements AutoCloseable {
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);

    private final Path root;
    private final Path data;
    private final Path bin;
    private final int port;
    private boolean running;

    private PrivatePostgres(Path root, Path bin, int port) {
        this.root = root;
        this.data = root.resolve("data");
        this.bin = bin;
        this.port = port;
    }

    /** Creates the cluster and starts it; fails if PostgreSQL's programs are not installed. */
    static PrivatePostgres start() throws IOException {
        Path root = Files.createTempDirectory("cloakroom-pg-");
        PrivatePostgres server = new PrivatePostgres(root, binaries(), Processes.freePort());
        try {
            if (Processes.isRoot()) {
                Processes.run(COMMAND_TIMEOUT, "chown", "postgres:postgres", root.toString());
            }
            server.command("initdb", "-D", server.data.toString(), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                    "--no-sync", "--no-instructions");
            // The unix socket goes in the folder too, so that nothing is written where the shared server keeps its own.
            Files.writeString(server.data.resolve("postgresql.auto.conf"), """
                    listen_addresses = '127.0.0.1'
                    port = %d
                    unix_socket_directories = '%s'
                    fsync = off
                    max_connections = 50
                    """.formatted(server.port, root), StandardCharsets.UTF_8,
                    StandardOpenOption.APPEND);
            server.start0();
            return server;
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    /** The port it listens on, on 127.0.0.1. */
    int port() {
        return port;
    }

    /** Stops the server cleanly (fast shutdown: open connections are closed), as an operator's restart begins. */
    synchronized void stop() throws IOException {
        if (running) {
            command("pg_ctl", "-D", data.toString(), "-m", "fast", "-w", "-t", "30", "stop");
            running = false;
        }
    }

    /** Starts it again after {@link #stop()} or {@link #kill()}; returns once it accepts connections. */
    synchronized void restart() throws IOException {
        if (!running) {
            start0();
        }
    }

    /**
     * Freezes it with {@code SIGSTOP}: the postmaster first, so that it forks no new backend, then each backend, so that
     * open connections hang mid-query as on a stuck host. Connections are accepted by the kernel and never answered.
     */
    synchronized void pause() throws IOException {
        long postmaster = postmasterPid();
        Processes.signal("STOP", List.of(postmaster));
        List<Long> children = Processes.withChildren(postmaster);
        Processes.signal("STOP", children.subList(1, children.size()));
    }

    /** Undoes {@link #pause()}: the backends, then the postmaster. */
    synchronized void resume() throws IOException {
        long postmaster = postmasterPid();
        List<Long> all = new ArrayList<>(Processes.withChildren(postmaster));
        Processes.signal("CONT", all.subList(1, all.size()));
        Processes.signal("CONT", List.of(postmaster));
    }

    /** {@code SIGKILL} to the postmaster and every backend, as a machine that lost power; {@link #restart()} recovers. */
    synchronized void kill() throws IOException {
        if (running) {
            List<Long> pids = Processes.withChildren(postmasterPid());
            Processes.signal("KILL", pids);
            // A restart must wait for every process to be gone: a live one still holds the shared memory.
            Processes.awaitGone(pids, Duration.ofSeconds(30));
            running = false;
        }
    }

    /** Stops the server, however it is, and removes its folder. */
    @Override
    public synchronized void close() throws IOException {
        try {
            if (running) {
                resume();
                stop();
            }
        } finally {
            running = false;
            deleteTree(root);
        }
    }

    private void start0() throws IOException {
        command("pg_ctl", "-D", data.toString(), "-l", root.resolve("server.log").toString(), "-w", "-t", "60", "start");
        running = true;
    }

    private long postmasterPid() throws IOException {
        return Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid"), StandardCharsets.UTF_8).get(0).trim());
    }

    private void command(String program, String... arguments) throws IOException {
        List<String> command = new ArrayList<>();
        if (Processes.isRoot()) {
            command.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        command.add(bin.resolve(program).toString());
        command.addAll(List.of(arguments));
        Processes.run(COMMAND_TIMEOUT, command);
    }

    /** The newest installed {@code /usr/lib/postgresql/<version>/bin}. */
    private static Path binaries() throws IOException {
        Path installed = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(installed)) {
            throw new IOException("PostgreSQL is not installed: no " + installed + " (.ci/run installs it)");
        }
        try (Stream<Path> versions = Files.list(installed)) {
            return versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("initdb")))
                    .max(Comparator.comparing(b -> Integer.parseInt(b.getParent().getFileName().toString().replaceAll("\\D", "0"))))
                    .orElseThrow(() -> new IOException("no initdb under " + installed));
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    @Override
    public String toString() {
        return "PostgreSQL of its own on 127.0.0.1:" + port;
    }
}
