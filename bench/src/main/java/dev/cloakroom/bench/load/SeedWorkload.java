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
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.HdrHistogram.Histogram;

/**
 * Issue 10's reference row: the seed's own app on Flask-Session 0.3.2 (Debian's {@code python3-flask-session},
 * {@code bench/flask/app.py} under gunicorn's sync workers) beside Cloakroom's Java port of it (the {@code demo} jar),
 * on each store, with the loads of the outside measurement: reads of {@code /action} by 16 sessions holding
 * an upload, uploads to those 16 sessions, uploads without a cookie (a new session each).
 *
 * <p>Both apps are started fresh for each store in each round (the order of the two swapped every round), each given
 * the same settings through the environment; the stores are emptied before each start and at the end. Its own
 * database ({@value #DATABASE}), Redis DB 9 and ports 7700-7701, so that it touches nothing of the contenders'.
 */
final class SeedWorkload {
    static final String DEMO = "cloakroom-demo";
    static final String FLASK = "flask-session";
    static final String DATABASE = "cloakroom_bench_flask";
    static final int CLIENTS = 16;
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
    private static final String BOUNDARY = "cloakroomseedboundary";
    /** 64 lines of 63 characters and a newline, 4 KiB, spaces included (the pages show them as {@code &nbsp;}). */
    private static final String UPLOAD_TEXT = IntStream.range(0, 64)
            .mapToObj(i -> String.format("line %02d of the seed upload, kept in the session: %s", i, "abcdefghijklm"))
            .collect(Collectors.joining("\n", "", "\n"));
    private static final byte[] UPLOAD_BODY = ("--" + BOUNDARY + "\r\n"
            + "Content-Disposition: form-data; name=\"textfile\"; filename=\"seed.txt\"\r\n"
            + "Content-Type: text/plain\r\n\r\n" + UPLOAD_TEXT + "\r\n--" + BOUNDARY + "--\r\n")
            .getBytes(StandardCharsets.UTF_8);

    private final Mode mode;
    private final Path data;
    private final Path logs;
    private final Consumer<String> progress;
    private final Results results;
    private final int workers = 2 * Runtime.getRuntime().availableProcessors() + 1;

    SeedWorkload(Mode mode, Path data, Path logs, Consumer<String> progress, Results results) {
        this.mode = mode;
        this.data = data;
        this.logs = logs;
        this.progress = progress;
        this.results = results;
    }

    /** Seconds each load is measured for: the outside measurement's 30 in the full mode. */
    static double seconds(Mode mode) {
        return switch (mode.name()) {
            case "full" -> 30;
            case "quick" -> 4;
            default -> 0.5;
        };
    }

