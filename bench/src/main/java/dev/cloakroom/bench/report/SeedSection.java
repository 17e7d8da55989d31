package dev.cloakroom.bench.report;

import dev.cloakroom.bench.Store;
import dev.cloakroom.bench.load.Results;
import dev.cloakroom.bench.load.SeedLoad;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

/**
 * The report's section on the seed's app: Cloakroom's demo against Flask-Session under gunicorn on each store, set
 * beside issue 10's outside measurement and its 10x bar. Each ratio is the demo's throughput over Flask's within one
 * round, then the median and range of the rounds.
 */
final class SeedSection {
    private static final String DEMO = "cloakroom-demo";
    private static final String FLASK = "flask-session";
    /** Issue 10's outside measurement (wrk, 16 connections, 30 s, 3 rounds): the demo's lead, where it gave one. */
    private static final Map<String, Double> OUTSIDE = new LinkedHashMap<>();
    /** Issue 10's aim: this lead on every row, with zero errors. */
    private static final double BAR = 10;

    static {
        OUTSIDE.put(key(Store.FILESYSTEM, SeedLoad.READS), 9.8);
        OUTSIDE.put(key(Store.POSTGRESQL, SeedLoad.READS), 18.0);
        OUTSIDE.put(key(Store.REDIS, SeedLoad.READS), 6.2);
        OUTSIDE.put(key(Store.FILESYSTEM, SeedLoad.UPLOADS), 2.0);
        OUTSIDE.put(key(Store.POSTGRESQL, SeedLoad.UPLOADS), 6.9);
        OUTSIDE.put(key(Store.REDIS, SeedLoad.UPLOADS), 3.0);
        OUTSIDE.put(key(Store.REDIS, SeedLoad.NEW_SESSIONS), 4.0);
    }

    private final Results r;

    SeedSection(Results results) {
        this.r = results;
    }

    private static String key(Store s, SeedLoad l) {
        return s + "/" + l;
    }

    String markdown() {
        StringBuilder md = new StringBuilder("## The seed's app: Cloakroom's demo against Flask-Session (issue 10's reference row)\n\n");
        if (r.seed.isEmpty()) {
            md.append("Not measured in this run");
            if (!r.seedNotes.isEmpty()) {
                md.append(": ").append(r.seedNotes.stream().map(n -> n.replaceFirst("^not measured: ", ""))
                        .collect(Collectors.joining("; ")));
            }
            md.append(".\n\n");
            return md.toString();
        }
        int rounds = (int) r.seed.stream().mapToInt(Results.SeedRun::round).distinct().count();
        double seconds = r.seed.stream().mapToDouble(Results.SeedRun::seconds).average().orElse(0);
        md.append("The seed's upload app as its article writes it (`bench/flask/app.py`: the same two routes and ")
                .append("templates, Debian's Flask-Session 0.3.2 and Flask-SQLAlchemy, the article's SQL clean-up on ")
                .append("every upload) under gunicorn, against Cloakroom's Java port of it (`demo/target/cloakroom-demo.jar`, ")
                .append("`java -jar`). Both get the same settings in their environment: the filesystem store with ")
                .append("`SESSION_FILE_THRESHOLD=500` (Flask-Session's default and Cloakroom's; the article's 5 is its ")
                .append("test value: past it cachelib deletes the oldest files, live sessions' included, so most of the ")
                .append("16 clients would read a page without their upload), ")
                .append("PostgreSQL (database `cloakroom_bench_flask`, a table each) and Redis (DB 9, a key prefix each) ")
                .append("with the article's `PERMANENT_SESSION_LIFETIME=60`. ")
                .append(rounds).append(" round(s); in each, every store once per app, each app started fresh (the ")
                .append("store emptied first), the two back to back and their order swapped every round. Each app first ")
                .append("gets 16 sessions holding an upload (a 4 KiB file of 64 lines); then each load runs with 16 ")
                .append("concurrent clients (one connection and one cookie each, requests back to back) for ")
                .append(String.format(Locale.ROOT, "%.1f", seconds)).append(" s: **reads** of `/action` (right when the page lists the upload's first and last line), ")
                .append("**uploads** of the file to the 16 sessions (right when answered with a redirect to `/action`; ")
                .append("afterwards every session must still list its lines), **new sessions**: the upload without a ")
                .append("cookie (right when redirected with a new session cookie). An error is any other answer or a ")
                .append("failed connection. The load generator is a thread per client in the harness's JVM on a plain ")
                .append("blocking socket (`RawHttp`: as wrk does, the connection is kept alive where the server allows it ")
                .append("and opened again where it closes it, as gunicorn's sync workers do after every answer), on the ")
                .append("same cores as the servers.\n\n");
        r.seedNotes.forEach(n -> md.append("- ").append(n).append("\n"));
        md.append("\n| store | load | demo req/s | Flask req/s | demo ÷ Flask | outside | demo p50 / p99 ms | Flask p50 / p99 ms | errors demo / Flask |\n")
                .append("|---|---|---|---|---|---|---|---|---|\n");
        List<String> holds = new ArrayList<>();
        List<String> misses = new ArrayList<>();
        for (Store s : Store.values()) {
            for (SeedLoad l : SeedLoad.values()) {
                Spread ratio = ratio(s, l);
                if (ratio.isEmpty()) {
                    continue;
                }
                long demoErrors = errors(DEMO, s, l);
                long flaskErrors = errors(FLASK, s, l);
                Double outside = OUTSIDE.get(key(s, l));
                md.append("| ").append(s.label()).append(" | ").append(l.label()).append(" | ")
                        .append(spread(DEMO, s, l, Results.SeedRun::perSecond).format("%.0f")).append(" | ")
                        .append(spread(FLASK, s, l, Results.SeedRun::perSecond).format("%.0f")).append(" | ")
                        .append(ratio.format("%.1f")).append(" | ")
                        .append(outside == null ? "-" : String.format(Locale.ROOT, "%.1f", outside)).append(" | ")
                        .append(latency(DEMO, s, l)).append(" | ").append(latency(FLASK, s, l)).append(" | ")
                        .append(demoErrors).append(" / ").append(flaskErrors).append(" |\n");
                String line = String.format(Locale.ROOT, "%s, %s: demo ÷ Flask %.1f (bar: %.0f), demo errors %d",
                        s.label(), l.label(), ratio.median(), BAR, demoErrors);
                (ratio.median() >= BAR && demoErrors == 0 ? holds : misses).add(line);
            }
        }
        md.append("\nErrors are summed over the rounds, the set-up's included. Issue 10's bar (the demo at least ")
                .append(String.format(Locale.ROOT, "%.0f", BAR)).append("x ahead on every row, with zero errors):\n\n");
        md.append("Holds:\n\n");
        if (holds.isEmpty()) {
            md.append("- nothing\n");
        }
        holds.forEach(h -> md.append("- ").append(h).append("\n"));
        md.append("\nDoes not hold:\n\n");
        if (misses.isEmpty()) {
            md.append("- nothing\n");
        }
        misses.forEach(m -> md.append("- ").append(m).append("\n"));
        md.append("\n");
        return md.toString();
    }

