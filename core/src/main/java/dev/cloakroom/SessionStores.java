package dev.cloakroom;

import dev.cloakroom.file.FileSessionStore;
import dev.cloakroom.file.FileSync;
import dev.cloakroom.memory.MemorySessionStore;
import dev.cloakroom.spi.SessionStore;
import dev.cloakroom.spi.SessionStoreProvider;

import java.nio.file.Path;
import java.util.Locale;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;

/**
 * Chooses and builds the store named by {@code SESSION_TYPE} (default {@code filesystem}): {@code filesystem} and
 * {@code memory} are built in; other types come from {@link SessionStoreProvider}s on the class path.
 */
public final class SessionStores {
    /** {@code SESSION_TYPE}'s default. */
    public static final String DEFAULT_TYPE = "filesystem";
    /** {@code SESSION_FILE_DIR}'s default, as in Flask-Session. */
    public static final String DEFAULT_FILE_DIR = "flask_session";

    private SessionStores() {
    }

    /**
     * Reads {@code SESSION_TYPE}; for {@code filesystem} also {@code SESSION_FILE_DIR}, {@code SESSION_FILE_THRESHOLD},
     * {@code SESSION_FILE_SYNC} and {@code SESSION_MAX_SESSIONS}, and bounds lock waits by {@link CloakroomConfig#storeTimeout()}; for
     * {@code memory}, {@code SESSION_MAX_SESSIONS}.
     *
     * @throws IllegalArgumentException for an unknown type (listing the known ones) or a bad setting
     */
    public static SessionStore fromSettings(Settings settings, CloakroomConfig config) {
        String type = settings.get("SESSION_TYPE", DEFAULT_TYPE).toLowerCase(Locale.ROOT);
        switch (type) {
            case "filesystem":
                return FileSessionStore.builder(Path.of(settings.get("SESSION_FILE_DIR", DEFAULT_FILE_DIR)))
                        .fileThreshold(settings.getLong("SESSION_FILE_THRESHOLD", FileSessionStore.DEFAULT_FILE_THRESHOLD, 0, Long.MAX_VALUE))
                        .maxSessions(settings.getLong("SESSION_MAX_SESSIONS", Long.MAX_VALUE, 1, Long.MAX_VALUE))
                        .lockTimeout(config.storeTimeout())
                        .sync(settings.getEnum("SESSION_FILE_SYNC", FileSync.class, FileSync.DURABLE))
                        .build();
            case "memory":
                return new MemorySessionStore(settings.getLong("SESSION_MAX_SESSIONS", Long.MAX_VALUE, 1, Long.MAX_VALUE));
            default:
                Set<String> known = new TreeSet<>(Set.of("filesystem", "memory"));
                for (SessionStoreProvider provider : ServiceLoader.load(SessionStoreProvider.class)) {
                    if (provider.types().contains(type)) {
                        return provider.create(settings, config);
                    }
                    known.addAll(provider.types());
                }
                throw new IllegalArgumentException("SESSION_TYPE '" + type + "' is not available; known here: " + known
                        + " (sqlalchemy/jdbc need cloakroom-jdbc, redis needs cloakroom-redis on the class path)");
        }
    }
}
