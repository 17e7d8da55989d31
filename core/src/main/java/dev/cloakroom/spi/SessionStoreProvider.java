package dev.cloakroom.spi;

import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.Settings;

import java.util.Set;

/**
 * Builds a store from named settings, so that an application can choose its store with {@code SESSION_TYPE} alone.
 * Store modules register one in {@code META-INF/services/dev.cloakroom.spi.SessionStoreProvider}; adding the module's
 * jar is all it takes.
 */
public interface SessionStoreProvider {

    /** The {@code SESSION_TYPE} values this provider answers to, lowercase (e.g. {@code redis}). */
    Set<String> types();

    /**
     * A ready store; reads its own settings (e.g. {@code SESSION_REDIS}) and honours
     * {@link CloakroomConfig#storeTimeout()}.
     *
     * @throws IllegalArgumentException naming the setting, when one is missing or malformed
     */
    SessionStore create(Settings settings, CloakroomConfig config);
}
