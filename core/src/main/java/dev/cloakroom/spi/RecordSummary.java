package dev.cloakroom.spi;

import dev.cloakroom.SessionKey;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * What {@link SessionStore#list} tells about one stored record: everything but its attributes, and their size as
 * {@link SessionRecord#sizeInBytes()} measures it, so that an operator's tool can walk a million records without
 * holding their data. {@code principal} is the signed-in user's name, or null.
 */
public record RecordSummary(
        SessionKey key,
        Instant createdAt,
        Instant lastAccessedAt,
        Duration maxInactiveInterval,
        Instant expiresAt,
        long version,
        long sizeInBytes,
        String principal) {

    /** A summary of a record without a principal. */
    public RecordSummary(SessionKey key, Instant createdAt, Instant lastAccessedAt, Duration maxInactiveInterval,
                         Instant expiresAt, long version, long sizeInBytes) {
        this(key, createdAt, lastAccessedAt, maxInactiveInterval, expiresAt, version, sizeInBytes, null);
    }

    public RecordSummary {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(lastAccessedAt, "lastAccessedAt");
        Objects.requireNonNull(maxInactiveInterval, "maxInactiveInterval");
        Objects.requireNonNull(expiresAt, "expiresAt");
        if (sizeInBytes < 0) {
            throw new IllegalArgumentException("sizeInBytes must not be negative: " + sizeInBytes);
        }
    }

    /** The summary of a record, for a store that reads whole records anyway. */
    public static RecordSummary of(SessionRecord record) {
        return new RecordSummary(record.key(), record.createdAt(), record.lastAccessedAt(), record.maxInactiveInterval(),
                record.expiresAt(), record.version(), record.sizeInBytes(), record.principal());
    }

    /** When the record expires if it is not written again: the last write plus the idle timeout. */
    public Instant idleDeadline() {
        return lastAccessedAt.plus(maxInactiveInterval);
    }

    /** Whether the record has expired at {@code now}, as {@link SessionRecord#isExpiredAt} says. */
    public boolean isExpiredAt(Instant now) {
        return !expiresAt.isAfter(now);
    }
}
