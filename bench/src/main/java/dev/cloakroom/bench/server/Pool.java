package dev.cloakroom.bench.server;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

/** The one JDBC pool every JDBC contender gets: HikariCP, same size, wrapped in the statement counter. */
final class Pool implements AutoCloseable {
    /** Cloakroom's own default ({@code SESSION_JDBC_POOL_SIZE}), given to every contender alike. */
    static final int SIZE = 10;

    private final HikariDataSource hikari;
    private final CountingDataSource counting;

    Pool(String jdbcUrl) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setMaximumPoolSize(SIZE);
        config.setMinimumIdle(SIZE);
        config.setPoolName("bench");
        this.hikari = new HikariDataSource(config);
        this.counting = new CountingDataSource(hikari);
    }

    CountingDataSource dataSource() {
        return counting;
    }

    @Override
    public void close() {
        hikari.close();
    }
}
