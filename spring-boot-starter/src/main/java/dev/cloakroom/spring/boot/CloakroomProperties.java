package dev.cloakroom.spring.boot;

import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.CookieSecure;
import dev.cloakroom.SameSite;
import dev.cloakroom.jdbc.JdbcSessionStore;
import dev.cloakroom.redis.RedisSessionStore;
import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code cloakroom.*} properties. A value left unset falls back to Boot's {@code server.servlet.session.*}
 * property of the same meaning where one exists, else to Cloakroom's default; each field's comment names both.
 */
@ConfigurationProperties("cloakroom")
public class CloakroomProperties {
    /** Default of {@code cloakroom.filesystem.dir}, relative to the working directory. */
    public static final String DEFAULT_FILESYSTEM_DIR = "cloakroom-sessions";
    /**
     * Default of {@code cloakroom.filter.order}: Spring Session's {@code SessionRepositoryFilter.DEFAULT_ORDER}, well
     * before Spring Security's filter chain ({@code -100}), which must find the Cloakroom session.
     */
    public static final int DEFAULT_FILTER_ORDER = Integer.MIN_VALUE + 50;

    /** Where sessions are kept: filesystem, jdbc (Boot's DataSource), redis (needs cloakroom-redis) or memory. Default filesystem. */
    private StoreType store = StoreType.FILESYSTEM;

    /**
     * Idle timeout: a session not used for this long has expired. Unset: server.servlet.session.timeout, whose
     * default is 30 minutes.
     */
    private Duration timeout;

    /** Hard limit counted from a session's creation, however active it is. Default: none. */
    private Duration absoluteTimeout;

    /** Bound on every store call; beyond it the request is answered 503 with Retry-After. Default 2s. */
    private Duration storeTimeout = CloakroomConfig.DEFAULT_STORE_TIMEOUT;

    /** Interval between sweeps of expired sessions (jittered by 25%). Default 60s. */
    private Duration cleanupInterval = CloakroomConfig.DEFAULT_CLEANUP_INTERVAL;

    /** Whether this instance runs the background sweeper; off when a cron job sweeps instead. Default true. */
    private boolean sweeper = true;

    /** Cap on one session's encoded data in bytes; beyond it the write is refused with 413. Default 4194304 (4 MiB). */
    private long maxSize = CloakroomConfig.DEFAULT_MAX_SESSION_BYTES;

    private final Cookie cookie = new Cookie();
    private final Filesystem filesystem = new Filesystem();
    private final Jdbc jdbc = new Jdbc();
    private final Redis redis = new Redis();
    private final Filter filter = new Filter();

    public StoreType getStore() { return store; }
    public void setStore(StoreType store) { this.store = store; }
    public Duration getTimeout() { return timeout; }
    public void setTimeout(Duration timeout) { this.timeout = timeout; }
    public Duration getAbsoluteTimeout() { return absoluteTimeout; }
    public void setAbsoluteTimeout(Duration absoluteTimeout) { this.absoluteTimeout = absoluteTimeout; }
    public Duration getStoreTimeout() { return storeTimeout; }
    public void setStoreTimeout(Duration storeTimeout) { this.storeTimeout = storeTimeout; }
    public Duration getCleanupInterval() { return cleanupInterval; }
    public void setCleanupInterval(Duration cleanupInterval) { this.cleanupInterval = cleanupInterval; }
    public boolean isSweeper() { return sweeper; }
    public void setSweeper(boolean sweeper) { this.sweeper = sweeper; }
    public long getMaxSize() { return maxSize; }
    public void setMaxSize(long maxSize) { this.maxSize = maxSize; }
    public Cookie getCookie() { return cookie; }
    public Filesystem getFilesystem() { return filesystem; }
    public Jdbc getJdbc() { return jdbc; }
    public Redis getRedis() { return redis; }
    public Filter getFilter() { return filter; }

