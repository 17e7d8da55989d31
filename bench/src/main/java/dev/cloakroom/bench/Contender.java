package dev.cloakroom.bench;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One product on one store, as the harness runs it: its name, where it keeps its sessions (so that the load
 * generator can measure, seed and clear the store directly), and the shape of the session identifier it stores
 * (so that a session can be copied under fresh identifiers).
 */
public enum Contender {
    /** {@code FileSessionStore}: one JSON record per session, written to a temp file, fsynced and renamed. */
    CLOAKROOM_FILE("cloakroom-file", "Cloakroom", Store.FILESYSTEM, List.of(), null, Tokens.CLOAKROOM, null),
    /**
     * The same with {@code FileSync.ATOMIC}: the folder is not fsynced after a rename, so records stay whole after a
     * crash but the last writes may not outlive a power loss. Jetty's file store fsyncs nothing at all.
     */
    CLOAKROOM_FILE_ATOMIC("cloakroom-file-atomic", "Cloakroom, SESSION_FILE_SYNC=atomic", Store.FILESYSTEM, List.of(),
            null, Tokens.CLOAKROOM, null),
    /**
     * The default {@code FileSessionStore}, its folder on tmpfs ({@code /dev/shm}), where an fsync returns at once: the
     * same code and the same two fsyncs per write, so its distance to {@link #CLOAKROOM_FILE} is what the fsyncs cost
     * on the disk, and its distance to Jetty's file store (which fsyncs nothing) is the rest of the write path.
     */
    CLOAKROOM_FILE_TMPFS("cloakroom-file-tmpfs", "Cloakroom, folder on tmpfs (fsync costs nothing)", Store.FILESYSTEM,
            List.of(), null, Tokens.CLOAKROOM, null),
    /** {@code JdbcSessionStore}: one row per session, attributes merged in a {@code jsonb} column. */
    CLOAKROOM_PG("cloakroom-pg", "Cloakroom", Store.POSTGRESQL, List.of("bench_cloakroom"), null, Tokens.CLOAKROOM,
            "expires_at"),
    /**
     * The same store built from a URL ({@code SESSION_JDBC_URL}) instead of handed the application's pool: it builds
     * its own HikariCP pool of the same size, whose wait it bounds itself, so a request checks out a connection on its
     * own thread. Against {@link #CLOAKROOM_PG} it shows what bounding an application's pool costs: that pool would
     * wait 30 s, so each checkout is handed to a helper thread the request stops waiting for at its deadline. Its
     * statements are counted by {@code pg_stat_statements} only (the pool is the store's, no counting proxy around it).
     */
    CLOAKROOM_PG_OWN_POOL("cloakroom-pg-own-pool", "Cloakroom, its own pool (SESSION_JDBC_URL)", Store.POSTGRESQL,
            List.of("bench_cloakroom_own"), null, Tokens.CLOAKROOM, null),
    /** {@code RedisSessionStore}: one hash per session, every write one Lua script. */
    CLOAKROOM_REDIS("cloakroom-redis", "Cloakroom", Store.REDIS, List.of(), "bench:cloakroom:", Tokens.CLOAKROOM, null),
    /** Spring Session's {@code JdbcIndexedSessionRepository}: a session row and one row per attribute. */
    SPRING_JDBC("spring-jdbc", "Spring Session JDBC", Store.POSTGRESQL,
            List.of("bench_spring_session", "bench_spring_session_attributes"), null, Tokens.UUID, "expiry_time"),
    /** Spring Session's {@code RedisSessionRepository} (the default of {@code @EnableRedisHttpSession}): one hash. */
    SPRING_REDIS("spring-redis", "Spring Session Data Redis", Store.REDIS, List.of(), "bench:spring:", Tokens.UUID, null),
    /** Jetty's {@code JDBCSessionDataStore} behind a {@code NullSessionCache}: every request loads from the table. */
    JETTY_JDBC_NULL("jetty-jdbc-null", "Jetty JDBC + NullSessionCache", Store.POSTGRESQL, List.of("bench_jetty_null"),
            null, Tokens.JETTY, null),
    /** Jetty's {@code JDBCSessionDataStore} behind a {@code DefaultSessionCache}: sessions kept in memory. */
    JETTY_JDBC_CACHE("jetty-jdbc-cache", "Jetty JDBC + DefaultSessionCache", Store.POSTGRESQL,
            List.of("bench_jetty_cache"), null, Tokens.JETTY, null),
    /** Jetty's {@code FileSessionDataStore} behind a {@code NullSessionCache}. */
    JETTY_FILE_NULL("jetty-file-null", "Jetty File + NullSessionCache", Store.FILESYSTEM, List.of(), null, Tokens.JETTY,
            null),
    /** Jetty's {@code FileSessionDataStore} behind a {@code DefaultSessionCache}. */
    JETTY_FILE_CACHE("jetty-file-cache", "Jetty File + DefaultSessionCache", Store.FILESYSTEM, List.of(), null,
            Tokens.JETTY, null);

