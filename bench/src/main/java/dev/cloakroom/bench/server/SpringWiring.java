package dev.cloakroom.bench.server;

import dev.cloakroom.bench.Contender;
import jakarta.servlet.DispatcherType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.RedisTemplate;
import org.springframework.data.redis.serializer.RedisSerializer;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.session.SessionRepository;
import org.springframework.session.data.redis.RedisSessionRepository;
import org.springframework.session.jdbc.JdbcIndexedSessionRepository;
import org.springframework.session.web.http.SessionRepositoryFilter;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Spring Session without Spring Boot: the repository built as {@code @EnableJdbcHttpSession} and
 * {@code @EnableRedisHttpSession} build it (their default serialization: Java serialization), behind the plain
 * {@link SessionRepositoryFilter}. Spring's scheduled cleanup is off; the cleanup phase calls it instead.
 */
final class SpringWiring implements Wiring {
    private static final String SCHEMA = "org/springframework/session/jdbc/schema-postgresql.sql";

    private final Pool pool;
    private final LettuceConnectionFactory redis;
    private final JdbcIndexedSessionRepository jdbcRepository;
    private final SessionRepository<?> repository;

    SpringWiring(Contender contender, String jdbcUrl, String redisUri) {
        switch (contender) {
            case SPRING_JDBC -> {
                pool = new Pool(jdbcUrl);
                redis = null;
                JdbcTemplate jdbc = new JdbcTemplate(pool.dataSource());
                createTables(jdbc, contender.tables().get(0));
                jdbcRepository = new JdbcIndexedSessionRepository(jdbc,
                        new TransactionTemplate(new DataSourceTransactionManager(pool.dataSource())));
                jdbcRepository.setTableName(contender.tables().get(0));
                jdbcRepository.setCleanupCron("-");
                jdbcRepository.afterPropertiesSet();
                repository = jdbcRepository;
            }
            case SPRING_REDIS -> {
                pool = null;
                jdbcRepository = null;
                URI uri = URI.create(redisUri);
                RedisStandaloneConfiguration server = new RedisStandaloneConfiguration(uri.getHost(), uri.getPort());
                // the database of redis://host:port/N, as every other contender's client takes it from the same URI
                String path = uri.getPath() == null ? "" : uri.getPath().replace("/", "");
                server.setDatabase(path.isEmpty() ? 0 : Integer.parseInt(path));
                redis = new LettuceConnectionFactory(server);
                redis.afterPropertiesSet();
                redis.start();
                RedisTemplate<String, Object> template = new RedisTemplate<>();
                template.setConnectionFactory(redis);
                template.setKeySerializer(RedisSerializer.string());
                template.setHashKeySerializer(RedisSerializer.string());
                template.afterPropertiesSet();
                RedisSessionRepository redisRepository = new RedisSessionRepository(template);
                // the namespace ends where the contender's prefix ends: "bench:spring" + ":sessions:<id>"
                redisRepository.setRedisKeyNamespace(contender.redisPrefix().substring(0, contender.redisPrefix().length() - 1));
                repository = redisRepository;
            }
            default -> throw new IllegalArgumentException("not a Spring Session contender: " + contender);
        }
    }

    /** Spring's own PostgreSQL schema script, under the contender's table name, if the tables are missing. */
    private static void createTables(JdbcTemplate jdbc, String table) {
        Boolean exists = jdbc.queryForObject("SELECT to_regclass(?) IS NOT NULL", Boolean.class, table);
        if (Boolean.TRUE.equals(exists)) {
            return;
        }
        try (InputStream in = JdbcIndexedSessionRepository.class.getClassLoader().getResourceAsStream(SCHEMA)) {
            String script = new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("SPRING_SESSION", table);
            for (String statement : script.split(";")) {
                if (!statement.isBlank()) {
                    jdbc.execute(statement);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + SCHEMA, e);
        }
    }

    @Override
    public ServletContextHandler context() {
        ServletContextHandler context = new ServletContextHandler(ServletContextHandler.NO_SESSIONS);
        context.setContextPath("/");
        context.addFilter(new FilterHolder(new SessionRepositoryFilter<>(repository)), "/*",
                EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC, DispatcherType.ERROR));
        return context;
    }

    /** Spring's scheduled cleanup: one {@code DELETE ... WHERE EXPIRY_TIME < ?}. */
    @Override
    public long cleanUp() {
        if (jdbcRepository == null) {
            return -1;
        }
        jdbcRepository.cleanUpExpiredSessions();
        return -1;
    }

    @Override
    public Pool pool() {
        return pool;
    }

    @Override
    public void close() {
        if (jdbcRepository != null) {
            jdbcRepository.destroy();
        }
        if (pool != null) {
            pool.close();
        }
        if (redis != null) {
            redis.destroy();
        }
    }
}
