package dev.cloakroom.bench.load;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL cluster of the run's own, so that {@code pg_stat_statements} can be loaded (it must be in
 * {@code shared_preload_libraries}, which the shared server cannot be restarted for): {@code initdb} in a folder of
 * the run, a free port of {@link #FIRST_PORT}..{@link #LAST_PORT} on 127.0.0.1, trust authentication, and otherwise
 * the server's defaults (fsync on). It holds database {@link #DATABASE}, owned by role {@link #APP_ROLE} that the
 * contenders log in as, so that their statements are counted apart from the harness's (which logs in as
 * {@code postgres}). PostgreSQL refuses to run as root: then its programs run as the {@code postgres} OS user, who
 * owns the folder. Closing it, or the JVM's exit, stops it and removes its folder.
 */
final class PrivatePostgres implements AutoCloseable {
    static final String DATABASE = "cloakroom_bench";
    static final String APP_ROLE = "bench_app";
    /** The ports set aside for it, apart from the contenders' and the system tests' private servers. */
    static final int FIRST_PORT = 7800;
    static final int LAST_PORT = 7849;
    private static final long COMMAND_SECONDS = 120;

    private final Path root;
    private final Path data;
    private final Path bin;
    private final int port;
    private final Thread hook;
    private boolean running;

    private PrivatePostgres(Path root, Path bin, int port) {
        this.root = root;
        this.data = root.resolve("data");
        this.bin = bin;
        this.port = port;
        this.hook = new Thread(this::closeQuietly, "stop private PostgreSQL");
    }

    /**
     * Creates the cluster in a temp folder, starts it and creates the database, role and extension. The folder is
     * not under the run's own (created mode 700 by this user): the {@code postgres} user must be able to reach it.
     */
    static PrivatePostgres start() throws IOException, SQLException {
        Path root = Files.createTempDirectory("cloakroom-bench-pg-");
        PrivatePostgres server = new PrivatePostgres(root, binaries(), freePort());
        // a run stopped with Ctrl-C must not leave a server behind
        Runtime.getRuntime().addShutdownHook(server.hook);
        try {
            if (isRoot()) {
                run(List.of("chown", "postgres:postgres", root.toString()));
            }
            server.command("initdb", "-D", server.data.toString(), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                    "--no-sync", "--no-instructions");
            // The unix socket goes in the folder too, so that nothing is written where the shared server keeps its own.
            Files.writeString(server.data.resolve("postgresql.auto.conf"), """
                    listen_addresses = '127.0.0.1'
                    port = %d
                    unix_socket_directories = '%s'
                    shared_preload_libraries = 'pg_stat_statements'
                    pg_stat_statements.track = all
                    """.formatted(server.port, root), StandardCharsets.UTF_8, StandardOpenOption.APPEND);
            server.command("pg_ctl", "-D", server.data.toString(), "-l", root.resolve("server.log").toString(),
                    "-w", "-t", "60", "start");
            server.running = true;
            try (Connection c = DriverManager.getConnection(server.url("postgres", "postgres"));
                 Statement s = c.createStatement()) {
                s.execute("CREATE ROLE " + APP_ROLE + " LOGIN");
                // the owner of the database owns its public schema too (PostgreSQL 15): the contenders create their tables
                s.execute("CREATE DATABASE " + DATABASE + " OWNER " + APP_ROLE);
            }
            try (Connection c = DriverManager.getConnection(server.adminUrl()); Statement s = c.createStatement()) {
                s.execute("CREATE EXTENSION pg_stat_statements");
            }
            return server;
        } catch (IOException | SQLException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    /** The contenders' connection: role {@link #APP_ROLE}. */
    String appUrl() {
        return url(DATABASE, APP_ROLE);
    }

    /** The harness's connection: superuser {@code postgres}. */
    String adminUrl() {
        return url(DATABASE, "postgres");
    }

    private String url(String database, String user) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database + "?user=" + user;
    }

    int port() {
        return port;
    }

    /** Stops the server (fast: open connections are closed) and removes its folder. */
    @Override
    public synchronized void close() throws IOException {
        try {
            if (running) {
                command("pg_ctl", "-D", data.toString(), "-m", "fast", "-w", "-t", "60", "stop");
            }
        } finally {
            running = false;
            StoreAccess.deleteTree(root);
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is exiting, and this is the hook
            }
        }
    }

    private void closeQuietly() {
        try {
            close();
        } catch (IOException e) {
            System.err.println("[bench] could not stop the private PostgreSQL in " + root + ": " + e.getMessage());
        }
    }

    private void command(String program, String... arguments) throws IOException {
        List<String> command = new ArrayList<>();
        if (isRoot()) {
            command.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        command.add(bin.resolve(program).toString());
        command.addAll(List.of(arguments));
        run(command);
    }

    private static void run(List<String> command) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            process.getOutputStream().close();
            // read on this thread: initdb and pg_ctl print a few lines at most
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(COMMAND_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException("timed out: " + String.join(" ", command));
            }
            if (process.exitValue() != 0) {
                throw new IOException("exit " + process.exitValue() + " from " + String.join(" ", command) + ": "
                        + new String(output, StandardCharsets.UTF_8));
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", command), e);
        }
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static int freePort() throws IOException {
        for (int p = FIRST_PORT; p <= LAST_PORT; p++) {
            try (ServerSocket probe = new ServerSocket()) {
                probe.bind(new InetSocketAddress("127.0.0.1", p));
                return p;
            } catch (IOException taken) {
                // try the next one
            }
        }
        throw new IOException("no free port in " + FIRST_PORT + ".." + LAST_PORT + " for a private PostgreSQL");
    }

    /** The newest installed {@code /usr/lib/postgresql/<version>/bin}. */
    private static Path binaries() throws IOException {
        Path installed = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(installed)) {
            throw new IOException("PostgreSQL is not installed: no " + installed + " (.ci/run installs it); "
                    + "or give --jdbc URL of a running server");
        }
        try (Stream<Path> versions = Files.list(installed)) {
            return versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("initdb")))
                    .max(Comparator.comparing(b -> Integer.parseInt(b.getParent().getFileName().toString().replaceAll("\\D", "0"))))
                    .orElseThrow(() -> new IOException("no initdb under " + installed));
        }
    }

    @Override
    public String toString() {
        return "private PostgreSQL on 127.0.0.1:" + port;
    }
}
