package dev.cloakroom.spi;

import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionManager;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One atomic change to a stored session, as the {@link SessionManager} hands it to {@link SessionStore#write}.
 *
 * <p>A store applies it all or not at all:
 * <ul>
 *   <li>{@code create}: insert a record with exactly {@code upserts}; if the key exists already, write nothing and
 *       answer {@link WriteResult#CONFLICT}.</li>
 *   <li>otherwise: if no record exists or it has expired at {@code now}, write nothing and answer
 *       {@link WriteResult#GONE} (a save never resurrects a session); if {@code expectedVersion} is not
 *       {@link #ANY_VERSION} and differs from the stored version, write nothing and answer {@link WriteResult#CONFLICT};
 *       else merge: put {@code upserts}, remove {@code removals}, keep every other attribute as stored, replace the
 *       timestamps, and add one to the version.</li>
 * </ul>
 * A write with no upserts and no removals is a touch: only the timestamps move. Either way, if the record written
 * would exceed {@code maxBytes} ({@link SessionRecord#sizeInBytes()}, measured inside the atomic step, so that
 * concurrent writes cannot add up past it), nothing is written and the answer is {@link WriteResult#TOO_LARGE}.
 */
public record SessionWrite(
        SessionKey key,
        boolean create,
        Map<String, String> upserts,
        Set<String> removals,
        Instant createdAt,
        Instant lastAccessedAt,
        Duration maxInactiveInterval,
        Instant expiresAt,
        long expectedVersion,
        Instant now,
        long maxBytes) {

    /** {@link #expectedVersion()} value that means "whatever version is stored". */
    public static final long ANY_VERSION = -1;

    /** {@link #maxBytes()} value for a write without a size cap. */
    public static final long NO_SIZE_LIMIT = Long.MAX_VALUE;

    public SessionWrite {
        Objects.requireNonNull(key, "key");
        upserts = Map.copyOf(upserts);
        removals = Set.copyOf(removals);
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(lastAccessedAt, "lastAccessedAt");
        Objects.requireNonNull(maxInactiveInterval, "maxInactiveInterval");
        Objects.requireNonNull(expiresAt, "expiresAt");
        Objects.requireNonNull(now, "now");
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes must not be negative: " + maxBytes);
        }
        if (create && !removals.isEmpty()) {
            throw new IllegalArgumentException("a create has nothing to remove: " + removals);
        }
        for (String name : removals) {
            if (upserts.containsKey(name)) {
                throw new IllegalArgumentException("attribute both put and removed: " + name);
            }
        }
    }

    /** The record a create writes, or the merge of this write into {@code stored}: the rule every store follows. */
    public SessionRecord applyTo(SessionRecord stored) {
        if (create) {
            return new SessionRecord(key, upserts, createdAt, lastAccessedAt, maxInactiveInterval, expiresAt, 1);
        }
        var merged = new HashMap<>(stored.attributes());
        merged.keySet().removeAll(removals);
        merged.putAll(upserts);
        return new SessionRecord(key, merged, stored.createdAt(), lastAccessedAt, maxInactiveInterval, expiresAt,
                stored.version() + 1);
    }

    /** This write as the create of a record holding {@code attributes}, created at {@code createdAt}: how a move lands. */
    public SessionWrite asCreateOf(Map<String, String> attributes, Instant createdAt) {
        return new SessionWrite(key, true, attributes, Set.of(), createdAt, lastAccessedAt, maxInactiveInterval, expiresAt,
                ANY_VERSION, now, maxBytes);
    }

    /** Whether the record this write leaves would exceed {@link #maxBytes()}. */
    public boolean exceedsCap(SessionRecord written) {
        return written.sizeInBytes() > maxBytes;
    }

    @Override
    public String toString() {
        return "SessionWrite[" + key + (create ? ", create" : "") + ", put=" + upserts.keySet() + ", remove=" + removals
                + ", expiresAt=" + expiresAt + ", expectedVersion=" + expectedVersion + "]";
    }
}
