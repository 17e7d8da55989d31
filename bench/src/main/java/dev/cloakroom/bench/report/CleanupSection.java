package dev.cloakroom.bench.report;

import static dev.cloakroom.bench.report.ReportWriter.name;

import dev.cloakroom.bench.Contender;
import dev.cloakroom.bench.load.Results;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The report's section on cleanup under load: Cloakroom's sweeper against Spring Session JDBC's cleanup statement on
 * the same number of expired rows, the clients' latency before and during it, and what a sampler saw of its
 * transactions, locks and waiters.
 */
final class CleanupSection {
    private final Results r;
    private final StringBuilder md;

    CleanupSection(Results results, StringBuilder md) {
        this.r = results;
        this.md = md;
    }

    void write(Path charts) throws IOException {
        if (r.cleanups.isEmpty()) {
            return;
        }
        long rows = r.cleanups.get(0).rows();
        md.append("## Cleanup of ").append(String.format(Locale.ROOT, "%,d", rows)).append(" expired sessions in PostgreSQL, under load\n\n");
        md.append("Expired rows are seeded straight into each contender's tables (Spring: a session row and its ")
                .append("attribute row each; `INSERT ... SELECT` over `generate_series`), with ")
                .append("the sessions of the returning users below and the template, then vacuumed and analyzed (as ")
                .append("autovacuum would soon do; else it starts in the middle of the cleanup). Clients keep sending read-only and increment requests on their ")
                .append("own live sessions: 2 s of warm-up in the contender's fresh JVM, not counted, then 2 s (\"before\"), then ")
                .append("while the cleanup runs (\"during\"). ")
                .append("Cloakroom: its sweeper's `runOnce()` back to back until it finds nothing (each run deletes ")
                .append("batches of 500 under `FOR UPDATE SKIP LOCKED`, within a 10 s budget, holding an advisory lock); ")
                .append("Spring Session JDBC: its scheduled `cleanUpExpiredSessions()`, one `DELETE ... WHERE EXPIRY_TIME < ?`. ")
                .append("Left expired is counted in the table afterwards.\n\n");
        md.append("| contender | time to empty (ms) | p99 before | p99 during | max during | left expired | errors |\n|---|---|---|---|---|---|---|\n");
        Map<String, Map<String, Double>> chart = new LinkedHashMap<>();
        for (Contender c : r.cleanups.stream().map(Results.Cleanup::contender).distinct().toList()) {
            List<Results.Cleanup> runs = r.cleanups.stream().filter(x -> x.contender() == c).toList();
            Spread before = Spread.of(runs.stream().map(x -> x.before().p99()).toList());
            Spread during = Spread.of(runs.stream().map(x -> x.during().p99()).toList());
            chart.computeIfAbsent("p99 before", k -> new LinkedHashMap<>()).put(c.id(), before.median());
            chart.computeIfAbsent("p99 during", k -> new LinkedHashMap<>()).put(c.id(), during.median());
            md.append("| ").append(name(c)).append(" | ").append(Spread.of(runs.stream().map(x -> (double) x.millis()).toList()).format("%.0f"))
                    .append(" | ").append(before.format("%.2f")).append(" | ").append(during.format("%.2f"))
                    .append(" | ").append(Spread.of(runs.stream().map(x -> x.during().max()).toList()).format("%.1f"))
                    .append(" | ").append(runs.stream().mapToLong(Results.Cleanup::leftExpired).max().orElse(0))
                    .append(" | ").append(runs.stream().mapToLong(Results.Cleanup::errors).sum()).append(" |\n");
        }
        Charts.bars(charts.resolve("cleanup.png"), "Client p99 (ms) before and during the cleanup", "ms", chart);
        md.append("\n![cleanup](benchmarks/cleanup.png)\n\n");
        cleanupLocks();
    }

