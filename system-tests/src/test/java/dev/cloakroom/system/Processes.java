package dev.cloakroom.system;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Commands the fault scenarios run on this machine: a program run to completion within a bound, signals sent to a
 * process and its children, and a free port from this suite's own range.
 */
final class Processes {
    /** The ports the private store servers take, from the range set aside for these scenarios. */
    static final int FIRST_PORT = 7410;
    static final int LAST_PORT = 7499;

    private Processes() {
    }

    /** Whether this JVM runs as root, which PostgreSQL refuses to run as and which permission bits do not stop. */
    static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /**
     * Runs {@code command} and waits for it, at most {@code timeout}; returns its output (stdout and stderr together).
     *
     * @throws IOException if it fails to start, exits non-zero or runs out of time (the output in the message)
     */
    static String run(Duration timeout, List<String> command) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            process.getOutputStream().close();
            // read on this thread: the commands run here print a few lines at most
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IOException("timed out after " + timeout + ": " + String.join(" ", command));
            }
            String text = new String(output, StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                throw new IOException("exit " + process.exitValue() + " from " + String.join(" ", command) + ": " + text);
            }
            return text;
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", command), e);
        }
    }

    static String run(Duration timeout, String... command) throws IOException {
        return run(timeout, List.of(command));
    }

    /**
     * Sends {@code signal} (e.g. {@code STOP}, {@code CONT}, {@code KILL}) to each of {@code pids}, in order. A process
     * that exited meanwhile (a backend that saw its postmaster die) is no failure.
     */
    static void signal(String signal, List<Long> pids) throws IOException {
        if (pids.isEmpty()) {
            return;
        }
        List<String> command = new ArrayList<>(List.of("kill", "-" + signal));
        pids.forEach(pid -> command.add(Long.toString(pid)));
        try {
            run(Duration.ofSeconds(10), command);
        } catch (IOException e) {
            if (pids.stream().anyMatch(pid -> Files.exists(Path.of("/proc", Long.toString(pid))))
                    && !e.getMessage().contains("No such process")) {
                throw e;
            }
        }
    }

    /** The process {@code pid} followed by its children (not their children: the servers here fork one level). */
    static List<Long> withChildren(long pid) throws IOException {
        List<Long> pids = new ArrayList<>(List.of(pid));
        try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
            for (Path entry : entries.toList()) {
                String name = entry.getFileName().toString();
                if (name.chars().allMatch(Character::isDigit) && parentOf(entry) == pid) {
                    pids.add(Long.parseLong(name));
                }
            }
        }
        return pids;
    }

    /** The parent pid in {@code /proc/<pid>/stat}, or -1 if the process is gone. */
    private static long parentOf(Path proc) {
        try {
            String stat = Files.readString(proc.resolve("stat"), StandardCharsets.UTF_8);
            // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[1]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Waits until none of {@code pids} runs any more (zombies included), at most {@code timeout}. */
    static void awaitGone(List<Long> pids, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (pids.stream().anyMatch(pid -> Files.exists(Path.of("/proc", Long.toString(pid))))) {
            if (System.nanoTime() > deadline) {
                throw new IOException("processes " + pids + " still run " + timeout + " after the signal");
            }
            pause(Duration.ofMillis(20));
        }
    }

    private static void pause(Duration duration) throws IOException {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** A port of the range that nothing listens on now. */
    static int freePort() throws IOException {
        for (int port = FIRST_PORT; port <= LAST_PORT; port++) {
            try (ServerSocket socket = new ServerSocket()) {
                socket.bind(new InetSocketAddress("127.0.0.1", port));
                return port;
            } catch (IOException taken) {
                // try the next one
            }
        }
        throw new IOException("no free port in " + FIRST_PORT + ".." + LAST_PORT);
    }

    /** Waits until something accepts connections on the loopback port, at most {@code timeout}. */
    static void awaitListening(int port, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("nothing listens on 127.0.0.1:" + port + " after " + timeout, e);
                }
            }
            pause(Duration.ofMillis(50));
        }
    }
}
