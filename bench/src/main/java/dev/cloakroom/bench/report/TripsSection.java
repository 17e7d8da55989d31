package dev.cloakroom.bench.report;

import static dev.cloakroom.bench.report.ReportWriter.contenders;
import static dev.cloakroom.bench.report.ReportWriter.name;
import static dev.cloakroom.bench.report.ReportWriter.roundTrips;
import static dev.cloakroom.bench.report.ReportWriter.stores;
import static dev.cloakroom.bench.report.ReportWriter.trip;

import dev.cloakroom.bench.Contender;
import dev.cloakroom.bench.Store;
import dev.cloakroom.bench.load.Results;
import dev.cloakroom.bench.load.Workload;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The report's section on store round trips per request: JDBC statements and commits through the counting
 * {@code DataSource}, cross-checked with {@code pg_stat_statements}; Redis commands sent, from {@code MONITOR}, and
 * executed, from {@code INFO commandstats}.
 */
final class TripsSection {
    private final Results r;
    private final StringBuilder md;

    TripsSection(Results results, StringBuilder md) {
        this.r = results;
        this.md = md;
    }

    void write() {
        md.append("## Store round trips per request\n\n");
        md.append("Counted over ").append(r.mode.tripRequests()).append(" sequential requests per page. PostgreSQL: ")
                .append("statements executed and commits/rollbacks, through the counting `DataSource` around each ")
                .append("contender's pool (what HikariCP does on its own, beneath it, is not counted for anyone). ")
                .append("Redis: the commands each contender's clients sent that name one of its keys, from `MONITOR` ")
                .append("(a script is one round trip); and, from `INFO commandstats` deltas, every call the server ")
                .append("executed, the commands run inside scripts included (the shared server's other traffic can ")
                .append("add to these). PostgreSQL, cross-checked on the server: the statements `pg_stat_statements` ")
                .append("counted for the contenders' role (top level only, BEGIN and COMMIT/ROLLBACK included and named), ")
                .append("as a difference taken around the same requests. `cloakroom-pg-own-pool` has no counting ")
                .append("`DataSource` (its pool is the store's own): its round trips are the server's count, BEGINs ")
                .append("aside.\n\n");
        md.append("| store | contender | page | statements | commits | statements (pg_stat_statements) | round trips | server calls (commandstats) |\n|---|---|---|---|---|---|---|---|\n");
        for (Store s : stores(r)) {
            if (s == Store.FILESYSTEM) {
                continue;
            }
            for (Contender c : contenders(r, s)) {
                for (Workload w : List.of(Workload.NONE, Workload.READ, Workload.INCREMENT, Workload.UPLOAD)) {
                    Spread statements = trip(r, c, w, Results.Trips::statements);
                    Spread commits = trip(r, c, w, Results.Trips::commits);
                    boolean counted = c.countsThroughDataSource();
                    String server = s == Store.REDIS ? "-" : serverStatements(c, w);
                    String total = trip(r, c, w, roundTrips(c)).format("%.2f");
                    md.append("| ").append(s.label()).append(" | ").append(name(c)).append(" | ").append(w.label())
                            .append(" | ").append(counted ? statements.format("%.2f") : "-")
                            .append(" | ").append(counted ? commits.format("%.2f") : "-")
                            .append(" | ").append(server)
                            .append(" | ").append(total)
                            .append(" | ").append(s == Store.REDIS ? serverCalls(c, w) : "-").append(" |\n");
                }
            }
        }
        md.append("\n").append(serverAgreement()).append("\n\n");
        md.append("The file stores make no network round trips; their cost shows in the latency tables.\n\n");
    }

    private String serverStatements(Contender c, Workload w) {
        List<Results.Trips> counted = r.trips.stream().filter(t -> t.contender() == c && t.workload() == w && t.pg() != null).toList();
        if (counted.isEmpty()) {
            return "-";
        }
        Spread calls = Spread.of(counted.stream().map(t -> t.pg().calls()).toList());
        double begins = Spread.of(counted.stream().map(t -> t.pg().begins()).toList()).median();
        double ends = Spread.of(counted.stream().map(t -> t.pg().ends()).toList()).median();
        return calls.format("%.2f") + (begins == 0 && ends == 0 ? ""
                : String.format(Locale.ROOT, " (%.2f BEGIN, %.2f COMMIT)", begins, ends));
    }

    /**
     * Whether the server's count and the DataSource's agree, row by row: the statements less BEGIN and COMMIT are the
     * DataSource's statements, and the BEGINs its commits (one BEGIN per transaction).
     */
    private String serverAgreement() {
        List<Results.Trips> counted = r.trips.stream()
                .filter(t -> t.pg() != null && t.contender().countsThroughDataSource()).toList();
        if (counted.isEmpty()) {
            return "No cross-check: `pg_stat_statements` is not loaded on this run's server (see the machine table).";
        }
        List<String> differ = new ArrayList<>();
        for (Results.Trips t : counted) {
            double statements = t.pg().calls() - t.pg().begins() - t.pg().ends();
            if (Math.abs(statements - t.statements()) > 0.005 || Math.abs(t.pg().begins() - t.commits()) > 0.005) {
                differ.add(String.format(Locale.ROOT, "%s %s in round %d (server %.2f statements and %.2f BEGIN, DataSource %.2f and %.2f commits)",
                        t.contender().id(), t.workload().label(), t.round(), statements, t.pg().begins(), t.statements(), t.commits()));
            }
        }
        String why = "PgJDBC sends BEGIN in the same message as a transaction's first statement (no round trip of its "
                + "own), and prepares COMMIT on the server once per connection, whose later executions "
                + "`pg_stat_statements` does not count (PostgreSQL 15 counts a prepared utility statement only when it "
                + "is parsed), so the server's COMMIT count is no measure; its BEGINs count the transactions instead.";
        return (differ.isEmpty()
                ? "**pg_stat_statements agrees with the counting DataSource on every PostgreSQL row and round**: its "
                  + "statements less BEGIN and COMMIT are the DataSource's statements, and its BEGINs the DataSource's commits. "
                : "**pg_stat_statements and the counting DataSource differ** on " + String.join("; ", differ) + ". ")
                + why;
    }

    private String serverCalls(Contender c, Workload w) {
        Map<String, List<Double>> calls = new TreeMap<>();
        r.trips.stream().filter(t -> t.contender() == c && t.workload() == w)
                .forEach(t -> t.redisServerCalls().forEach((name, n) -> calls.computeIfAbsent(name, k -> new ArrayList<>()).add(n)));
        if (calls.isEmpty()) {
            return "none";
        }
        return calls.entrySet().stream().map(e -> e.getKey() + " " + Spread.of(e.getValue()).format("%.2f"))
                .collect(Collectors.joining(", "));
    }
}
