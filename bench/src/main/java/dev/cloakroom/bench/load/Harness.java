package dev.cloakroom.bench.load;

import dev.cloakroom.bench.Contender;
import dev.cloakroom.bench.Pages;
import dev.cloakroom.bench.Store;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;

/**
 * One run: every phase, every contender in a fresh JVM for each of its turns, contenders interleaved round by round
 * (in a rotated order each round, so that drift on the machine does not always favour the same one).
 */
final class Harness implements AutoCloseable {
    /** The phases of a cleanup under load: the loaders warm up, are measured before, then during it. */
    private static final int WARMING = 0;
    private static final int BEFORE = 1;
    private static final int DURING = 2;
    private static final int DONE = 3;
    /** How long the store may still be written to after the last counted response. */
    private static final long SETTLE_MILLIS = 200;
    /** One returning user every this often, while the cleanup runs, ... */
    private static final long RETURNING_EVERY_MILLIS = 100;
    /** ... and at most this many waiting at once: each holds a pooled connection while it waits. */
    private static final int RETURNING_AT_ONCE = 4;
    /** Spring's one DELETE of a million rows runs for minutes on two busy cores. */
    private static final Duration CLEANUP_TIMEOUT = Duration.ofMinutes(10);

    private final Mode mode;
    private final Target target;
    private final List<Contender> contenders;
    private final int basePort;
    private final Path logs;
    private final Consumer<String> progress;
    private final StoreAccess store;
    private final RedisCounters redisCounters;
    private final Results results;
    /** The contenders' statements as the server counts them; null where {@code pg_stat_statements} is not loaded. */
    private final StatementStats statements;
    private final Set<Phase> phases;

    /** The parts of a run, in the order they run; {@code --only NAME} runs one (the million-row cleanup alone takes minutes). */
    enum Phase {
        /** Every contender's four pages: sequential, concurrent, round trips, lost updates, bytes stored. */
        PATHS,
        /** Issue 10's reference row: the seed's app on Flask-Session beside the demo. */
        SEED,
        /** Per-request cost as the store fills. */
        SCALE,
        /** Expired sessions cleaned up under load, on PostgreSQL. */
        CLEANUP;

        static Phase byName(String name) {
            for (Phase p : values()) {
                if (p.name().equalsIgnoreCase(name)) {
                    return p;
                }
            }
            throw new IllegalArgumentException("--only takes paths, seed, scale or cleanup, not '" + name + "'");
        }
    }

    Harness(Mode mode, Target target, List<Contender> contenders, int basePort, Path logs,
            Consumer<String> progress, Set<Phase> phases) throws Exception {
        this.mode = mode;
        this.target = target;
        this.contenders = List.copyOf(contenders);
        this.basePort = basePort;
        this.logs = logs;
        this.progress = progress;
        this.phases = Set.copyOf(phases);
        StoreAccess.ensureDatabase(target.adminJdbcUrl());
        this.store = new StoreAccess(target);
        this.redisCounters = new RedisCounters(store.redis(), target.redisUri());
        this.results = new Results(mode, Machine.describe(store), contenders);
        String role = StatementStats.userOf(target.jdbcUrl());
        this.statements = role == null ? null : StatementStats.open(target.adminJdbcUrl(), role);
    }

    Results run() throws Exception {
        results.startedMillis = System.currentTimeMillis();
        for (Contender c : contenders) {
            store.clear(c);
            store.dropTables(c);
        }
        for (int round = 1; round <= (phases.contains(Phase.PATHS) ? mode.rounds() : 0); round++) {
            for (Contender c : rotated(contenders, round)) {
                progress.accept("round " + round + ": " + c);
                try (ContenderProcess p = start(c)) {
                    measureRound(p, round);
                }
            }
        }
        if (phases.contains(Phase.SEED)) {
            survive(Phase.SEED, this::seed);
        }
        if (!mode.scaleLevels().isEmpty() && phases.contains(Phase.SCALE)) {
            survive(Phase.SCALE, this::measureScale);
        }
        if (mode.cleanupRows() > 0 && phases.contains(Phase.CLEANUP)) {
            survive(Phase.CLEANUP, this::measureCleanup);
        }
        for (Contender c : contenders) {
            store.clear(c);
        }
        results.finishedMillis = System.currentTimeMillis();
        return results;
    }

