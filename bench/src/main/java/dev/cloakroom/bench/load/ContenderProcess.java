package dev.cloakroom.bench.load;

import dev.cloakroom.bench.Contender;
import dev.cloakroom.bench.server.ContenderServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A contender's JVM: started with the same flags and class path as every other, its output copied to a log file,
 * stopped by closing its standard input (and destroyed if it does not stop in time).
 */
final class ContenderProcess implements AutoCloseable {
    /** The same for every contender: a fixed heap, so that no contender gets more memory than another. */
    static final List<String> JVM_FLAGS = List.of("-Xms256m", "-Xmx256m", "-XX:+UseG1GC", "-Djava.awt.headless=true");
    private static final long START_TIMEOUT_SECONDS = 60;

    private final Contender contender;
    private final Process process;
    private final int port;

    private ContenderProcess(Contender contender, Process process, int port) {
        this.contender = contender;
        this.process = process;
        this.port = port;
    }

    static ContenderProcess start(Contender contender, int port, Target target, List<String> extraFlags, Path log) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(JVM_FLAGS);
        command.addAll(extraFlags);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(ContenderServer.class.getName());
        command.add(contender.id());
        command.add(Integer.toString(port));
        command.add(target.dataDir().toString());
        command.add(target.jdbcUrl());
        command.add(target.redisUri());
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        CountDownLatch ready = new CountDownLatch(1);
        Thread copier = new Thread(() -> copyOutput(process, log, ready), "log " + contender.id());
        copier.setDaemon(true);
        copier.start();
        if (!ready.await(START_TIMEOUT_SECONDS, TimeUnit.SECONDS) || !process.isAlive()) {
            process.destroyForcibly();
            throw new IllegalStateException(contender + " did not start within " + START_TIMEOUT_SECONDS + " s; see " + log);
        }
        return new ContenderProcess(contender, process, port);
    }

    private static void copyOutput(Process process, Path log, CountDownLatch ready) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
             PrintWriter out = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8,
                     java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND))) {
            for (String line; (line = in.readLine()) != null; ) {
                out.println(line);
                out.flush();
                if (line.equals("READY")) {
                    ready.countDown();
                }
            }
        } catch (IOException e) {
            // the process is gone; its exit is noticed by whoever waits for it
        } finally {
            ready.countDown();
        }
    }

    Contender contender() {
        return contender;
    }

    int port() {
        return port;
    }

    @Override
    public void close() throws InterruptedException {
        try (OutputStream in = process.getOutputStream()) {
            // closing it is the stop signal
        } catch (IOException e) {
            // already closed: the process is on its way out
        }
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