    /** What the sampler and pg_stat_statements saw of each cleanup; medians over the rounds, lists over all rounds. */
    private void cleanupLocks() {
        List<Results.Cleanup> sampled = r.cleanups.stream().filter(x -> x.locks() != null).toList();
        if (sampled.isEmpty()) {
            return;
        }
        md.append("### Locks, waits and rows per statement during the cleanup\n\n");
        md.append("A separate connection sampled `pg_stat_activity` and `pg_locks` every 20 ms while the cleanup ran. ")
                .append("Cleanup backends: those whose statement is a `DELETE` on the expiry column, and Cloakroom's ")
                .append("sweep lease (a transaction holding `pg_try_advisory_xact_lock`, idle while the deletes run on ")
                .append("other connections). Open transaction: age of its `xact_start`. Locks: what those backends held ")
                .append("at once in one sample (row locks never show in `pg_locks`; the rows one statement deleted, all ")
                .append("locked until it commits, stand in for them, from `pg_stat_statements`). Waiting: backends in ")
                .append("`wait_event_type = 'Lock'`. Returning users: while the cleanup ran, one user every 100 ms (at ")
                .append("most 4 waiting at once, each holding a pooled connection) came back to a session that had ")
                .append("expired and asked for the read-only page, which must answer 404.\n\n");
        md.append("| contender | samples (in cleanup) | longest deleting transaction (ms) | sweep lease held (ms) | most locks at once | most backends waiting | samples with waiters | deleting statements | rows deleted | rows per statement (mean) | rows deleted by cascade | returning users | their p50 / max (ms) | their errors |\n")
                .append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Contender c : sampled.stream().map(Results.Cleanup::contender).distinct().toList()) {
            List<Results.Cleanup> runs = sampled.stream().filter(x -> x.contender() == c).toList();
            List<Results.Cleanup> counted = runs.stream().filter(x -> x.statements() != null).toList();
            md.append("| ").append(name(c))
                    .append(" | ").append(spread(runs, x -> x.locks().samples(), "%.0f")).append(" (")
                    .append(spread(runs, x -> x.locks().cleanupSamples(), "%.0f")).append(")")
                    .append(" | ").append(spread(runs, x -> x.locks().longestTransactionMillis(), "%.1f"))
                    .append(" | ").append(c.isCloakroom() ? spread(runs, x -> x.locks().longestLeaseMillis(), "%.0f") : "none")
                    .append(" | ").append(spread(runs, x -> x.locks().mostLocks(), "%.0f"))
                    .append(" | ").append(spread(runs, x -> x.locks().mostWaiting(), "%.0f"))
                    .append(" | ").append(spread(runs, x -> x.locks().waitingSamples(), "%.0f"))
                    .append(" | ").append(spread(counted, x -> x.statements().calls(), "%.0f"))
                    .append(" | ").append(spread(counted, x -> x.statements().rows(), "%.0f"))
                    .append(" | ").append(spread(counted, x -> x.statements().calls() == 0 ? Double.NaN
                            : x.statements().rows() / (double) x.statements().calls(), "%.1f"))
                    .append(" | ").append(spread(counted, x -> x.statements().nestedRows(), "%.0f"))
                    .append(" | ").append(spread(runs, x -> x.returning().count(), "%.0f"))
                    .append(" | ").append(spread(runs, x -> x.returning().count() == 0 ? Double.NaN : x.returning().p50(), "%.1f"))
                    .append(" / ").append(spread(runs, x -> x.returning().count() == 0 ? Double.NaN : x.returning().max(), "%.1f"))
                    .append(" | ").append(runs.stream().mapToLong(Results.Cleanup::returningErrors).sum()).append(" |\n");
        }
        md.append("\n");
        for (Contender c : sampled.stream().map(Results.Cleanup::contender).distinct().toList()) {
            List<Results.Cleanup> runs = sampled.stream().filter(x -> x.contender() == c).toList();
            List<String> modes = runs.stream().flatMap(x -> x.locks().modes().stream()).distinct().sorted().toList();
            List<String> waiters = runs.stream().flatMap(x -> x.locks().waiters().stream()).distinct().sorted().toList();
            md.append("- ").append(name(c)).append(": locks seen held by the cleanup: ")
                    .append(modes.isEmpty() ? "none sampled" : String.join("; ", modes.stream().map(m -> "`" + m + "`").toList()))
                    .append(". Waiting on a lock: ")
                    .append(waiters.isEmpty() ? "nobody sampled" : String.join("; ", waiters.stream().map(w -> "`" + w + "`").toList()))
                    .append(".\n");
        }
        md.append("\n");
    }

    private static String spread(List<Results.Cleanup> runs, ToDoubleFunction<Results.Cleanup> f, String pattern) {
        return Spread.of(runs.stream().map(x -> f.applyAsDouble(x)).toList()).format(pattern);
    }
}
