package dev.cloakroom.bench.load;

import dev.cloakroom.bench.Contender;
import dev.cloakroom.bench.micro.MicroBenchmarks;
import dev.cloakroom.bench.report.ReportWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The load generator's entry point: {@code java -jar bench/target/cloakroom-bench.jar full|quick [--out docs]}, run
 * from the repository's root. Measures every contender, runs the JMH benchmarks, and writes
 * {@code docs/benchmarks.md} with its charts and raw figures ({@code results.json}) in {@code docs/benchmarks/};
 * {@code report} draws the report again from those raw figures, measuring nothing. PostgreSQL is a cluster of the
 * run's own ({@link PrivatePostgres}, with {@code pg_stat_statements} loaded) unless {@code --jdbc URL} names a server.
 */
public final class BenchMain {
    /** Contender {@code i} listens on {@code BASE_PORT + i}. */
    static final int BASE_PORT = 7610;

    private BenchMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: java -jar bench/target/cloakroom-bench.jar full|quick|report [--out DIR] "
                    + "[--contenders id,id] [--jdbc URL] [--redis URI] [--base-port N] [--rounds N] "
                    + "[--only paths|seed|scale|cleanup]");
            System.exit(2);
        }
        Path out = Path.of(option(args, "--out", "docs"));
        Path raw = out.resolve("benchmarks").resolve("results.json");
        if (args[0].equals("report")) {
            Results saved = Results.load(raw);
            System.out.println("[bench] wrote " + new ReportWriter(saved, saved.command).write(out));
            return;
        }
        Mode mode = Mode.byName(args[0]);
        String rounds = option(args, "--rounds", null);
        if (rounds != null) {
            mode = mode.withRounds(Integer.parseInt(rounds));
        }
        String only = option(args, "--only", null);
        Set<Harness.Phase> phases = only == null ? EnumSet.allOf(Harness.Phase.class) : EnumSet.of(Harness.Phase.byName(only));
        List<Contender> contenders = Arrays.stream(option(args, "--contenders", allIds()).split(","))
                .map(Contender::byId).toList();
        int basePort = Integer.parseInt(option(args, "--base-port", Integer.toString(BASE_PORT)));
        Path work = Files.createTempDirectory("cloakroom-bench-");
        String jdbc = option(args, "--jdbc", null);
        String redis = option(args, "--redis", Target.DEFAULT_REDIS_URI);
        Results results;
        if (jdbc != null) {
            results = measure(mode, new Target(work.resolve("data"), jdbc, redis), contenders, basePort, work, phases);
        } else {
            // the run's own cluster, where pg_stat_statements can be loaded; stopped before JMH takes the cores
            try (PrivatePostgres postgres = PrivatePostgres.start()) {
                System.out.println("[bench] " + postgres);
                results = measure(mode, Target.on(postgres, work.resolve("data"), redis), contenders, basePort, work,
                        phases);
            }
        }
        if (mode.jmh() > 0 && only == null) {
            System.out.println("[bench] JMH micro-benchmarks");
            results.micro.addAll(MicroBenchmarks.run(mode.jmh() > 1));
        }
        results.machine.put("load average at end", Machine.loadAverage());
        String command = "mvn -B -ntp -q -pl bench -am package -DskipTests && java -jar bench/target/cloakroom-bench.jar "
                + String.join(" ", args);
        results.command = command;
        Path report = new ReportWriter(results, command).write(out);
        results.save(raw);
        StoreAccess.deleteTree(work.resolve("data"));
        System.out.println("[bench] wrote " + report + "; contender logs in " + work);
    }

    /** Measures everything but the JMH benchmarks: what the smoke test runs too. */
    static Results measure(Mode mode, Target target, List<Contender> contenders, int basePort, Path work) throws Exception {
        return measure(mode, target, contenders, basePort, work, EnumSet.allOf(Harness.Phase.class));
    }

    private static Results measure(Mode mode, Target target, List<Contender> contenders, int basePort, Path work,
                                   Set<Harness.Phase> phases) throws Exception {
        Files.createDirectories(target.dataDir());
        long started = System.nanoTime();
        try (Harness harness = new Harness(mode, target, contenders, basePort, work,
                line -> System.out.printf("[bench] %5.0f s  %s%n", (System.nanoTime() - started) / 1e9, line), phases)) {
            return harness.run();
        }
    }

    private static String allIds() {
        return String.join(",", Arrays.stream(Contender.values()).map(Contender::id).toList());
    }

    private static String option(String[] args, String name, String fallback) {
        for (int i = 1; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return fallback;
    }
}
