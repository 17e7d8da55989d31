package dev.cloakroom.bench.load;

import java.util.List;

/**
 * How much a run measures. {@link #FULL} is the report's run; {@link #QUICK} the same in minutes; {@link #SMOKE} only
 * proves the harness works (what {@code mvn verify} runs), its figures mean nothing.
 *
 * @param rounds          times every contender is measured, contenders interleaved within each round
 * @param warmup          sequential requests per page before measuring, in every fresh JVM
 * @param sequential      sequential requests measured per page
 * @param tripRequests    sequential requests per page over which store round trips are counted
 * @param clients         concurrent clients (each its own session, and all on one session for lost updates)
 * @param concurrentWarmupMillis  how long the concurrent clients send each page before it is measured
 * @param concurrentMillis        how long each page is then measured under the concurrent clients
 * @param increments      increments per client in the lost-update test
 * @param scaleLevels     live sessions in the store for the scale test (empty: skipped)
 * @param scaleRequests   sequential requests per page measured at each scale level, after as many unmeasured
 * @param cleanupRows     expired sessions seeded for the cleanup test (0: skipped)
 * @param cleanupRounds   times each cleanup contender cleans them (a million-row round takes minutes)
 * @param jmh             whether to run the JMH micro-benchmarks, and how long: 0 none, 1 short, 2 long
 * @param jvmFlags        added to every contender's JVM flags alike
 */
public record Mode(String name, int rounds, int warmup, int sequential, int tripRequests, int clients,
                   int concurrentWarmupMillis, int concurrentMillis, int increments, List<Long> scaleLevels,
                   int scaleRequests, long cleanupRows, int cleanupRounds, int jmh, List<String> jvmFlags) {

    /** About an hour and a quarter on two quiet cores. */
    public static final Mode FULL = new Mode("full", 3, 1000, 1000, 100, 16, 1000, 4000, 50,
            List.of(1_000L, 10_000L, 100_000L, 1_000_000L), 500, 1_000_000, 2, 2, List.of());
    public static final Mode QUICK = new Mode("quick", 3, 500, 500, 50, 16, 500, 2000, 20,
            List.of(1_000L, 10_000L, 100_000L), 300, 20_000, 3, 1, List.of());
    /** Its contenders skip the optimising compiler: they start faster, and their figures are not read. */
    public static final Mode SMOKE = new Mode("smoke", 1, 20, 30, 10, 4, 100, 300, 10, List.of(), 0, 200, 1, 0,
            List.of("-XX:TieredStopAtLevel=1"));

    /** The same amounts over another number of rounds. */
    public Mode withRounds(int rounds) {
        if (rounds < 1) {
            throw new IllegalArgumentException("rounds must be positive: " + rounds);
        }
        return new Mode(name, rounds, warmup, sequential, tripRequests, clients, concurrentWarmupMillis, concurrentMillis,
                increments, scaleLevels, scaleRequests, cleanupRows, Math.min(cleanupRounds, rounds), jmh, jvmFlags);
    }

    public static Mode byName(String name) {
        for (Mode m : List.of(FULL, QUICK, SMOKE)) {
            if (m.name.equals(name)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown mode '" + name + "': full, quick or smoke");
    }
}