    private interface PhaseRun {
        void run() throws Exception;
    }

    /**
     * Runs a later phase so that its failure (a store that fills up at a million sessions, say) costs only its own
     * figures: the report keeps what was measured and says which phase failed, and why, in its machine table.
     */
    private void survive(Phase phase, PhaseRun run) {
        try {
            run.run();
        } catch (Exception e) {
            progress.accept(phase + " failed: " + e);
            results.machine.put("phase " + phase.name().toLowerCase(Locale.ROOT) + " failed", e.toString());
        }
    }

    private void seed() throws Exception {
        new SeedWorkload(mode, target.dataDir(), logs, progress, results).run();
    }

    private ContenderProcess start(Contender c) throws Exception {
        return ContenderProcess.start(c, basePort + c.ordinal(), target, mode.jvmFlags(), logs.resolve(c.id() + ".log"));
    }

    private static <T> List<T> rotated(List<T> list, int round) {
        List<T> copy = new ArrayList<>(list);
        Collections.rotate(copy, -(round - 1));
        return copy;
    }

    private void measureRound(ContenderProcess p, int round) throws Exception {
        Contender c = p.contender();
        Client client = new Client(p.port());
        int[] count = {0};
        // wrong or non-200 answers per page over the whole round, warm-up and set-up included
        Map<Workload, Long> errors = new EnumMap<>(Workload.class);
        errors.merge(Workload.INCREMENT, expect(client, Workload.INCREMENT, count[0]++), Long::sum);
        errors.merge(Workload.UPLOAD, expect(client, Workload.UPLOAD, count[0]), Long::sum);
        if (round == 1) {
            // the store was emptied before the first round: this client's session is the only one in it
            Thread.sleep(300);
            results.bytes.add(new Results.Bytes(c, store.bytes(c)));
        }
        for (Workload w : Workload.values()) {
            for (int i = 0; i < mode.warmup(); i++) {
                errors.merge(w, step(client, w, count, null), Long::sum);
            }
        }
        Map<Workload, Histogram> sequential = new EnumMap<>(Workload.class);
        for (Workload w : Workload.values()) {
            Histogram h = Summary.histogram();
            for (int i = 0; i < mode.sequential(); i++) {
                errors.merge(w, step(client, w, count, h), Long::sum);
            }
            sequential.put(w, h);
        }
        for (Workload w : Workload.values()) {
            errors.merge(w, countTrips(p, client, w, count, round), Long::sum);
        }
        List<Client> clients = new ArrayList<>();
        List<int[]> counts = new ArrayList<>();
        for (int i = 0; i < mode.clients(); i++) {
            Client each = new Client(p.port());
            int[] n = {0};
            errors.merge(Workload.INCREMENT, expect(each, Workload.INCREMENT, n[0]++), Long::sum);
            errors.merge(Workload.UPLOAD, expect(each, Workload.UPLOAD, n[0]), Long::sum);
            clients.add(each);
            counts.add(n);
        }
        for (Workload w : Workload.values()) {
            Concurrent run = concurrent(clients, counts, w);
            results.paths.add(new Results.PathRun(c, round, w, Summary.of(sequential.get(w)), Summary.of(run.latencies),
                    run.perSecond, run.errors + errors.getOrDefault(w, 0L)));
        }
        results.lost.add(lostUpdates(p, round));
    }

    /** Sends one request, checks its answer, records its latency if {@code h} is given; 1 if it was wrong. */
    private static long step(Client client, Workload w, int[] count, Histogram h) {
        Client.Answer a = client.send(w);
        if (h != null) {
            Summary.record(h, a.nanos());
        }
        boolean right = a.status() == 200 && a.body().equals(w.expected(count[0]));
        if (right && w == Workload.INCREMENT) {
            count[0]++;
        }
        return right ? 0 : 1;
    }

