package dev.cloakroom.system;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The demo app ({@code dev.cloakroom.demo.DemoApp}) in a JVM of its own, started as an operator would start it: with
 * settings in its environment only, and its stdout and stderr captured to files under {@code target/demo-logs}. It can
 * be stopped (SIGTERM, so that its shutdown hook runs) or killed ({@code kill -9}).
 */
final class DemoProcess implements AutoCloseable {
    static final String MAIN_CLASS = "dev.cloakroom.demo.DemoApp";
    private static final Pattern LISTENING = Pattern.compile("Cloakroom demo listening on (http://\\S+/)");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final String name;
    private final Process process;
    private final Path stdout;
    private final Path stderr;
    private final URI uri;

    private DemoProcess(String name, Process process, Path stdout, Path stderr, URI uri) {
        this.name = name;
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
        this.uri = uri;
    }

    /** A launch of the demo on {@code store}'s namespace, on a free port, with the metrics endpoint on. */
    static Launch on(StoreProbe store) {
        return new Launch().with(store.settings());
    }

    /** A launch of the demo with no settings but the port and metrics; add the store's with {@link Launch#with}. */
    static Launch launch() {
        return new Launch();
    }

    /**
     * The demo's settings, reusable: every {@link #start} is a new process with the same environment (a restart after
     * a kill). Each process gets only these variables, nothing inherited from the test JVM.
     */
    static final class Launch {
        private final Map<String, String> env = new LinkedHashMap<>(Map.of(
                "HOST", "127.0.0.1", "PORT", "0", "SESSION_METRICS", "true"));
        private final List<String> jvmOptions = new ArrayList<>(List.of("-Xmx384m", "-XX:+UseSerialGC"));
        private String name = "demo";

        private Launch() {
        }

        /** Names the log files. */
        Launch name(String value) {
            this.name = value;
            return this;
        }

        Launch with(String setting, String value) {
            env.put(setting, value);
            return this;
        }

        Launch with(Map<String, String> settings) {
            env.putAll(settings);
            return this;
        }

        /** An option for the demo's JVM, such as {@code -Xmx64m}. */
        Launch jvm(String option) {
            jvmOptions.add(option);
            return this;
        }

        /** The environment each process gets. */
        Map<String, String> env() {
            return Map.copyOf(env);
        }

        /**
         * Starts a demo process and returns once it answers {@code GET /}.
         *
         * @throws IllegalStateException if it exits or does not answer within a minute (its logs in the message)
         */
        DemoProcess start() throws IOException, InterruptedException {
            Path logs = Path.of(System.getProperty("demo.logs", "target/demo-logs")).toAbsolutePath();
            Files.createDirectories(logs);
            String base = name + "-" + UUID.randomUUID().toString().substring(0, 8);
            Path out = logs.resolve(base + ".out");
            Path err = logs.resolve(base + ".err");
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(jvmOptions);
            command.add("-cp");
            command.add(demoClassPath());
            command.add(MAIN_CLASS);
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE);
            builder.environment().clear();
            builder.environment().putAll(env);
            Process process = builder.start();
            try {
                URI uri = awaitListening(process, out, err);
                DemoProcess demo = new DemoProcess(name, process, out, err, uri);
                demo.awaitAnswering();
                return demo;
            } catch (IOException | InterruptedException | RuntimeException e) {
                process.destroyForcibly().waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                throw e;
            }
        }
    }

    /**
     * The demo's run-time class path: this module's test class path (Surefire sets {@code java.class.path} to it in
     * the forked JVM, also when it starts through a manifest-only jar), without this module's own test classes.
     */
    static String demoClassPath() {
        String testClasses = Path.of("target", "test-classes").toAbsolutePath().toString();
        List<String> entries = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !Path.of(entry).toAbsolutePath().toString().equals(testClasses))
                .filter(entry -> !entry.contains("surefire"))
                .toList();
        if (entries.stream().noneMatch(entry -> entry.contains("demo"))) {
            throw new IllegalStateException("the demo is not on the test class path: " + entries);
        }
        return String.join(File.pathSeparator, entries);
    }

    private static URI awaitListening(Process process, Path out, Path err) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            for (Path log : List.of(err, out)) {
                Matcher listening = LISTENING.matcher(Files.readString(log, StandardCharsets.UTF_8));
                if (listening.find()) {
                    return URI.create(listening.group(1));
                }
            }
            if (!process.isAlive()) {
                throw new IllegalStateException("the demo exited with " + process.exitValue() + " before listening:\n"
                        + Files.readString(err) + Files.readString(out));
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("the demo did not listen within " + START_TIMEOUT + ":\n" + Files.readString(err));
    }

    private void awaitAnswering() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        IOException last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                last = e;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("the demo on " + uri + " did not answer GET / within " + START_TIMEOUT, last);
    }

    /** Where it answers, e.g. {@code http://127.0.0.1:41234/}. */
    URI uri() {
        return uri;
    }

    /** The operating system's process id. */
    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Its standard output and standard error so far (SLF4J simple logs to standard error). */
    String log() throws IOException {
        return Files.readString(stdout, StandardCharsets.UTF_8) + Files.readString(stderr, StandardCharsets.UTF_8);
    }

    /** The files its output goes to. */
    List<Path> logFiles() {
        return List.of(stdout, stderr);
    }

    /**
     * The current value of one series of its Prometheus scrape ({@code SESSION_METRICS} is on by default), e.g.
     * {@code cloakroom_ids_rejected_total{reason="malformed"}}; 0 if the series is not there.
     */
    double metric(String series) throws IOException, InterruptedException {
        String scrape = HTTP.send(HttpRequest.newBuilder(uri.resolve("/metrics")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        for (String line : scrape.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        return 0;
    }

    /** Stops it with SIGTERM, so that its shutdown hook closes the server and the store; {@code kill -9} if it hangs. */
    void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            kill();
        }
    }

    /** {@code kill -9}: no shutdown hook, no flush, no close. Returns once the process is gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            stop();
        }
    }

    @Override
    public String toString() {
        return name + " (pid " + process.pid() + ", " + uri + ")";
    }
}
