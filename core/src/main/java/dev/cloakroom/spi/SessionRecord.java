package dev.cloakroom.spi;

import dev.cloakroom.SessionKey;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * What a store holds for one session: attributes as encoded JSON texts, timestamps and a version.
 *
 * <p>{@code expiresAt} is the earlier of the idle deadline ({@code lastAccessedAt + maxInactiveInterval}) and the
 * absolute deadline; stores index and sweep by it but never decide expiry policy themselves. {@code version} starts at
 * 1 and grows by one with every write, which is what {@link SessionWrite#expectedVersion()} compares against.
 * {@code principal} is the signed-in user's name, or null: what {@link SessionStore#findByPrincipal} finds the record by.
 */
public record SessionRecord(
        SessionKey key,
        Map<String, String> attributes,
        Instant createdAt,
        Instant lastAccessedAt,
        Duration maxInactiveInterval,
        Instant expiresAt,
        long version,
        String principal) {

    /** A record without a principal. */
    public SessionRecord(SessionKey key, Map<String, String> attributes, Instant createdAt, Instant lastAccessedAt,
                         Duration maxInactiveInterval, Instant expiresAt, long version) {
        this(key, attributes, createdAt, lastAccessedAt, maxInactiveInterval, expiresAt, version, null);
    }

    public SessionRecord {
        Objects.requireNonNull(key, "key");
        attributes = Map.copyOf(attributes);
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(lastAccessedAt, "lastAccessedAt");
        Objects.requireNonNull(maxInactiveInterval, "maxInactiveInterval");
        Objects.requireNonNull(expiresAt, "expiresAt");
        if (version < 1) {
            throw new IllegalArgumentException("version must be at least 1: " + version);
        }
        if (principal != null && principal.isEmpty()) {
            throw new IllegalArgumentException("a principal must not be empty");
        }
    }

    /** Whether this record has expired at {@code now}. */
    public boolean isExpiredAt(Instant now) {
        return !expiresAt.isAfter(now);
    }

    /** The size that {@link SessionWrite#maxBytes()} caps: the UTF-8 bytes of every attribute's name and value. */
    public long sizeInBytes() {
        return sizeInBytes(attributes);
    }

    /** {@link #sizeInBytes()} of a record holding these attributes; every store measures with this rule. */
    public static long sizeInBytes(Map<String, String> attributes) {
        long size = 0;
        for (Map.Entry<String, String> entry : attributes.entrySet()) {
            size += utf8Length(entry.getKey()) + utf8Length(entry.getValue());
        }
        return size;
    }

    private static long utf8Length(String text) {
        return text.getBytes(StandardCharsets.UTF_8).length;
    }

    @Override
    public String toString() {
        return "SessionRecord[" + key + ", " + attributes.size() + " attributes, expiresAt=" + expiresAt + ", version=" + version
                + (principal != null ? ", with principal" : "") + "]";
    }
}
