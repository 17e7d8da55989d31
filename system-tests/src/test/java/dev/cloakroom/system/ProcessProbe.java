package dev.cloakroom.system;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a running process holds, read as an operator would on Linux: its open file descriptors ({@code /proc/PID/fd}),
 * its TCP connections to a port (the fds' socket inodes found in {@code /proc/net/tcp} and {@code tcp6}), and its
 * live heap ({@code jcmd PID GC.class_histogram}, which collects fully first and counts what survived, in one step, so
 * that what the running load allocates meanwhile does not count).
 */
final class ProcessProbe {
    private static final Pattern SOCKET = Pattern.compile("socket:\\[(\\d+)]");
    /** The histogram's last line: {@code Total  123456  7890123}, instances and bytes. */
    private static final Pattern TOTAL = Pattern.compile("(?m)^Total\\s+\\d+\\s+(\\d+)\\s*$");

    private final long pid;

    ProcessProbe(long pid) {
        this.pid = pid;
    }

    /** How many file descriptors the process has open. */
    int openFiles() throws IOException {
        int count = 0;
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path ignored : fds) {
                count++;
            }
        }
        return count;
    }

    /** The local ports of the process's established TCP connections to {@code remotePort} on loopback. */
    Set<Integer> localPortsTo(int remotePort) throws IOException {
        Set<String> inodes = new HashSet<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : fds) {
                try {
                    Matcher socket = SOCKET.matcher(Files.readSymbolicLink(fd).toString());
                    if (socket.matches()) {
                        inodes.add(socket.group(1));
                    }
                } catch (NoSuchFileException e) {
                    // closed meanwhile
                }
            }
        }
        String port = String.format(Locale.ROOT, "%04X", remotePort);
        Set<Integer> local = new HashSet<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Path file = Path.of(table);
            if (!Files.exists(file)) {
                continue;
            }
            List<String> lines = Files.readAllLines(file);
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.trim().split("\\s+");
                // f[1] local address:port, f[2] remote, f[3] state (01 = established), f[9] inode
                if (f.length > 9 && f[2].endsWith(":" + port) && f[3].equals("01") && inodes.contains(f[9])) {
                    local.add(Integer.parseInt(f[1].substring(f[1].lastIndexOf(':') + 1), 16));
                }
            }
        }
        return local;
    }

    /** The heap's live objects right after a full collection, in KiB: what the process keeps alive. */
    long liveHeapKib() throws IOException, InterruptedException {
        String histogram = jcmd("GC.class_histogram");
        Matcher total = TOTAL.matcher(histogram);
        if (!total.find()) {
            throw new IllegalStateException("no Total line in the class histogram: "
                    + histogram.substring(Math.max(0, histogram.length() - 500)));
        }
        return Long.parseLong(total.group(1)) / 1024;
    }

    private String jcmd(String command) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process process = new ProcessBuilder(jcmd.toString(), Long.toString(pid), command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (!process.waitFor(Duration.ofSeconds(60).toSeconds(), TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException("jcmd " + pid + " " + command + " failed: " + output);
        }
        return output;
    }
}
