package dev.cloakroom.bench.load;

import dev.cloakroom.bench.Store;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The two apps of the seed workload as processes: Cloakroom's demo jar in a JVM with the contenders' flags, and the
 * seed's app ({@code bench/flask/app.py}) under gunicorn's sync workers, each started on one store with the same
 * settings through the environment, and what each keeps in that store emptied. Its own database ({@value #DATABASE}),
 * Redis DB 9 and ports 7700-7701, so that it touches nothing of the contenders'.
 */
final class SeedApps {
    static final String DEMO = "cloakroom-demo";
    static final String FLASK = "flask-session";
    static final String DATABASE = "cloakroom_bench_flask";
    /** The Debian packages {@code bench/flask/install} installs. */
    static final List<String> PACKAGES = List.of("python3-flask-session", "gunicorn", "python3-flask-sqlalchemy",
            "python3-psycopg2", "python3-redis");
    private static final String JDBC_URL = "jdbc:postgresql://127.0.0.1:5432/" + DATABASE + "?user=postgres";
    private static final String SQLALCHEMY_URI = "postgresql://postgres@127.0.0.1:5432/" + DATABASE;
    private static final String REDIS_URI = "redis://127.0.0.1:6379/9";
    private static final String KEY_PREFIX = "flaskbench:";
    private static final int DEMO_PORT = 7700;
    private static final int FLASK_PORT = 7701;
    private static final Path GUNICORN = Path.of("/usr/bin/gunicorn");
    /**
     * Flask-Session's default and Cloakroom's, given to both. The article's 5 is its test setting: cachelib then
     * deletes the oldest files, live sessions' included, as soon as there are more (tried by hand with 5 workers: 2 of
     * 16 sessions still held their upload), and the reads would measure the empty page.
     */
    private static final String FILE_THRESHOLD = "500";
    /** The article's setting for its PostgreSQL and Redis apps; its filesystem app keeps Flask's 31 days. */
    private static final String LIFETIME = "60";

    private final Path data;
    private final List<String> jvmFlags;
    private final int workers = 2 * Runtime.getRuntime().availableProcessors() + 1;

    SeedApps(Path data, Mode mode) {
        this.data = data;
        List<String> flags = new ArrayList<>(ContenderProcess.JVM_FLAGS);
        flags.addAll(mode.jvmFlags());
        this.jvmFlags = List.copyOf(flags);
    }

    /** Why the seed part cannot run here, if it cannot: the machine table and the report say so. */
    static Optional<String> unavailable() {
        List<String> missing = PACKAGES.stream().filter(p -> !Machine.installed(p)).toList();
        if (!missing.isEmpty()) {
            return Optional.of("not measured: " + String.join(", ", missing) + " not installed (dpkg); "
                    + "`bench/flask/install` installs them, the harness installs nothing");
        }
        if (demoJar().isEmpty()) {
            return Optional.of("not measured: demo/target/cloakroom-demo.jar not built "
                    + "(`mvn -B -ntp -q -pl demo -am -DskipTests package`)");
        }
        if (appFolder().isEmpty()) {
            return Optional.of("not measured: bench/flask/app.py not found from " + Path.of("").toAbsolutePath());
        }
        return Optional.empty();
    }

    /** Run from the repository's root (the bench command) or from {@code bench/} (Maven's tests). */
    private static Optional<Path> found(String fromRoot, String fromBench) {
        return List.of(Path.of(fromRoot), Path.of(fromBench)).stream().filter(Files::exists).findFirst()
                .map(Path::toAbsolutePath);
    }

    private static Optional<Path> demoJar() {
        return found("demo/target/cloakroom-demo.jar", "../demo/target/cloakroom-demo.jar");
    }

    private static Optional<Path> appFolder() {
        return found("bench/flask/app.py", "flask/app.py").map(Path::getParent);
    }

    /** Creates the apps' database if it is missing: each app creates its own table there. */
    void ensureDatabase() throws SQLException {
        StoreAccess.ensureDatabase(JDBC_URL);
    }

    /** How both are run, as the report states it. */
    String describe() {
        return "gunicorn " + version() + ", " + workers + " sync workers ((2 x " + Runtime.getRuntime()
                .availableProcessors() + " cores) + 1, as gunicorn's documentation recommends), `--preload` (the app "
                + "imported once, in the master, so that the workers do not race on the article's `create_all`); the "
                + "demo in one JVM with the contenders' flags (" + String.join(" ", jvmFlags) + ")";
    }

    static int port(String system) {
        return system.equals(DEMO) ? DEMO_PORT : FLASK_PORT;
    }

    private Path folder(String system) {
        return data.resolve("seed-" + system);
    }

    private static String table(String system) {
        return system.equals(DEMO) ? "seed_demo_sessions" : "seed_flask_sessions";
    }

    private static String prefix(String system) {
        return KEY_PREFIX + system + ":";
    }

    /** The settings both apps read (Flask-Session's names, which Cloakroom shares), for one store. */
    private Map<String, String> environment(String system, Store store, int port) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("HOST", "127.0.0.1");
        env.put("PORT", Integer.toString(port));
        switch (store) {
            case FILESYSTEM -> {
                env.put("SESSION_TYPE", "filesystem");
                env.put("SESSION_FILE_DIR", folder(system).toString());
                env.put("SESSION_FILE_THRESHOLD", FILE_THRESHOLD);
            }
            case POSTGRESQL -> {
                env.put("SESSION_TYPE", "sqlalchemy");
                env.put("SQLALCHEMY_DATABASE_URI", SQLALCHEMY_URI);
                env.put("SESSION_SQLALCHEMY_TABLE", table(system));
                env.put("PERMANENT_SESSION_LIFETIME", LIFETIME);
            }
            case REDIS -> {
                env.put("SESSION_TYPE", "redis");
                env.put("SESSION_REDIS", REDIS_URI);
                env.put("SESSION_KEY_PREFIX", prefix(system));
                env.put("PERMANENT_SESSION_LIFETIME", LIFETIME);
            }
        }
        return env;
    }

    Process start(String system, Store store, Path log) throws Exception {
        int port = port(system);
        // a server left over on the port would answer the readiness check and be measured in this one's place
        try (ServerSocket free = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            free.setReuseAddress(true);
        } catch (IOException e) {
            throw new IllegalStateException("port " + port + " is in use: the seed's app needs ports "
                    + DEMO_PORT + "-" + FLASK_PORT, e);
        }
        List<String> command = new ArrayList<>();
        if (system.equals(DEMO)) {
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(jvmFlags);
            command.add("-jar");
            command.add(demoJar().orElseThrow().toString());
        } else {
            command.addAll(List.of(GUNICORN.toString(), "--chdir", appFolder().orElseThrow().toString(),
                    "--worker-class", "sync", "--workers", Integer.toString(workers), "--preload",
                    "--bind", "127.0.0.1:" + port, "app:app"));
        }
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().putAll(environment(system, store, port));
        Process p = builder.start();
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline && p.isAlive()) {
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return p;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        stop(p);
        throw new IllegalStateException(system + " on " + store.label() + " did not answer within 60 s; see " + log);
    }

    /** SIGTERM: the demo's shutdown hook and gunicorn's master stop gracefully; forcibly after 20 s. */
    static void stop(Process p) throws InterruptedException {
        List<ProcessHandle> children = p.descendants().toList();
        p.destroy();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        children.forEach(ProcessHandle::destroyForcibly);
    }

    /** Empties what one app keeps for one store: its folder, its table, its Redis keys. */
    void clear(String system, Store store) throws IOException, SQLException {
        switch (store) {
            case FILESYSTEM -> StoreAccess.deleteTree(folder(system));
            case POSTGRESQL -> {
                try (Connection c = DriverManager.getConnection(JDBC_URL); Statement s = c.createStatement()) {
                    s.execute("DROP TABLE IF EXISTS " + table(system));
                }
            }
            case REDIS -> {
                RedisClient client = RedisClient.create(REDIS_URI);
                try (StatefulRedisConnection<String, String> redis = client.connect()) {
                    ScanArgs match = ScanArgs.Builder.matches(prefix(system) + "*").limit(1000);
                    KeyScanCursor<String> cursor = redis.sync().scan(match);
                    while (true) {
                        if (!cursor.getKeys().isEmpty()) {
                            redis.sync().del(cursor.getKeys().toArray(String[]::new));
                        }
                        if (cursor.isFinished()) {
                            break;
                        }
                        cursor = redis.sync().scan(cursor, match);
                    }
                } finally {
                    client.shutdown();
                }
            }
        }
    }

    private static String version() {
        try {
            Process p = new ProcessBuilder(GUNICORN.toString(), "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            p.waitFor(10, TimeUnit.SECONDS);
            return out.replaceAll("^gunicorn \\(version (.*)\\)$", "$1");
        } catch (IOException e) {
            return "?";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "?";
        }
    }

    static long logLines(Path log) throws IOException {
        if (!Files.exists(log)) {
            return 0;
        }
        try (var lines = Files.lines(log, StandardCharsets.ISO_8859_1)) {
            return lines.count();
        }
    }

    /** Lines a server logged at WARNING or worse (Python's logging and tracebacks, SLF4J's WARN and ERROR). */
    static long problemLines(Path log, long skip) throws IOException {
        if (!Files.exists(log)) {
            return 0;
        }
        try (var lines = Files.lines(log, StandardCharsets.ISO_8859_1)) {
            return lines.skip(skip).filter(l -> l.contains("WARN") || l.contains("ERROR") || l.contains("Traceback")
                    || l.contains("[CRITICAL]")).count();
        }
    }
}