    private static long expect(Client client, Workload w, int count) {
        return step(client, w, new int[] {count}, null);
    }

    private long countTrips(ContenderProcess p, Client client, Workload w, int[] count, int round) throws Exception {
        Contender c = p.contender();
        long[] jdbcBefore = jdbcCounters(p);
        Map<String, Long> statsBefore = c.store() == Store.REDIS ? redisCounters.commandStats() : Map.of();
        RedisCounters.Monitor monitor = c.store() == Store.REDIS ? redisCounters.monitor(c.redisPrefix()) : null;
        boolean serverCounts = c.store() == Store.POSTGRESQL && statements != null;
        Map<List<Object>, StatementStats.Entry> pgBefore = serverCounts ? statements.snapshot() : null;
        long errors = 0;
        long clientCommands;
        try {
            for (int i = 0; i < mode.tripRequests(); i++) {
                errors += step(client, w, count, null);
            }
        } finally {
            clientCommands = monitor == null ? 0 : monitor.stop();
        }
        Map<String, Double> serverCalls = new HashMap<>();
        if (c.store() == Store.REDIS) {
            RedisCounters.delta(statsBefore, redisCounters.commandStats())
                    .forEach((name, n) -> serverCalls.put(name, n / (double) mode.tripRequests()));
        }
        // Jetty writes a session once its response has gone: let the last request's write land in this page's count
        Thread.sleep(SETTLE_MILLIS);
        long[] jdbcAfter = jdbcCounters(p);
        double n = mode.tripRequests();
        Results.PgCalls pg = null;
        if (serverCounts) {
            // top level only: what the contender sent, not what ran inside its statements
            List<StatementStats.Entry> ran = StatementStats.delta(pgBefore, statements.snapshot()).stream()
                    .filter(StatementStats.Entry::toplevel).toList();
            pg = new Results.PgCalls(ran.stream().mapToLong(StatementStats.Entry::calls).sum() / n,
                    ran.stream().filter(StatementStats.Entry::isBegin).mapToLong(StatementStats.Entry::calls).sum() / n,
                    ran.stream().filter(StatementStats.Entry::isEnd).mapToLong(StatementStats.Entry::calls).sum() / n);
        }
        results.trips.add(new Results.Trips(c, round, w, (jdbcAfter[0] - jdbcBefore[0]) / n,
                (jdbcAfter[1] - jdbcBefore[1]) / n, clientCommands / n, serverCalls, pg));
        return errors;
    }

    private static long[] jdbcCounters(ContenderProcess p) {
        Client.Answer a = new Client(p.port()).send("GET", Pages.STATS, null);
        String[] parts = a.body().trim().split(" ");
        return new long[] {Long.parseLong(parts[0]), Long.parseLong(parts[1])};
    }

    private record Concurrent(Histogram latencies, double perSecond, long errors) {
    }

