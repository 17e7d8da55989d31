package dev.cloakroom.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.time.Duration;
import javax.sql.DataSource;

/**
 * The one class that touches HikariCP, so that the library loads without it when the application passes its own
 * {@link DataSource}. Every timeout of the pool and the driver is derived from the store's one timeout.
 */
final class HikariPools {
    private static final long HIKARI_MIN_TIMEOUT_MS = 250;

    private HikariPools() {
    }

    /** Whether a pool built for {@code timeout} gives up waiting for a connection within it (HikariCP waits 250 ms at least). */
    static boolean boundsItsWait(Duration timeout) {
        return timeout.toMillis() >= HIKARI_MIN_TIMEOUT_MS;
    }

    static HikariDataSource create(DatabaseUrl url, Duration timeout, int maxPoolSize, String poolName) {
        long timeoutMs = Math.max(HIKARI_MIN_TIMEOUT_MS, timeout.toMillis());
        long timeoutSeconds = Math.max(1, (timeoutMs + 999) / 1000);
        HikariConfig config = new HikariConfig();
        config.setPoolName(poolName);
        config.setJdbcUrl(url.jdbcUrl());
        if (url.user() != null) {
            config.setUsername(url.user());
        }
        if (url.password() != null) {
            config.setPassword(url.password());
        }
        config.setMaximumPoolSize(maxPoolSize);
        config.setMinimumIdle(Math.min(2, maxPoolSize));
        config.setConnectionTimeout(timeoutMs);
        config.setValidationTimeout(Math.max(HIKARI_MIN_TIMEOUT_MS, timeoutMs / 2));
        // Start even when the database is down: calls fail with SessionStoreUnavailableException until it is back.
        config.setInitializationFailTimeout(-1);
        config.setAutoCommit(true);
        switch (url.database()) {
            case POSTGRESQL -> {
                // Seconds, as pgjdbc takes them; the store also sets a per-call network timeout in milliseconds.
                config.addDataSourceProperty("connectTimeout", Long.toString(timeoutSeconds));
                config.addDataSourceProperty("loginTimeout", Long.toString(timeoutSeconds));
                config.addDataSourceProperty("socketTimeout", Long.toString(timeoutSeconds + 1));
                config.addDataSourceProperty("options", "-c statement_timeout=" + timeoutMs);
                config.addDataSourceProperty("cancelSignalTimeout", Long.toString(timeoutSeconds));
                config.addDataSourceProperty("tcpKeepAlive", "true");
                config.addDataSourceProperty("ApplicationName", "cloakroom");
            }
            case MARIADB -> {
                config.addDataSourceProperty("connectTimeout", Long.toString(timeoutMs));
                config.addDataSourceProperty("socketTimeout", Long.toString(timeoutMs + 1000));
                config.addDataSourceProperty("tcpKeepAlive", "true");
            }
            case H2 -> {
                // embedded: no network; statement timeouts come from Statement.setQueryTimeout
            }
        }
        return new HikariDataSource(config);
    }
}
