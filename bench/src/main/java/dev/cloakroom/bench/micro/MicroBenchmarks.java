package dev.cloakroom.bench.micro;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/** Runs the JMH benchmarks of this package in a forked JVM and hands back their average times. */
public final class MicroBenchmarks {

    /** One benchmark's average time per call with its 99.9% error margin. */
    public record Score(String benchmark, double score, double error, String unit) {
    }

    private MicroBenchmarks() {
    }

    /**
     * {@code longRun}: 2 forks of 5 × 2 s after 5 × 1 s of warm-up; otherwise 1 fork of 5 × 1 s after 3 × 1 s (with
     * fewer measured iterations, JMH's error margin grows wider than the score itself).
     */
    public static List<Score> run(boolean longRun) throws RunnerException {
        Options options = new OptionsBuilder()
                .include(MicroBenchmarks.class.getPackageName() + ".*Benchmark")
                .mode(Mode.AverageTime)
                .timeUnit(TimeUnit.NANOSECONDS)
                .forks(longRun ? 2 : 1)
                .warmupIterations(longRun ? 5 : 3)
                .warmupTime(TimeValue.seconds(1))
                .measurementIterations(5)
                .measurementTime(TimeValue.seconds(longRun ? 2 : 1))
                .shouldFailOnError(true)
                .build();
        Collection<RunResult> results = new Runner(options).run();
        List<Score> scores = new ArrayList<>();
        for (RunResult r : results) {
            Result<?> primary = r.getPrimaryResult();
            String name = r.getParams().getBenchmark();
            scores.add(new Score(name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1),
                    primary.getScore(), primary.getScoreError(), primary.getScoreUnit()));
        }
        return scores;
    }
}
