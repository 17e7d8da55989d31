package dev.cloakroom.bench.load;

import java.nio.file.Path;

/**
 * Where the stores are: the run's data folder (file stores), the PostgreSQL database and the Redis server.
 *
 * @param dataDir   folder under which each file contender gets a folder of its own
 * @param jdbcUrl   PostgreSQL, database {@code cloakroom_bench}, credentials included
 * @param redisUri  the Redis server; every key the harness touches starts with {@code bench:}
 */
record Target(Path dataDir, String jdbcUrl, String redisUri) {
    static final String DEFAULT_JDBC_URL = "jdbc:postgresql://127.0.0.1:5432/cloakroom_bench?user=postgres";
    static final String DEFAULT_REDIS_URI = "redis://127.0.0.1:6379";
}