    /** Seconds of each load before it is measured, in every fresh process. */
    static double warmupSeconds(Mode mode) {
        return switch (mode.name()) {
            case "full" -> 10;
            case "quick" -> 2;
            default -> 0;
        };
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

    void run() throws Exception {
        Optional<String> why = unavailable();
        if (why.isPresent()) {
            results.seedNotes.add(why.get());
            progress.accept("seed's app: " + why.get());
            return;
        }
        StoreAccess.ensureDatabase(JDBC_URL);
        results.seedNotes.add("gunicorn " + version() + ", " + workers + " sync workers ((2 x " + Runtime.getRuntime()
                .availableProcessors() + " cores) + 1, as gunicorn's documentation recommends), `--preload` (the app "
                + "imported once, in the master, so that the workers do not race on the article's `create_all`); the "
                + "demo in one JVM with the contenders' flags (" + String.join(" ", jvmFlags()) + ")");
        results.seedNotes.add(String.format(Locale.ROOT, "each load measured for %.1f s, after %.1f s of the same load "
                + "unmeasured, in each fresh process", seconds(mode), warmupSeconds(mode)));
        Map<String, Long> warnings = new LinkedHashMap<>();
        List<String> systems = List.of(DEMO, FLASK);
        // within a round, the two apps run back to back on each store, the first of them swapped every round
        try {
            for (int round = 1; round <= mode.rounds(); round++) {
                for (Store store : Store.values()) {
                    for (String system : round % 2 == 1 ? systems : List.of(FLASK, DEMO)) {
                        progress.accept("seed's app, round " + round + ": " + system + " on " + store.label());
                        clear(system, store);
                        Path log = logs.resolve("seed-" + system + "-" + store.name().toLowerCase() + ".log");
                        long linesBefore = logLines(log);
                        Process p = start(system, store, log);
                        try {
                            measure(system, store, round, system.equals(DEMO) ? DEMO_PORT : FLASK_PORT);
                            if (!p.isAlive()) {
                                results.seedNotes.add(system + " on " + store.label() + ", round " + round
                                        + ": the server exited during the run (exit " + p.exitValue() + "; see " + log + ")");
                            }
                        } finally {
                            stop(p);
                        }
                        warnings.merge(system + " on " + store.label(), problemLines(log, linesBefore), Long::sum);
                    }
                }
            }
        } finally {
            for (Store store : Store.values()) {
                clear(DEMO, store);
                clear(FLASK, store);
            }
        }
        warnings.forEach((where, n) -> {
            if (n > 0) {
                results.seedNotes.add(where + ": " + n + " warning or error lines in its log (" + logs + ")");
            }
        });
    }

    private List<String> jvmFlags() {
        List<String> flags = new ArrayList<>(ContenderProcess.JVM_FLAGS);
        flags.addAll(mode.jvmFlags());
        return flags;
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

    private Process start(String system, Store store, Path log) throws Exception {
        int port = system.equals(DEMO) ? DEMO_PORT : FLASK_PORT;
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
            command.addAll(jvmFlags());
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
    private static void stop(Process p) throws InterruptedException {
        List<ProcessHandle> children = p.descendants().toList();
        p.destroy();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        children.forEach(ProcessHandle::destroyForcibly);
    }

    private void measure(String system, Store store, int round, int port) throws Exception {
        List<SeedClient> clients = new ArrayList<>();
        long setupErrors = 0;
        for (int i = 0; i < CLIENTS; i++) {
            SeedClient c = new SeedClient(port);
            setupErrors += c.upload(true) == Outcome.RIGHT ? 0 : 1;
            clients.add(c);
        }
        for (SeedLoad load : SeedLoad.values()) {
            // the set-up's and the warm-up's wrong answers count too: only the timing of the warm-up is dropped
            long errors = setupErrors;
            setupErrors = 0;
            if (warmupSeconds(mode) > 0) {
                errors += drive(clients, load, warmupSeconds(mode)).errors();
            }
            Drive d = drive(clients, load, seconds(mode));
            errors += d.errors();
            if (load == SeedLoad.UPLOADS) {
                // what the uploads left: every session still lists its lines
                for (SeedClient c : clients) {
                    errors += c.read() == Outcome.RIGHT ? 0 : 1;
                }
            }
            results.seed.add(new Results.SeedRun(system, store, load, round, d.latencies().getTotalCount(), d.seconds(),
                    d.latencies().getTotalCount() / d.seconds(), Summary.of(d.latencies()), errors));
        }
        clients.forEach(SeedClient::close);
    }

    private record Drive(Histogram latencies, double seconds, long errors) {
    }

    /** What one request got: a right answer, a wrong one, or no answer at all (refused or dropped connection). */
    private enum Outcome { RIGHT, WRONG, FAILED }

    /** Every client sends one load's requests back to back until the time is up. */
    private static Drive drive(List<SeedClient> clients, SeedLoad load, double seconds) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients.size());
        try {
            CyclicBarrier go = new CyclicBarrier(clients.size() + 1);
            AtomicLong errors = new AtomicLong();
            long[] deadline = new long[1];
            List<Future<Histogram>> done = new ArrayList<>();
            for (SeedClient client : clients) {
                done.add(pool.submit(() -> {
                    Histogram h = Summary.histogram();
                    go.await();
                    while (System.nanoTime() < deadline[0]) {
                        long started = System.nanoTime();
                        Outcome o = switch (load) {
                            case READS -> client.read();
                            case UPLOADS -> client.upload(false);
                            case NEW_SESSIONS -> client.upload(true);
                        };
                        if (o != Outcome.RIGHT) {
                            errors.incrementAndGet();
                        }
                        if (o == Outcome.FAILED) {
                            // no answer is no request served, and a refused connection fails at once: without a
                            // pause a server that died would be counted millions of times
                            Thread.sleep(10);
                        } else {
                            Summary.record(h, System.nanoTime() - started);
                        }
                    }
                    return h;
                }));
            }
            long started = System.nanoTime();
            // written before the barrier, which every client passes before reading it
            deadline[0] = started + (long) (seconds * 1e9);
            go.await();
            Histogram all = Summary.histogram();
            for (Future<Histogram> f : done) {
                all.add(f.get(5, TimeUnit.MINUTES));
            }
            return new Drive(all, (System.nanoTime() - started) / 1e9, errors.get());
        } finally {
            pool.shutdownNow();
        }
    }

    /** One browser: its own connection (opened again when gunicorn closes it) and its session cookie. */
    private static final class SeedClient implements AutoCloseable {
        private static final List<String> FORM_HEADERS = List.of("Content-Type: multipart/form-data; boundary=" + BOUNDARY);
        private final RawHttp http;
        private String cookie;

        SeedClient(int port) {
            this.http = new RawHttp(port);
        }

        /**
         * Posts the file; right if the answer is a redirect to {@code /action} (Flask's 302, the demo's 303) that
         * names a session. {@code fresh}: without a cookie, and a set-up client keeps the one it gets.
         */
        Outcome upload(boolean fresh) {
            List<String> headers = fresh ? FORM_HEADERS
                    : List.of(FORM_HEADERS.get(0), "Cookie: session=" + cookie);
            Optional<RawHttp.Answer> a = send("POST", "/", headers, UPLOAD_BODY);
            if (a.isEmpty()) {
                return Outcome.FAILED;
            }
            RawHttp.Answer answer = a.get();
            Optional<String> set = answer.all("set-cookie").stream()
                    .filter(c -> c.startsWith("session=")).map(c -> c.substring(8).split(";", 2)[0]).findFirst();
            boolean right = (answer.status() == 302 || answer.status() == 303)
                    && answer.header("location").endsWith("/action")
                    && (set.isPresent() || !fresh);
            if (fresh && cookie == null && set.isPresent()) {
                cookie = set.get();
            }
            return right ? Outcome.RIGHT : Outcome.WRONG;
        }

        /** Reads {@code /action}; right if it lists the upload's first and last line. */
        Outcome read() {
            if (cookie == null) {
                return Outcome.WRONG;
            }
            Optional<RawHttp.Answer> a = send("GET", "/action", List.of("Cookie: session=" + cookie), null);
            if (a.isEmpty()) {
                return Outcome.FAILED;
            }
            return a.get().status() == 200 && a.get().body().contains(FIRST_LINE)
                    && a.get().body().contains(LAST_LINE) ? Outcome.RIGHT : Outcome.WRONG;
        }

        private Optional<RawHttp.Answer> send(String method, String path, List<String> headers, byte[] body) {
            try {
                return Optional.of(http.send(method, path, headers, body));
            } catch (IOException | RuntimeException e) {
                // counted by the caller: a refused or dropped connection, or an answer that is not HTTP, is an error
                http.close();
                return Optional.empty();
            }
        }

        @Override
        public void close() {
            http.close();
        }
    }

    private static final String FIRST_LINE = UPLOAD_TEXT.lines().findFirst().orElseThrow().replace(" ", "&nbsp;");
    private static final String LAST_LINE = UPLOAD_TEXT.lines().reduce((a, b) -> b).orElseThrow().replace(" ", "&nbsp;");

    /** Empties what one app keeps for one store: its folder, its table, its Redis keys. */
    private void clear(String system, Store store) throws IOException, SQLException {
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

    private static long logLines(Path log) throws IOException {
        if (!Files.exists(log)) {
            return 0;
        }
        try (var lines = Files.lines(log, StandardCharsets.ISO_8859_1)) {
            return lines.count();
        }
    }

    /** Lines a server logged at WARNING or worse (Python's logging and tracebacks, SLF4J's WARN and ERROR). */
    private static long problemLines(Path log, long skip) throws IOException {
        if (!Files.exists(log)) {
            return 0;
        }
        try (var lines = Files.lines(log, StandardCharsets.ISO_8859_1)) {
            return lines.skip(skip).filter(l -> l.contains("WARN") || l.contains("ERROR") || l.contains("Traceback")
                    || l.contains("[CRITICAL]")).count();
        }
    }
}
