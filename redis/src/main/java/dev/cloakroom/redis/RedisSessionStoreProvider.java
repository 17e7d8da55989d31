package dev.cloakroom.redis;

import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.SessionStore;
import dev.cloakroom.SessionStoreProvider;
import dev.cloakroom.Settings;
import java.util.Set;

/**
 * {@code SESSION_TYPE=redis}: reads {@code SESSION_REDIS} (alias {@code SESSION_REDIS_URL}, default
 * {@value RedisSessionStore#DEFAULT_URI}), {@code SESSION_REDIS_CLUSTER} (a single URI that is a cluster node),
 * {@code SESSION_KEY_PREFIX} (default {@value RedisSessionStore#DEFAULT_KEY_PREFIX}),
 * {@code SESSION_REDIS_EXPIRY_EVENTS} (expiry listeners, default false), {@code SESSION_REDIS_EXPIRY_GRACE} (seconds,
 * default 600) and {@link CloakroomConfig#storeTimeout()} for the command and connect timeouts.
 */
public final class RedisSessionStoreProvider implements SessionStoreProvider {

    @Override
    public Set<String> types() {
        return Set.of("redis");
    }

    @Override
    public SessionStore create(Settings settings, CloakroomConfig config) {
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
        return builder
                .cluster(settings.getBoolean("SESSION_REDIS_CLUSTER", false))
                .expiryListeners(settings.getBoolean("SESSION_REDIS_EXPIRY_EVENTS", false))
                .expiryGrace(settings.getSeconds("SESSION_REDIS_EXPIRY_GRACE", RedisSessionStore.DEFAULT_EXPIRY_GRACE))
                .commandTimeout(config.storeTimeout())
                .connectTimeout(config.storeTimeout())
                .build();
    }
}
