package dev.cloakroom.cli;

import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.SessionStoreUnavailableException;
import dev.cloakroom.SessionStores;
import dev.cloakroom.Settings;
import dev.cloakroom.spi.SessionStore;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The demo's settings (environment and {@code -D}, under {@code --set KEY=VALUE}s, which win) and the store they name.
 * The CLI never changes a database's schema: unless told otherwise, {@code SESSION_JDBC_SCHEMA} is {@code validate}.
 */
final class StoreSettings {
    /** What the CLI does with a JDBC table unless {@code SESSION_JDBC_SCHEMA} says otherwise: check, never change. */
    static final String DEFAULT_JDBC_SCHEMA = "validate";

    private final Map<String, String> overrides;
    private final Function<String, String> base;

    private StoreSettings(Map<String, String> overrides, Function<String, String> base) {
        this.overrides = overrides;
        this.base = base;
    }

    /**
     * @param sets the {@code --set} arguments, each {@code KEY=VALUE}
     * @param base the lookup under them: the environment and system properties, or a test's own
     * @throws CliException with {@link ExitCodes#USAGE} for a {@code --set} without {@code =}
     */
    static StoreSettings of(List<String> sets, Function<String, String> base) {
        Map<String, String> overrides = new LinkedHashMap<>();
        for (String set : sets) {
            int equals = set.indexOf('=');
            if (equals < 1) {
                throw new CliException(ExitCodes.USAGE, "--set takes KEY=VALUE: '" + set + "'");
            }
            overrides.put(set.substring(0, equals).trim(), set.substring(equals + 1));
        }
        return new StoreSettings(overrides, base);
    }

    /** The same settings with {@code name} forced to {@code value}, whatever was given. */
    StoreSettings with(String name, String value) {
        Map<String, String> forced = new LinkedHashMap<>(overrides);
        forced.put(name, value);
        return new StoreSettings(forced, base);
    }

    Settings settings() {
        return Settings.of(name -> {
            if (overrides.containsKey(name)) {
                return overrides.get(name);
            }
            String value = base.apply(name);
            return value == null && name.equals("SESSION_JDBC_SCHEMA") ? DEFAULT_JDBC_SCHEMA : value;
        });
    }

    /** @throws CliException with {@link ExitCodes#USAGE} naming the bad setting */
    CloakroomConfig config() {
        try {
            return CloakroomConfig.fromSettings(settings());
        } catch (IllegalArgumentException e) {
            throw badSetting(e);
        }
    }

    /**
     * The configured store, which the caller closes.
     *
     * @throws CliException with {@link ExitCodes#USAGE} naming a bad setting
     * @throws SessionStoreUnavailableException if the store cannot be reached
     */
    SessionStore openStore(CloakroomConfig config) {
        try {
            return SessionStores.fromSettings(settings(), config);
        } catch (IllegalArgumentException e) {
            throw badSetting(e);
        }
    }

    String type() {
        return settings().get("SESSION_TYPE", SessionStores.DEFAULT_TYPE).toLowerCase(java.util.Locale.ROOT);
    }

    private static CliException badSetting(IllegalArgumentException e) {
        return new CliException(ExitCodes.USAGE, "bad setting: " + e.getMessage(), e);
    }
}