    /** Linux's tmpfs, on every machine this harness runs on; {@code Machine} reports its file system type. */
    public static final Path TMPFS = Path.of("/dev/shm");

    private final String id;
    private final String label;
    private final Store store;
    private final List<String> tables;
    private final String redisPrefix;
    private final Pattern token;
    private final String expiryColumn;

    Contender(String id, String label, Store store, List<String> tables, String redisPrefix, Pattern token,
              String expiryColumn) {
        this.id = id;
        this.label = label;
        this.store = store;
        this.tables = tables;
        this.redisPrefix = redisPrefix;
        this.token = token;
        this.expiryColumn = expiryColumn;
    }

    /** The name on the command line, in file names and in the report's raw figures. */
    public String id() {
        return id;
    }

    /** The product's name in the report. */
    public String label() {
        return label;
    }

    public Store store() {
        return store;
    }

    /** PostgreSQL tables, parent first (a copy inserts in this order); empty for the other stores. */
    public List<String> tables() {
        return tables;
    }

    /** The prefix of every Redis key this contender writes; null for the other stores. */
    public String redisPrefix() {
        return redisPrefix;
    }

    /** The session identifier as it appears in the stored data (a key, a column, a file name). */
    public Pattern token() {
        return token;
    }

    /** The column holding the expiry time, for the contenders whose cleanup the harness measures; else null. */
    public String expiryColumn() {
        return expiryColumn;
    }

    /**
     * The folder this contender's files live in: its own under the run's data folder, or for the tmpfs contender one
     * named after the run's data folder under {@code /dev/shm}, so that the harness and the contender find the same.
     */
    public Path folder(Path dataDir) {
        if (this == CLOAKROOM_FILE_TMPFS) {
            return TMPFS.resolve(dataDir.toAbsolutePath().toString().substring(1).replace('/', '-') + "-" + id);
        }
        return dataDir.resolve(id);
    }

    public boolean isCloakroom() {
        return this == CLOAKROOM_FILE || this == CLOAKROOM_FILE_ATOMIC || this == CLOAKROOM_FILE_TMPFS
                || this == CLOAKROOM_PG || this == CLOAKROOM_PG_OWN_POOL || this == CLOAKROOM_REDIS;
    }

    /** Whether the harness counts its JDBC statements through the counting {@code DataSource} around its pool. */
    public boolean countsThroughDataSource() {
        return store == Store.POSTGRESQL && this != CLOAKROOM_PG_OWN_POOL;
    }

    /**
     * Whether the scale test measures it: not the own-pool variant, whose store and statements are
     * {@link #CLOAKROOM_PG}'s (only the checkout differs, and the number of live sessions does not change that).
     */
    public boolean scales() {
        return this != CLOAKROOM_PG_OWN_POOL;
    }

    public static Contender byId(String id) {
        for (Contender c : values()) {
            if (c.id.equals(id)) {
                return c;
            }
        }
        throw new IllegalArgumentException("unknown contender '" + id + "'; known: " + List.of(values()));
    }

    @Override
    public String toString() {
        return id;
    }

    private static final class Tokens {
        static final Pattern CLOAKROOM = Pattern.compile("v1[0-9a-f]{64}");
        static final Pattern UUID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
        // Jetty's ids start with the worker name; the bare "node0" in its lastNode column is not an id.
        static final Pattern JETTY = Pattern.compile("node0[0-9a-z]{12,}");
    }
}
