package dev.cloakroom.file;

import dev.cloakroom.SessionKey;
import dev.cloakroom.spi.SessionRecord;
import dev.cloakroom.spi.SessionStore;
import dev.cloakroom.spi.SessionWrite;
import dev.cloakroom.spi.SweepLease;
import dev.cloakroom.spi.WriteResult;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The second process of {@link FileSessionStoreTest}'s cross-process tests: opens the same folder with its own
 * {@link FileSessionStore} and either increments a counter attribute by compare-and-set, or holds the sweep lease.
 * Speaks line by line on stdin/stdout.
 */
final class FileStoreHammer {
    static final Duration IDLE = Duration.ofHours(1);

    private FileStoreHammer() {
    }

    /**
     * {@code <folder> increment <key> <times>}: prints "ready", waits for a line, increments, prints "done".
     * {@code <folder> lease}: prints "held" or "refused", then holds it until stdin closes.
     * {@code <folder> count <key>}: with {@link FileSync#ATOMIC}, increments until killed, printing each value written.
     */
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        FileSync sync = args[1].equals("count") ? FileSync.ATOMIC : FileSync.DURABLE;
        try (FileSessionStore store = FileSessionStore.builder(Path.of(args[0])).sync(sync).build()) {
            switch (args[1]) {
                case "count": {
                    SessionKey key = new SessionKey(args[2]);
                    while (true) {
                        increment(store, key);
                        System.out.println(store.load(key).orElseThrow().attributes().get("n"));
                        System.out.flush();
                    }
                }
                case "increment": {
                    SessionKey key = new SessionKey(args[2]);
                    int times = Integer.parseInt(args[3]);
                    System.out.println("ready");
                    System.out.flush();
                    in.readLine();
                    long started = System.currentTimeMillis();
                    int conflicts = 0;
                    for (int i = 0; i < times; i++) {
                        conflicts += increment(store, key) - 1;
                    }
                    System.out.println("done " + conflicts + " conflicts, from " + started + " to " + System.currentTimeMillis());
                    break;
                }
                case "lease": {
                    Optional<SweepLease> lease = store.tryAcquireSweepLease(Duration.ofMinutes(1));
                    System.out.println(lease.isPresent() ? "held" : "refused");
                    System.out.flush();
                    while (in.readLine() != null) {
                        // hold until the parent closes our stdin
                    }
                    lease.ifPresent(SweepLease::close);
                    break;
                }
                default:
                    throw new IllegalArgumentException("unknown mode " + args[1]);
            }
        }
        System.out.flush();
    }

    /** Adds one to attribute {@code n} with a version check, retrying on conflict; returns the attempts it took. */
    static int increment(SessionStore store, SessionKey key) {
        for (int attempt = 1; ; attempt++) {
            SessionRecord stored = store.load(key).orElseThrow();
            int n = Integer.parseInt(stored.attributes().get("n"));
            Instant now = Instant.now();
            SessionWrite write = new SessionWrite(key, false, Map.of("n", Integer.toString(n + 1)), Set.of(),
                    stored.createdAt(), now, IDLE, now.plus(IDLE), stored.version(), now, SessionWrite.NO_SIZE_LIMIT);
            WriteResult result = store.write(write);
            if (result == WriteResult.WRITTEN) {
                return attempt;
            }
            if (result != WriteResult.CONFLICT) {
                throw new IllegalStateException("unexpected " + result);
            }
        }
    }
}
