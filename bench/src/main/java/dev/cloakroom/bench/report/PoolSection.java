package dev.cloakroom.bench.report;

import dev.cloakroom.bench.Contender;
import dev.cloakroom.bench.Store;
import dev.cloakroom.bench.load.Results;
import dev.cloakroom.bench.load.Workload;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

/**
 * What bounding an application's pool costs: the PostgreSQL store on the application's pool (each checkout handed to
 * a helper thread, so that the store's timeout holds however long that pool would wait) against the same store on
 * the pool it builds itself (which bounds its own wait, so the request's thread checks out), each round's figures set
 * against the other's of that round, and the own-pool store against the fastest peer.
 */
final class PoolSection {
    private static final Contender APP_POOL = Contender.CLOAKROOM_PG;
    private static final Contender OWN_POOL = Contender.CLOAKROOM_PG_OWN_POOL;

    private PoolSection() {
    }

    static void write(Results r, StringBuilder md) {
        if (!r.contenders.contains(APP_POOL) || !r.contenders.contains(OWN_POOL)) {
            return;
        }
        List<Contender> peers = ReportWriter.contenders(r, Store.POSTGRESQL).stream().filter(c -> !c.isCloakroom()).toList();
        md.append("## What bounding an application's pool costs\n\n");
        md.append("`").append(APP_POOL.id()).append("` is handed the application's pool, as the Spring Boot starter ")
                .append("hands it the application's: HikariCP's defaults, under which a checkout may wait 30 s. The store ")
                .append("holds every call to its own timeout (2 s) even so: it asks that pool for a connection on a ")
                .append("helper thread and stops waiting at the call's deadline, so that a pool stuck on a database ")
                .append("that stopped answering (validating a connection, which no interrupt ends) cannot hold a ")
                .append("request past it. That costs a hand-off to another thread and back per checkout. `")
                .append(OWN_POOL.id()).append("` builds its own pool from the URL, whose wait the store sets to its ")
                .append("timeout, and checks out on the request's thread. Per round, sequential p50 in ms and ")
                .append("concurrent throughput, one set against the other of the same round; median and range over ")
                .append("the rounds.\n\n");
        md.append("| page | p50: app pool - own pool | throughput: own pool ÷ app pool | p50: own pool ÷ fastest peer ")
                .append("| throughput: own pool ÷ best peer |\n|---|---|---|---|---|\n");
        for (Workload w : List.of(Workload.READ, Workload.INCREMENT, Workload.UPLOAD)) {
            List<Double> gap = new ArrayList<>();
            List<Double> speedup = new ArrayList<>();
            List<Double> latencyRatio = new ArrayList<>();
            List<Double> throughputRatio = new ArrayList<>();
            for (int round = 1; round <= r.mode.rounds(); round++) {
                Results.PathRun app = ReportWriter.run(r, APP_POOL, w, round);
                Results.PathRun own = ReportWriter.run(r, OWN_POOL, w, round);
                if (app == null || own == null) {
                    continue;
                }
                gap.add(app.sequential().p50() - own.sequential().p50());
                speedup.add(own.concurrentPerSecond() / app.concurrentPerSecond());
                OptionalDouble fastest = ReportWriter.peerFigures(r, peers, w, round, p -> p.sequential().p50()).min();
                OptionalDouble most = ReportWriter.peerFigures(r, peers, w, round, Results.PathRun::concurrentPerSecond).max();
                if (fastest.isPresent() && most.isPresent()) {
                    latencyRatio.add(own.sequential().p50() / fastest.getAsDouble());
                    throughputRatio.add(own.concurrentPerSecond() / most.getAsDouble());
                }
            }
            md.append("| ").append(w.label()).append(" | ").append(Spread.of(gap).format("%.2f"))
                    .append(" | ").append(Spread.of(speedup).format("%.2f"))
                    .append(" | ").append(Spread.of(latencyRatio).format("%.2f"))
                    .append(" | ").append(Spread.of(throughputRatio).format("%.2f")).append(" |\n");
        }
        md.append("\n");
    }
}
