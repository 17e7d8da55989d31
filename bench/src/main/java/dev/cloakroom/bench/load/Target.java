package dev.cloakroom.bench.load;

import java.nio.file.Path;

/**
 * Where the stores are: the run's data folder (file stores), the PostgreSQL database and the Redis server.
 *
 * @param dataDir       folder under which each file contender gets a folder of its own
 * @param jdbcUrl       PostgreSQL as the contenders connect to it, credentials included
 * @param redisUri      the Redis server; every key the harness touches starts with {@code bench:}
 * @param adminJdbcUrl  the same database as the harness connects to it: on the run's private cluster as
 *                      {@code postgres}, while the contenders log in as a role of their own, so that
 *                      {@code pg_stat_statements} tells their statements from the harness's
 */
record Target(Path dataDir, String jdbcUrl, String redisUri, String adminJdbcUrl) {
    static final String DEFAULT_JDBC_URL = "jdbc:postgresql://127.0.0.1:5432/cloakroom_bench?user=postgres";
    static final String DEFAULT_REDIS_URI = "redis://127.0.0.1:6379";

    /** Contenders and harness on one connection URL: an existing server given with {@code --jdbc}. */
    Target(Path dataDir, String jdbcUrl, String redisUri) {
        this(dataDir, jdbcUrl, redisUri, jdbcUrl);
    }

    /** On the run's own cluster: the contenders as its application role, the harness as {@code postgres}. */
    static Target on(PrivatePostgres postgres, Path dataDir, String redisUri) {
        return new Target(dataDir, postgres.appUrl(), redisUri, postgres.adminUrl());
    }
}
