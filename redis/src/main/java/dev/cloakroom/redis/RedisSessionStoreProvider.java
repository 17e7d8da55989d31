package dev.cloakroom.redis;

import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.spi.SessionStore;
import dev.cloakroom.spi.SessionStoreProvider;
import dev.cloakroom.Settings;
import java.time.Duration;
import java.util.Set;

/**
 * {@code SESSION_TYPE=redis}: reads {@code SESSION_REDIS} (alias {@code SESSION_REDIS_URL}, default
 * {@value RedisSessionStore#DEFAULT_URI}), {@code SESSION_REDIS_CLUSTER} (a single URI that is a cluster node),
 * {@code SESSION_KEY_PREFIX} (default {@value RedisSessionStore#DEFAULT_KEY_PREFIX}),
 * {@code SESSION_REDIS_EXPIRY_EVENTS} (expiry listeners, default false), {@code SESSION_REDIS_EXPIRY_GRACE} (seconds,
 * default 600), {@code SESSION_REDIS_WAIT_REPLICAS} (replicas that confirm each write, default 0 = off) with
 * {@code SESSION_REDIS_WAIT_TIMEOUT_MS} (default half the store timeout), and {@link CloakroomConfig#storeTimeout()}
 * for the command and connect timeouts. Rejects
 * {@code SESSION_MAX_SESSIONS}, which this store cannot honour cheaply (Redis's {@code maxmemory} does that job).
 */
public final class RedisSessionStoreProvider implements SessionStoreProvider {

    @Override
    public Set<String> types() {
        return Set.of("redis");
    }

    @Override
    public SessionStore create(Settings settings, CloakroomConfig config) {
        if (settings.find("SESSION_MAX_SESSIONS").isPresent()) {
            // Counting one prefix's keys would cost a scan per new session; Redis's own memory limit does this job.
            throw new IllegalArgumentException("SESSION_MAX_SESSIONS is not supported with SESSION_TYPE=redis: cap "
                    + "Redis memory instead (maxmemory with maxmemory-policy noeviction: new sessions then get 503)");
        }
        String uri = settings.findAny("SESSION_REDIS", "SESSION_REDIS_URL").orElse(RedisSessionStore.DEFAULT_URI);
        RedisSessionStore.Builder builder;
        try {
            builder = RedisSessionStore.builder(uri);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("SESSION_REDIS: " + e.getMessage(), e);
        }
        try {
            builder.keyPrefix(settings.get("SESSION_KEY_PREFIX", RedisSessionStore.DEFAULT_KEY_PREFIX));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("SESSION_KEY_PREFIX: " + e.getMessage(), e);
        }
        int waitReplicas = (int) settings.getLong("SESSION_REDIS_WAIT_REPLICAS", 0, 0, RedisSessionStore.MAX_WAIT_REPLICAS);
        if (waitReplicas > 0) {
            Duration storeTimeout = config.storeTimeout();
            Duration waitTimeout = settings.getMillis("SESSION_REDIS_WAIT_TIMEOUT_MS", storeTimeout.dividedBy(2),
                    storeTimeout.minusMillis(1));
            builder.waitForReplicas(waitReplicas, waitTimeout);
        }
        return builder
                .cluster(settings.getBoolean("SESSION_REDIS_CLUSTER", false))
                .expiryListeners(settings.getBoolean("SESSION_REDIS_EXPIRY_EVENTS", false))
                .expiryGrace(settings.getSeconds("SESSION_REDIS_EXPIRY_GRACE", RedisSessionStore.DEFAULT_EXPIRY_GRACE, RedisSessionStore.MAX_EXPIRY_GRACE))
                .commandTimeout(config.storeTimeout())
                .connectTimeout(config.storeTimeout())
                .build();
    }
}
