package dev.cloakroom;

import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * Named settings with Flask-Session's names ({@code SESSION_TYPE}, {@code PERMANENT_SESSION_LIFETIME}, ...), read
 * from a lookup such as the environment. Typed getters reject a bad value with a message that names the setting and
 * the value; nothing is silently corrected.
 */
public final class Settings {
    private final Function<String, String> lookup;

    private Settings(Function<String, String> lookup) {
        this.lookup = lookup;
    }

    /** Settings from any lookup; a blank value counts as unset. */
    public static Settings of(Function<String, String> lookup) {
        return new Settings(Objects.requireNonNull(lookup, "lookup"));
    }

    public static Settings of(Map<String, String> values) {
        return of(Map.copyOf(values)::get);
    }

    /** Java system properties ({@code -DNAME=value}) first, then environment variables. */
    public static Settings fromSystem() {
        return of(name -> {
            String property = System.getProperty(name);
            return property != null ? property : System.getenv(name);
        });
    }

    public Optional<String> find(String name) {
        String value = lookup.apply(name);
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
    }

    /** The first of {@code names} that is set: for settings with an alias. */
    public Optional<String> findAny(String... names) {
        for (String name : names) {
            Optional<String> value = find(name);
            if (value.isPresent()) {
                return value;
            }
        }
        return Optional.empty();
    }

    public String get(String name, String defaultValue) {
        return find(name).orElse(defaultValue);
    }

    public boolean getBoolean(String name, boolean defaultValue) {
        return find(name).map(value -> switch (value.toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes", "on" -> true;
            case "false", "0", "no", "off" -> false;
            default -> throw invalid(name, value, "true or false");
        }).orElse(defaultValue);
    }

    public long getLong(String name, long defaultValue) {
        return findLong(name).orElse(defaultValue);
    }

    public Optional<Long> findLong(String name) {
        return find(name).map(value -> {
            try {
                return Long.parseLong(value);
            } catch (NumberFormatException e) {
                throw invalid(name, value, "a whole number");
            }
        });
    }

    /** A duration given in whole seconds, as Flask-Session takes it. */
    public Optional<Duration> findSeconds(String name) {
        return findLong(name).map(Duration::ofSeconds);
    }

    public Duration getSeconds(String name, Duration defaultValue) {
        return findSeconds(name).orElse(defaultValue);
    }

    public <E extends Enum<E>> E getEnum(String name, Class<E> type, E defaultValue) {
        return find(name).map(value -> {
            for (E constant : type.getEnumConstants()) {
                if (constant.name().equalsIgnoreCase(value)) {
                    return constant;
                }
            }
            throw invalid(name, value, "one of " + Arrays.toString(type.getEnumConstants()));
        }).orElse(defaultValue);
    }

    static IllegalArgumentException invalid(String name, String value, String expected) {
        return new IllegalArgumentException(name + " must be " + expected + ": '" + value + "'");
    }
}