    /** The closing note's line on Flask-Session. */
    String closingLine() {
        if (r.seed.isEmpty()) {
            return "- **Flask-Session** (the seed's system) is not measured here: see the machine table.\n\n";
        }
        return "- **Flask-Session** (the seed's system): gunicorn's sync workers serve one request each at a time in "
                + "separate processes, and Flask-Session 0.3.2 writes the whole pickled session back on every request, "
                + "reads included (its `save_session` skips no unchanged session); its file cache (cachelib) writes a "
                + "temporary file and renames it, with no fsync, where Cloakroom's durable file store fsyncs twice; once "
                + "the folder holds more files than `SESSION_FILE_THRESHOLD`, every write first reads the header of every "
                + "file to delete the expired ones and then the oldest (live sessions' included), so a new session costs "
                + "a scan of the folder; its SQL interface runs an ORM query to load, another before the write and a commit, and the article's clean-up adds a `DELETE` "
                + "to every upload. See the seed's app section.\n\n";
    }

    private List<Results.SeedRun> runs(String system, Store s, SeedLoad l) {
        return r.seed.stream().filter(x -> x.system().equals(system) && x.store() == s && x.load() == l).toList();
    }

    private Spread spread(String system, Store s, SeedLoad l, ToDoubleFunction<Results.SeedRun> f) {
        return Spread.of(runs(system, s, l).stream().map(f::applyAsDouble).toList());
    }

    private String latency(String system, Store s, SeedLoad l) {
        return spread(system, s, l, x -> x.latency().p50()).format("%.2f") + " / "
                + spread(system, s, l, x -> x.latency().p99()).format("%.2f");
    }

    private long errors(String system, Store s, SeedLoad l) {
        return runs(system, s, l).stream().mapToLong(Results.SeedRun::errors).sum();
    }

    /** Within each round that measured both apps: the demo's throughput over Flask's. */
    private Spread ratio(Store s, SeedLoad l) {
        List<Double> ratios = new ArrayList<>();
        for (Results.SeedRun demo : runs(DEMO, s, l)) {
            runs(FLASK, s, l).stream().filter(f -> f.round() == demo.round() && f.perSecond() > 0).findFirst()
                    .ifPresent(f -> ratios.add(demo.perSecond() / f.perSecond()));
        }
        return Spread.of(ratios);
    }
}