    /**
     * Every client sends requests of one page back to back, each on its own session: unmeasured for the warm-up, then
     * measured for the window. Throughput is the requests sent in the window over the time until the last of them
     * was answered, so that one slow client does not stretch everyone's figure as a fixed count per client would.
     */
    private Concurrent concurrent(List<Client> clients, List<int[]> counts, Workload w) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients.size());
        try {
            CyclicBarrier go = new CyclicBarrier(clients.size() + 1);
            List<Future<Histogram>> done = new ArrayList<>();
            AtomicLong errors = new AtomicLong();
            AtomicLong lastAnswer = new AtomicLong();
            long[] window = new long[2];
            for (int i = 0; i < clients.size(); i++) {
                Client client = clients.get(i);
                int[] count = counts.get(i);
                done.add(pool.submit(() -> {
                    Histogram h = Summary.histogram();
                    go.await();
                    while (System.nanoTime() - window[0] < 0) {
                        errors.addAndGet(step(client, w, count, null));
                    }
                    while (System.nanoTime() - window[1] < 0) {
                        errors.addAndGet(step(client, w, count, h));
                    }
                    lastAnswer.accumulateAndGet(System.nanoTime(), Math::max);
                    return h;
                }));
            }
            window[0] = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(mode.concurrentWarmupMillis());
            window[1] = window[0] + TimeUnit.MILLISECONDS.toNanos(mode.concurrentMillis());
            go.await(); // publishes the window to the clients
            Histogram all = Summary.histogram();
            for (Future<Histogram> f : done) {
                all.add(f.get(10, TimeUnit.MINUTES));
            }
            double seconds = (lastAnswer.get() - window[0]) / 1e9;
            return new Concurrent(all, all.getTotalCount() / seconds, errors.get());
        } finally {
            pool.shutdownNow();
        }
    }

    /** All clients increment one session's counter at once, as tabs of one browser; how many increments survive. */
    private Results.Lost lostUpdates(ContenderProcess p, int round) throws Exception {
        Client first = new Client(p.port());
        long errors = expect(first, Workload.INCREMENT, 0);
        List<Client> tabs = new ArrayList<>();
        for (int i = 0; i < mode.clients(); i++) {
            tabs.add(first.sameBrowser(p.port()));
        }
        ExecutorService pool = Executors.newFixedThreadPool(tabs.size());
        AtomicInteger failed = new AtomicInteger();
        try {
            CyclicBarrier go = new CyclicBarrier(tabs.size());
            List<Future<?>> done = new ArrayList<>();
            for (Client tab : tabs) {
                done.add(pool.submit((Callable<Void>) () -> {
                    go.await();
                    for (int i = 0; i < mode.increments(); i++) {
                        if (tab.send(Workload.INCREMENT).status() != 200) {
                            failed.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(10, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        Client.Answer read = first.send(Workload.READ);
        int counted = read.status() == 200 ? Integer.parseInt(read.body().split(" ")[0]) - 1 : -1;
        return new Results.Lost(p.contender(), round, tabs.size(), tabs.size() * mode.increments(), counted,
                errors + failed.get() + (read.status() == 200 ? 0 : 1));
    }

    /** Per-request cost of sequential reads and increments as the store fills with live sessions. */
    private void measureScale() throws Exception {
        List<Contender> scaling = contenders.stream().filter(Contender::scales).toList();
        for (long level : mode.scaleLevels()) {
            for (Contender c : scaling) {
                progress.accept("scale " + level + ": seeding " + c);
                store.clear(c);
                try (ContenderProcess p = start(c)) {
                    // a counter only: with the upload, a million copies would not fit in Redis's memory
                    expect(new Client(p.port()), Workload.INCREMENT, 0);
                    Thread.sleep(300);
                }
                store.copy(c, level - 1, null);
            }
            for (int round = 1; round <= mode.rounds(); round++) {
                for (Contender c : rotated(scaling, round)) {
                    progress.accept("scale " + level + ", round " + round + ": " + c);
                    try (ContenderProcess p = start(c)) {
                        Client client = new Client(p.port());
                        int[] count = {0};
                        expect(client, Workload.INCREMENT, count[0]++);
                        expect(client, Workload.UPLOAD, count[0]);
                        Histogram read = Summary.histogram();
                        Histogram change = Summary.histogram();
                        for (int i = 0; i < mode.scaleRequests(); i++) {
                            step(client, Workload.READ, count, null);
                            step(client, Workload.INCREMENT, count, null);
                        }
                        for (int i = 0; i < mode.scaleRequests(); i++) {
                            step(client, Workload.READ, count, read);
                            step(client, Workload.INCREMENT, count, change);
                        }
                        results.scale.add(new Results.ScalePoint(c, level, store.count(c), round, Summary.of(read), Summary.of(change)));
                    }
                }
            }
        }
        for (Contender c : scaling) {
            store.clear(c);
        }
    }

    /**
     * Cloakroom's sweeper against Spring Session JDBC's cleanup statement, each under load, on PostgreSQL: the
     * expired rows are seeded, then users come back to sessions that expired too while the cleanup runs.
     */
    private void measureCleanup() throws Exception {
        List<Contender> cleaners = contenders.stream().filter(c -> c.expiryColumn() != null).toList();
        for (int round = 1; round <= mode.cleanupRounds(); round++) {
            for (Contender c : rotated(cleaners, round)) {
                progress.accept("cleanup of " + mode.cleanupRows() + ", round " + round + ": " + c);
                store.clear(c);
                try (ContenderProcess p = start(c)) {
                    Client template = new Client(p.port());
                    long errors = expect(template, Workload.INCREMENT, 0);
                    Instant expiredAt = Instant.now().minusSeconds(3600);
                    long seeding = System.nanoTime();
                    store.copy(c, mode.cleanupRows(), expiredAt);
                    List<Client> returning = new ArrayList<>();
                    for (int i = 0; i < returningUsers(); i++) {
                        Client user = new Client(p.port());
                        errors += expect(user, Workload.INCREMENT, 0);
                        returning.add(user);
                    }
                    // the template's and the returning users' sessions expire with the copies
                    store.expireLive(c, expiredAt);
                    store.vacuum(c);
                    progress.accept(String.format(Locale.ROOT, "seeded and vacuumed in %.1f s",
                            (System.nanoTime() - seeding) / 1e9));
                    results.cleanups.add(cleanUnderLoad(p, round, returning, errors));
                }
            }
        }
        for (Contender c : cleaners) {
            store.clear(c);
        }
    }

    /** Users whose session expired and who come back during the cleanup: enough for one every 100 ms of a long run. */
    private int returningUsers() {
        return (int) Math.max(20, Math.min(600, mode.cleanupRows() / 2000));
    }

    private Results.Cleanup cleanUnderLoad(ContenderProcess p, int round, List<Client> returning, long setupErrors)
            throws Exception {
        Contender c = p.contender();
        int loaders = Math.max(2, mode.clients() / 4);
        AtomicInteger phase = new AtomicInteger();
        Histogram before = Summary.histogram();
        Histogram during = Summary.histogram();
        Histogram comeback = Summary.histogram();
        AtomicLong errors = new AtomicLong(setupErrors);
        AtomicLong comebackErrors = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(loaders + 1);
        try {
            List<Future<?>> load = new ArrayList<>();
            for (int i = 0; i < loaders; i++) {
                load.add(pool.submit((Callable<Void>) () -> {
                    Client client = new Client(p.port());
                    int[] count = {0};
                    errors.addAndGet(expect(client, Workload.INCREMENT, count[0]++));
                    errors.addAndGet(expect(client, Workload.UPLOAD, count[0]));
                    Histogram mine = Summary.histogram();
                    Histogram mineDuring = Summary.histogram();
                    for (int r = 0; phase.get() < DONE; r++) {
                        Workload w = r % 2 == 0 ? Workload.READ : Workload.INCREMENT;
                        int now = phase.get();
                        Client.Answer a = client.send(w);
                        boolean right = a.status() == 200 && a.body().equals(w.expected(count[0]));
                        if (right && w == Workload.INCREMENT) {
                            count[0]++;
                        }
                        if (!right) {
                            errors.incrementAndGet();
                        }
                        if (now != WARMING) {
                            Summary.record(now == BEFORE ? mine : mineDuring, a.nanos());
                        }
                    }
                    synchronized (before) {
                        before.add(mine);
                        during.add(mineDuring);
                    }
                    return null;
                }));
            }
            // the contender's JVM is fresh and idled while the rows were seeded: its first requests are no baseline
            Thread.sleep(mode.equals(Mode.SMOKE) ? 200 : 2000);
            phase.set(BEFORE);
            Thread.sleep(mode.equals(Mode.SMOKE) ? 300 : 2000);
            Map<List<Object>, StatementStats.Entry> pgBefore = statements == null ? null : statements.snapshot();
            Results.Locks locks;
            Client.Answer cleaned;
            Future<?> comingBack;
            try (CleanupSampler sampler = new CleanupSampler(target.adminJdbcUrl(), c.expiryColumn())) {
                phase.set(DURING);
                comingBack = pool.submit((Callable<Void>) () -> {
                    comeBack(returning, phase, comeback, comebackErrors);
                    return null;
                });
                cleaned = new Client(p.port()).send("POST", Pages.CLEANUP, "", CLEANUP_TIMEOUT);
                phase.set(DONE);
                locks = sampler.stop();
            }
            for (Future<?> f : load) {
                f.get(1, TimeUnit.MINUTES);
            }
            comingBack.get(CLEANUP_TIMEOUT.toMinutes(), TimeUnit.MINUTES);
            Results.CleanupRows rows = pgBefore == null ? null : cleanupRows(c, StatementStats.delta(pgBefore, statements.snapshot()));
            long millis = cleaned.status() == 200 ? Long.parseLong(cleaned.body().split(" ")[0]) : -1;
            return new Results.Cleanup(c, round, mode.cleanupRows(), millis, Summary.of(before), Summary.of(during),
                    store.expired(c), errors.get() + (cleaned.status() == 200 ? 0 : 1), locks, rows,
                    Summary.of(comeback), comebackErrors.get());
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * While the cleanup runs, one user after another comes back to a session that expired: a read-only request,
     * which must answer 404 (no session). Each may wait for the cleanup's row locks where the product deletes the
     * expired session it finds (Spring Session does); its latency includes that wait, and never a queue of ours.
     */
    private static void comeBack(List<Client> users, AtomicInteger phase, Histogram latencies, AtomicLong wrong)
            throws InterruptedException {
        ExecutorService senders = Executors.newFixedThreadPool(RETURNING_AT_ONCE);
        Semaphore free = new Semaphore(RETURNING_AT_ONCE);
        List<Future<?>> sent = new ArrayList<>();
        try {
            Iterator<Client> next = users.iterator();
            while (phase.get() == DURING && next.hasNext()) {
                if (free.tryAcquire()) {
                    Client user = next.next();
                    sent.add(senders.submit(() -> {
                        try {
                            Client.Answer a = user.send("GET", Pages.READ, null, CLEANUP_TIMEOUT);
                            synchronized (latencies) {
                                Summary.record(latencies, a.nanos());
                            }
                            if (a.status() != 404) {
                                wrong.incrementAndGet();
                            }
                        } catch (RuntimeException e) {
                            wrong.incrementAndGet();
                        } finally {
                            free.release();
                        }
                    }));
                }
                Thread.sleep(RETURNING_EVERY_MILLIS);
            }
            for (Future<?> f : sent) {
                try {
                    f.get(CLEANUP_TIMEOUT.toMinutes(), TimeUnit.MINUTES);
                } catch (ExecutionException | TimeoutException e) {
                    wrong.incrementAndGet();
                }
            }
        } finally {
            senders.shutdownNow();
        }
    }

    /** The cleanup's deleting statements among what the contender ran: those naming its expiry column, and nested ones. */
    private static Results.CleanupRows cleanupRows(Contender c, List<StatementStats.Entry> ran) {
        String column = c.expiryColumn().toLowerCase(Locale.ROOT);
        long calls = 0;
        long rows = 0;
        long nestedCalls = 0;
        long nestedRows = 0;
        for (StatementStats.Entry e : ran) {
            String q = e.query().strip().toLowerCase(Locale.ROOT);
            if (!q.startsWith("delete")) {
                continue;
            }
            if (e.toplevel() && q.contains(column)) {
                calls += e.calls();
                rows += e.rows();
            } else if (!e.toplevel()) {
                nestedCalls += e.calls();
                nestedRows += e.rows();
            }
        }
        return new Results.CleanupRows(calls, rows, nestedCalls, nestedRows);
    }

    @Override
    public void close() throws Exception {
        if (statements != null) {
            statements.close();
        }
        store.close();
    }
}
