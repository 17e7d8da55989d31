package dev.cloakroom.bench.load;

import io.lettuce.core.api.sync.RedisCommands;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts what reaches Redis two ways. {@code INFO commandstats} deltas per command name: what the server executed,
 * the commands a script runs included (and anyone else's traffic on the shared server). {@code MONITOR} lines from
 * real clients (not from scripts) that name a key under the contender's prefix: the round trips the contender sent.
 */
final class RedisCounters {
    private final RedisCommands<String, String> redis;
    private final URI uri;

    RedisCounters(RedisCommands<String, String> redis, String redisUri) {
        this.redis = redis;
        this.uri = URI.create(redisUri);
    }

    /** Calls per command name so far, without the {@code INFO} and {@code MONITOR} calls this class makes. */
    Map<String, Long> commandStats() {
        Map<String, Long> calls = new TreeMap<>();
        for (String line : redis.info("commandstats").split("\r?\n")) {
            if (line.startsWith("cmdstat_") && !line.startsWith("cmdstat_info:") && !line.startsWith("cmdstat_monitor:")) {
                String name = line.substring("cmdstat_".length(), line.indexOf(':'));
                // "cmdstat_get:calls=5,usec=...,rejected_calls=0,failed_calls=0": the first field only
                String count = line.replaceFirst("^[^:]*:calls=(\\d+),.*$", "$1");
                calls.put(name, Long.parseLong(count));
            }
        }
        return calls;
    }

    static Map<String, Long> delta(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> delta = new TreeMap<>();
        after.forEach((name, n) -> {
            long d = n - before.getOrDefault(name, 0L);
            if (d > 0) {
                delta.put(name, d);
            }
        });
        return delta;
    }

    /** Starts counting the client commands that name a key starting with {@code prefix}; close to stop. */
    Monitor monitor(String prefix) throws IOException {
        return new Monitor(new Socket(uri.getHost(), uri.getPort()), "\"" + prefix);
    }

    /** A {@code MONITOR} connection, counting on a thread of its own. */
    static final class Monitor implements AutoCloseable {
        private final Socket socket;
        private final AtomicLong commands = new AtomicLong();
        private final Thread reader;

        private Monitor(Socket socket, String quotedPrefix) throws IOException {
            this.socket = socket;
            OutputStream out = socket.getOutputStream();
            out.write("MONITOR\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String ok = in.readLine();
            if (ok == null || !ok.startsWith("+OK")) {
                socket.close();
                throw new IOException("MONITOR refused: " + ok);
            }
            this.reader = new Thread(() -> {
                try {
                    for (String line; (line = in.readLine()) != null; ) {
                        // "+1700000000.123456 [0 127.0.0.1:5555] "hget" "bench:..." ...; scripts show as [0 lua]
                        if (!line.contains(" lua]") && line.contains(quotedPrefix)) {
                            commands.incrementAndGet();
                        }
                    }
                } catch (IOException e) {
                    // closed
                }
            }, "redis monitor");
            reader.setDaemon(true);
            reader.start();
        }

        /** Waits for the lines already sent to arrive, then returns the count. */
        long stop() throws InterruptedException {
            Thread.sleep(300);
            long n = commands.get();
            close();
            return n;
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException e) {
                // nothing left to free
            }
        }
    }
}
