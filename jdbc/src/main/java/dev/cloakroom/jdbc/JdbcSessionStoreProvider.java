package dev.cloakroom.jdbc;

import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.spi.SessionStore;
import dev.cloakroom.spi.SessionStoreProvider;
import dev.cloakroom.Settings;
import java.util.Set;

/**
 * {@code SESSION_TYPE=sqlalchemy} (alias {@code jdbc}): a {@link JdbcSessionStore} from Flask-Session's settings.
 *
 * <ul>
 *   <li>{@code SESSION_JDBC_URL} or {@code SQLALCHEMY_DATABASE_URI} (required; the first wins): the database, e.g.
 *       {@code postgresql://user:pass@localhost:5432/db} or a {@code jdbc:} URL;</li>
 *   <li>{@code SESSION_JDBC_TABLE} or {@code SESSION_SQLALCHEMY_TABLE}: the table, default {@value JdbcSessionStore#DEFAULT_TABLE};</li>
 *   <li>{@code SESSION_JDBC_SCHEMA}: {@code create} (default), {@code validate} or {@code none};</li>
 *   <li>{@code SESSION_JDBC_POOL_SIZE}: connections, default {@value JdbcSessionStore#DEFAULT_MAX_POOL_SIZE};</li>
 *   <li>the timeout is {@link CloakroomConfig#storeTimeout()} ({@code SESSION_STORE_TIMEOUT_MS}).</li>
 * </ul>
 */
public final class JdbcSessionStoreProvider implements SessionStoreProvider {

    @Override
    public Set<String> types() {
        return Set.of("sqlalchemy", "jdbc");
    }

    @Override
    public SessionStore create(Settings settings, CloakroomConfig config) {
        String url = settings.findAny("SESSION_JDBC_URL", "SQLALCHEMY_DATABASE_URI").orElseThrow(() -> new IllegalArgumentException(
                "SESSION_TYPE sqlalchemy/jdbc needs SQLALCHEMY_DATABASE_URI or SESSION_JDBC_URL, e.g. "
                        + "postgresql://user:pass@localhost:5432/db"));
        String table = settings.findAny("SESSION_JDBC_TABLE", "SESSION_SQLALCHEMY_TABLE").orElse(JdbcSessionStore.DEFAULT_TABLE);
        long poolSize = settings.getLong("SESSION_JDBC_POOL_SIZE", JdbcSessionStore.DEFAULT_MAX_POOL_SIZE);
        if (poolSize < 2 || poolSize > 1000) {
            throw new IllegalArgumentException("SESSION_JDBC_POOL_SIZE must be within [2, 1000]: '" + poolSize + "'");
        }
        JdbcSessionStore.Builder builder = JdbcSessionStore.builder()
                .url(url)
                .schemaMode(settings.getEnum("SESSION_JDBC_SCHEMA", JdbcSessionStore.SchemaMode.class, JdbcSessionStore.SchemaMode.CREATE))
                .timeout(config.storeTimeout())
                .maxPoolSize((int) poolSize);
        try {
            builder.table(table);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("SESSION_SQLALCHEMY_TABLE / SESSION_JDBC_TABLE: " + e.getMessage(), e);
        }
        return builder.build();
    }
}
