package dev.cloakroom.bench.load;

import dev.cloakroom.bench.Store;
import java.nio.file.Path;
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
import org.HdrHistogram.Histogram;

/**
 * Issue 10's reference row: the seed's own app on Flask-Session 0.3.2 (Debian's {@code python3-flask-session},
 * {@code bench/flask/app.py} under gunicorn's sync workers) beside Cloakroom's Java port of it (the {@code demo} jar),
 * on each store, with the loads of the outside measurement: reads of {@code /action} by 16 sessions holding
 * an upload, uploads to those 16 sessions, uploads without a cookie (a new session each).
 *
 * <p>Both apps are started fresh for each store in each round (the order of the two swapped every round), each given
 * the same settings ({@link SeedApps}); the stores are emptied before each start and at the end.
 */
final class SeedWorkload {
    static final int CLIENTS = 16;

    private final Mode mode;
    private final Path logs;
    private final Consumer<String> progress;
    private final Results results;
    private final SeedApps apps;

    SeedWorkload(Mode mode, Path data, Path logs, Consumer<String> progress, Results results) {
        this.mode = mode;
        this.logs = logs;
        this.progress = progress;
        this.results = results;
        this.apps = new SeedApps(data, mode);
    }

    /** Seconds each load is measured for (the outside measurement's were 30 s, each in one long-running server). */
    static double seconds(Mode mode) {
        return switch (mode.name()) {
            case "full" -> 10;
            case "quick" -> 4;
            default -> 0.5;
        };
    }

    /**
     * Seconds of each load before it is measured, in every fresh process. The outside measurement ran a long-lived
     * server; a fresh JVM takes about 15 s of this load on two cores to compile its hot code (the demo's reads went from
     * 1,600 req/s in its first 5 s to 11,500 from 15 s on), while CPython has nothing to warm, so a short warm-up
     * measures the JIT against Flask, not the session store.
     */
    static double warmupSeconds(Mode mode) {
        return switch (mode.name()) {
            case "full" -> 15;
            case "quick" -> 8;
            default -> 0;
        };
    }

    void run() throws Exception {
        Optional<String> why = SeedApps.unavailable();
        if (why.isPresent()) {
            results.seedNotes.add(why.get());
            progress.accept("seed's app: " + why.get());
            return;
        }
        apps.ensureDatabase();
        results.seedNotes.add(apps.describe());
        results.seedNotes.add(String.format(Locale.ROOT, "each load measured for %.1f s, after %.1f s of the same load "
                + "unmeasured, in each fresh process", seconds(mode), warmupSeconds(mode)));
        Map<String, Long> warnings = new LinkedHashMap<>();
        List<String> systems = List.of(SeedApps.DEMO, SeedApps.FLASK);
        // within a round, the two apps run back to back on each store, the first of them swapped every round
        try {
            for (int round = 1; round <= mode.rounds(); round++) {
                for (Store store : Store.values()) {
                    for (String system : round % 2 == 1 ? systems : List.of(SeedApps.FLASK, SeedApps.DEMO)) {
                        progress.accept("seed's app, round " + round + ": " + system + " on " + store.label());
                        apps.clear(system, store);
                        Path log = logs.resolve("seed-" + system + "-" + store.name().toLowerCase() + ".log");
                        long linesBefore = SeedApps.logLines(log);
                        Process p = apps.start(system, store, log);
                        try {
                            measure(system, store, round, SeedApps.port(system));
                            if (!p.isAlive()) {
                                results.seedNotes.add(system + " on " + store.label() + ", round " + round
                                        + ": the server exited during the run (exit " + p.exitValue() + "; see " + log + ")");
                            }
                        } finally {
                            SeedApps.stop(p);
                        }
                        warnings.merge(system + " on " + store.label(), SeedApps.problemLines(log, linesBefore), Long::sum);
                    }
                }
            }
        } finally {
            for (Store store : Store.values()) {
                apps.clear(SeedApps.DEMO, store);
                apps.clear(SeedApps.FLASK, store);
            }
        }
        warnings.forEach((where, n) -> {
            if (n > 0) {
                results.seedNotes.add(where + ": " + n + " warning or error lines in its log (" + logs + ")");
            }
        });
    }

    private void measure(String system, Store store, int round, int port) throws Exception {
        List<SeedClient> clients = new ArrayList<>();
        long setupErrors = 0;
        for (int i = 0; i < CLIENTS; i++) {
            SeedClient c = new SeedClient(port);
            setupErrors += c.upload(true) == SeedClient.Outcome.RIGHT ? 0 : 1;
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
                    errors += c.read() == SeedClient.Outcome.RIGHT ? 0 : 1;
                }
            }
            results.seed.add(new Results.SeedRun(system, store, load, round, d.latencies().getTotalCount(), d.seconds(),
                    d.latencies().getTotalCount() / d.seconds(), Summary.of(d.latencies()), errors));
        }
        clients.forEach(SeedClient::close);
    }

    private record Drive(Histogram latencies, double seconds, long errors) {
    }

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
                        SeedClient.Outcome o = switch (load) {
                            case READS -> client.read();
                            case UPLOADS -> client.upload(false);
                            case NEW_SESSIONS -> client.upload(true);
                        };
                        if (o != SeedClient.Outcome.RIGHT) {
                            errors.incrementAndGet();
                        }
                        if (o == SeedClient.Outcome.FAILED) {
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
}
