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
        return findLong(name, Long.MIN_VALUE, Long.MAX_VALUE);
    }

    /** A whole number from {@code min} to {@code max}, or {@code defaultValue} when unset. */
    public long getLong(String name, long defaultValue, long min, long max) {
        return findLong(name, min, max).orElse(defaultValue);
    }

    /** A whole number from {@code min} to {@code max}. */
    public Optional<Long> findLong(String name, long min, long max) {
        return find(name).map(value -> parse(name, value, min, max, "a whole number"));
    }

    /** A duration given in whole seconds, as Flask-Session takes it. */
    public Optional<Duration> findSeconds(String name) {
        return findLong(name).map(Duration::ofSeconds);
    }

    public Duration getSeconds(String name, Duration defaultValue) {
        return findSeconds(name).orElse(defaultValue);
    }

    /** A positive duration in whole seconds, at most {@code max}. */
    public Optional<Duration> findSeconds(String name, Duration max) {
        return find(name).map(value -> Duration.ofSeconds(parse(name, value, 1, max.toSeconds(), "a whole number of seconds")));
    }

    /** {@link #findSeconds(String, Duration)}, or {@code defaultValue} when unset. */
    public Duration getSeconds(String name, Duration defaultValue, Duration max) {
        return findSeconds(name, max).orElse(defaultValue);
    }

    /** A positive duration in whole milliseconds, at most {@code max}, or {@code defaultValue} when unset. */
    public Duration getMillis(String name, Duration defaultValue, Duration max) {
        return find(name).map(value -> Duration.ofMillis(parse(name, value, 1, max.toMillis(), "a whole number of milliseconds")))
                .orElse(defaultValue);
    }

    private static long parse(String name, String value, long min, long max, String what) {
        long parsed;
        try {
            parsed = Long.parseLong(value);
        } catch (NumberFormatException e) {
            // too many digits for a long is out of range, like any other value beyond max
            throw invalid(name, value, what + " from " + min + " to " + max);
        }
        if (parsed < min || parsed > max) {
            throw invalid(name, value, what + " from " + min + " to " + max);
        }
        return parsed;
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