    /** The stores {@code cloakroom.store} names. */
    public enum StoreType {
        /** One file per session under {@code cloakroom.filesystem.dir}. The default. */
        FILESYSTEM,
        /** A table in the database of Boot's {@code DataSource} ({@code spring.datasource.*}). */
        JDBC,
        /** Redis at {@code cloakroom.redis.url}, else Boot's {@code spring.data.redis.*}; needs {@code cloakroom-redis}. */
        REDIS,
        /** This process's memory: lost at restart, not shared; for tests. */
        MEMORY
    }

    /** {@code cloakroom.cookie.*}. */
    public static class Cookie {
        /** Name of the session cookie. Unset: server.servlet.session.cookie.name, else "session". */
        private String name;

        /**
         * When the cookie carries Secure: auto (when the request is HTTPS), always, never. Unset:
         * server.servlet.session.cookie.secure (true: always, false: never), else auto.
         */
        private CookieSecure secure;

        /** The cookie's SameSite attribute: strict, lax, none (needs Secure). Unset: server.servlet.session.cookie.same-site, else lax. */
        private SameSite sameSite;

        /**
         * Whether the cookie carries Max-Age (the session's remaining lifetime) or is a browser-session cookie; the
         * server expires the session either way. Default true.
         */
        private boolean permanent = true;

        public String getName() { return name; }
        public void setName(String name) { this.name = name; }
        public CookieSecure getSecure() { return secure; }
        public void setSecure(CookieSecure secure) { this.secure = secure; }
        public SameSite getSameSite() { return sameSite; }
        public void setSameSite(SameSite sameSite) { this.sameSite = sameSite; }
        public boolean isPermanent() { return permanent; }
        public void setPermanent(boolean permanent) { this.permanent = permanent; }
    }

    /** {@code cloakroom.filesystem.*}. */
    public static class Filesystem {
        /** Folder of the filesystem store, created 0700 if missing. Default "cloakroom-sessions" in the working directory. */
        private Path dir = Path.of(DEFAULT_FILESYSTEM_DIR);

        public Path getDir() { return dir; }
        public void setDir(Path dir) { this.dir = dir; }
    }

    /** {@code cloakroom.jdbc.*}. */
    public static class Jdbc {
        /** Table of the JDBC store, optionally schema-qualified. Default "sessions". */
        private String table = JdbcSessionStore.DEFAULT_TABLE;

        /** At start: create (create or upgrade the table), validate (check it, never change it), none. Default create. */
        private JdbcSessionStore.SchemaMode schema = JdbcSessionStore.SchemaMode.CREATE;

        public String getTable() { return table; }
        public void setTable(String table) { this.table = table; }
        public JdbcSessionStore.SchemaMode getSchema() { return schema; }
        public void setSchema(JdbcSessionStore.SchemaMode schema) { this.schema = schema; }
    }

    /** {@code cloakroom.redis.*}. */
    public static class Redis {
        /**
         * redis://, rediss://, redis-sentinel://...#master, or a comma list of cluster nodes. Unset: Boot's
         * spring.data.redis.* connection (host, port, username, password, database, ssl, sentinel, cluster), else
         * redis://127.0.0.1:6379.
         */
        private String url;

        /** Prefix of every Redis key the store writes. Default "session:". */
        private String keyPrefix = RedisSessionStore.DEFAULT_KEY_PREFIX; // a constant: inlined, cloakroom-redis may be absent

        public String getUrl() { return url; }
        public void setUrl(String url) { this.url = url; }
        public String getKeyPrefix() { return keyPrefix; }
        public void setKeyPrefix(String keyPrefix) { this.keyPrefix = keyPrefix; }
    }

    /** {@code cloakroom.filter.*}. */
    public static class Filter {
        /** Order of CloakroomFilter among the servlet filters; it must run before Spring Security's (-100). Default Integer.MIN_VALUE + 50. */
        private int order = DEFAULT_FILTER_ORDER;

        public int getOrder() { return order; }
        public void setOrder(int order) { this.order = order; }
    }
}
