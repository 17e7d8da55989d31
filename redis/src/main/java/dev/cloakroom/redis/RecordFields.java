package dev.cloakroom.redis;

import dev.cloakroom.SessionKey;
import dev.cloakroom.spi.SessionRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The fields of a session's hash: {@code c} created, {@code l} last accessed, {@code e} expires (epoch milliseconds),
 * {@code m} max inactive interval (milliseconds), {@code v} version, {@code s} the attributes' size in bytes (what the
 * size cap measures), {@code p} the principal (only when there is one), and one {@code a:<name>} per attribute holding
 * its JSON text; while a move to another cluster
 * slot runs, also {@code mv} (the mover's token) and {@code mx} (its lease deadline). Times are the manager's clock to
 * the millisecond, never Redis {@code TIME}. The scripts in {@link LuaScript} use the same names.
 */
final class RecordFields {
    static final String CREATED = "c";
    static final String LAST_ACCESSED = "l";
    static final String EXPIRES = "e";
    static final String MAX_INACTIVE = "m";
    static final String VERSION = "v";
    static final String SIZE = "s";
    static final String PRINCIPAL = "p";
    static final String ATTRIBUTE_PREFIX = "a:";

    private RecordFields() {
    }

    static String attribute(String name) {
        return ATTRIBUTE_PREFIX + name;
    }

    /** The record a hash holds, or empty when the hash is not one (missing or garbled metadata). */
    static Optional<SessionRecord> parse(SessionKey key, Map<String, String> hash) {
        try {
            Instant created = Instant.ofEpochMilli(number(hash, CREATED));
            Instant lastAccessed = Instant.ofEpochMilli(number(hash, LAST_ACCESSED));
            Instant expires = Instant.ofEpochMilli(number(hash, EXPIRES));
            long maxInactive = number(hash, MAX_INACTIVE);
            long version = number(hash, VERSION);
            if (maxInactive < 0 || version < 1) {
                return Optional.empty();
            }
            Map<String, String> attributes = new HashMap<>();
            hash.forEach((field, value) -> {
                if (field.startsWith(ATTRIBUTE_PREFIX)) {
                    attributes.put(field.substring(ATTRIBUTE_PREFIX.length()), value);
                }
            });
            String principal = hash.get(PRINCIPAL);
            return Optional.of(new SessionRecord(key, attributes, created, lastAccessed, Duration.ofMillis(maxInactive),
                    expires, version, principal == null || principal.isEmpty() ? null : principal));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** A hash as a sweep script returns it: field, value, field, value, … */
    static Map<String, String> fromFlatList(List<?> flat) {
        Map<String, String> hash = new HashMap<>();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            hash.put(String.valueOf(flat.get(i)), String.valueOf(flat.get(i + 1)));
        }
        return hash;
    }

    private static long number(Map<String, String> hash, String field) {
        String text = hash.get(field);
        if (text == null) {
            throw new IllegalArgumentException("missing " + field);
        }
        return Long.parseLong(text);
    }
}
