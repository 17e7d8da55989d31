package dev.cloakroom.bench.load;

import dev.cloakroom.bench.Contender;
import dev.cloakroom.bench.Store;
import dev.cloakroom.bench.micro.MicroBenchmarks;
import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.PropertyAccessor;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Everything one run measured, as the report reads it. Filled by the harness, one thread at a time. */
public final class Results {

    /** One page on one contender in one round. */
    public record PathRun(Contender contender, int round, Workload workload, Summary sequential, Summary concurrent,
                          double concurrentPerSecond, long errors) {
    }

    /**
     * Store round trips per request, counted over a run of sequential requests: JDBC statements and commits through
     * the counting {@code DataSource}; Redis client commands from {@code MONITOR}, and server-side calls per command
     * from {@code INFO commandstats} (script-internal calls included).
     */
    public record Trips(Contender contender, int round, Workload workload, double statements, double commits,
                        double redisClientCommands, Map<String, Double> redisServerCalls, PgCalls pg) {
    }

    /**
     * The same requests as {@code pg_stat_statements} counted them on the server, per request: every top-level
     * statement of the contenders' role ({@code calls}), of which {@code begins} were {@code BEGIN} and {@code ends}
     * {@code COMMIT} or {@code ROLLBACK}. Null where the extension is not loaded.
     */
    public record PgCalls(double calls, double begins, double ends) {
    }

    /** {@code attempted} increments by {@code clients} concurrent clients on one session; {@code counted} survived. */
    public record Lost(Contender contender, int round, int clients, int attempted, int counted, long errors) {
    }

    public record Bytes(Contender contender, long bytes) {
    }

    /**
     * Sequential read-only and changing requests with {@code level} sessions seeded into the store; {@code sessions}
     * is what the store held when measured (the seeded ones, the template and the measuring clients').
     */
    public record ScalePoint(Contender contender, long level, long sessions, int round, Summary read, Summary change) {
    }

    /**
     * The cleanup of {@code rows} expired sessions while clients kept using their own sessions: its duration, and
     * the clients' latencies before and during it; {@code leftExpired} is what was still expired afterwards.
     */
    public record Cleanup(Contender contender, int round, long rows, long millis, Summary before, Summary during,
                          long leftExpired, long errors, Locks locks, CleanupRows statements, Summary returning,
                          long returningErrors) {
    }

    /**
     * What {@code CleanupSampler} saw while a cleanup ran: over {@code samples}, {@code cleanupSamples} found a cleanup
     * transaction open; the oldest a deleting transaction and the sweep lease's transaction got (ms); the most locks
     * the cleanup's backends held at once, and which (locktype, mode, relation); the most backends waiting on a lock
     * at once, in how many samples any waited, and what waited.
     */
    public record Locks(int samples, int cleanupSamples, double longestTransactionMillis, double longestLeaseMillis,
                        int mostLocks, List<String> modes, int mostWaiting, int waitingSamples, List<String> waiters) {
    }

    /**
     * The cleanup's deleting statements as {@code pg_stat_statements} counted them: top-level calls and the rows they
     * deleted, and what ran nested in them (Spring's foreign key cascade to its attribute table). Null where the
     * extension is not loaded.
     */
    public record CleanupRows(long calls, long rows, long nestedCalls, long nestedRows) {
    }

    /**
     * The seed's app ({@link SeedWorkload}): {@code system} is {@link SeedWorkload#DEMO} or {@link SeedWorkload#FLASK};
     * {@code requests} answered in {@code seconds} by 16 clients at once, {@code errors} of them non-2xx, wrong or
     * failed (the set-up's included).
     */
    public record SeedRun(String system, Store store, SeedLoad load, int round, long requests, double seconds,
                          double perSecond, Summary latency, long errors) {
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .setVisibility(PropertyAccessor.FIELD, JsonAutoDetect.Visibility.PUBLIC_ONLY);

    public final Mode mode;
    public final Map<String, String> machine;
    public final List<PathRun> paths = new ArrayList<>();
    public final List<Trips> trips = new ArrayList<>();
    public final List<Lost> lost = new ArrayList<>();
    public final List<Bytes> bytes = new ArrayList<>();
    public final List<ScalePoint> scale = new ArrayList<>();
    public final List<Cleanup> cleanups = new ArrayList<>();
    public final List<MicroBenchmarks.Score> micro = new ArrayList<>();
    public final List<SeedRun> seed = new ArrayList<>();
    /** How the seed part ran (workers, settings, what the servers logged), or why it did not. */
    public final List<String> seedNotes = new ArrayList<>();
    public final List<Contender> contenders;
    public long startedMillis;
    public long finishedMillis;
    /** The command that produced these figures, as the report prints it. */
    public String command = "";
    /** Remarks on how this run's figures were obtained, printed at the top of the report. */
    public final List<String> notes = new ArrayList<>();

    @JsonCreator
    Results(@JsonProperty("mode") Mode mode, @JsonProperty("machine") Map<String, String> machine,
            @JsonProperty("contenders") List<Contender> contenders) {
        this.mode = mode;
        this.machine = new LinkedHashMap<>(machine);
        this.contenders = List.copyOf(contenders);
    }

    /** Keeps the raw figures beside the report, so that the report can be drawn again without measuring again. */
    void save(Path file) throws IOException {
        JSON.writeValue(file.toFile(), this);
    }

    static Results load(Path file) throws IOException {
        return JSON.readValue(file.toFile(), Results.class);
    }
}
