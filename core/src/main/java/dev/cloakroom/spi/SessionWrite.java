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
 *
 * <p>The principal (the signed-in user's name, which {@link SessionStore#findByPrincipal} finds sessions by) is a
 * delta like the attributes: a create stores {@code principal} (null for none); a merge or a move replaces the stored
 * principal with {@code principal} only if {@code setsPrincipal}, and otherwise keeps it, so that a request that did
 * not see a login cannot undo it. The store updates its principal index in the same atomic step as the record.
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
        long maxBytes,
        boolean setsPrincipal,
        String principal) {

    /** {@link #expectedVersion()} value that means "whatever version is stored". */
    public static final long ANY_VERSION = -1;

    /** {@link #maxBytes()} value for a write without a size cap. */
    public static final long NO_SIZE_LIMIT = Long.MAX_VALUE;

    /** A write that leaves the stored principal as it is (a create stores none). */
    public SessionWrite(SessionKey key, boolean create, Map<String, String> upserts, Set<String> removals,
                        Instant createdAt, Instant lastAccessedAt, Duration maxInactiveInterval, Instant expiresAt,
                        long expectedVersion, Instant now, long maxBytes) {
        this(key, create, upserts, removals, createdAt, lastAccessedAt, maxInactiveInterval, expiresAt, expectedVersion,
                now, maxBytes, false, null);
    }

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
        if (!setsPrincipal && principal != null) {
            throw new IllegalArgumentException("a principal is given but setsPrincipal is false");
        }
        if (principal != null && principal.isEmpty()) {
            throw new IllegalArgumentException("a principal must not be empty");
        }
    }

    /** The principal the record holds after this write, given the one stored before (ignored by a create). */
    public String principalAfter(String stored) {
        return create || setsPrincipal ? principal : stored;
    }

    /** The record a create writes, or the merge of this write into {@code stored}: the rule every store follows. */
    public SessionRecord applyTo(SessionRecord stored) {
        if (create) {
            return new SessionRecord(key, upserts, createdAt, lastAccessedAt, maxInactiveInterval, expiresAt, 1, principal);
        }
        var merged = new HashMap<>(stored.attributes());
        merged.keySet().removeAll(removals);
        merged.putAll(upserts);
        return new SessionRecord(key, merged, stored.createdAt(), lastAccessedAt, maxInactiveInterval, expiresAt,
                stored.version() + 1, principalAfter(stored.principal()));
    }

    /**
     * This write as the create of {@code merged} (what {@link #applyTo} made of the record moved) under this write's key:
     * how a move lands, with the moved record's attributes, creation time and principal.
     */
    public SessionWrite asCreateOf(SessionRecord merged) {
        return new SessionWrite(key, true, merged.attributes(), Set.of(), merged.createdAt(), lastAccessedAt,
                maxInactiveInterval, expiresAt, ANY_VERSION, now, maxBytes, merged.principal() != null, merged.principal());
    }

    /** Whether the record this write leaves would exceed {@link #maxBytes()}. */
    public boolean exceedsCap(SessionRecord written) {
        return written.sizeInBytes() > maxBytes;
    }

    @Override
    public String toString() {
        return "SessionWrite[" + key + (create ? ", create" : "") + ", put=" + upserts.keySet() + ", remove=" + removals
                + ", expiresAt=" + expiresAt + ", expectedVersion=" + expectedVersion
                + (setsPrincipal ? principal == null ? ", principal cleared" : ", principal set" : "") + "]";
    }
}
