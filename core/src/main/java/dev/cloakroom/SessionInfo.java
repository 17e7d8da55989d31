package dev.cloakroom;

import java.time.Instant;
import java.util.Objects;

/**
 * One of a user's sessions, as {@link SessionManager#sessionsOf} lists it: what a "your devices" page or an operator
 * shows, and the key to {@link SessionManager#revoke} it with. Holds no raw id and no attribute.
 *
 * @param key              the session's hashed key; safe to show and log
 * @param principal        the user's name the session is indexed by
 * @param createdAt        when the session was first stored
 * @param lastAccessedAt   when it was last written (a request that did not write is not counted, see the touch ratio)
 * @param idleDeadline     when it expires unless a request touches it: {@code lastAccessedAt} plus its idle timeout
 * @param absoluteDeadline when it ends whatever requests come, as the absolute timeout configured now says; null if none
 * @param sizeInBytes      its attributes' size, as the size cap measures it
 */
public record SessionInfo(
        SessionKey key,
        String principal,
        Instant createdAt,
        Instant lastAccessedAt,
        Instant idleDeadline,
        Instant absoluteDeadline,
        long sizeInBytes) {

    public SessionInfo {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(principal, "principal");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(lastAccessedAt, "lastAccessedAt");
        Objects.requireNonNull(idleDeadline, "idleDeadline");
    }

    /** When the session expires if no request touches it: the earlier of its two deadlines. */
    public Instant expiresAt() {
        return absoluteDeadline != null && absoluteDeadline.isBefore(idleDeadline) ? absoluteDeadline : idleDeadline;
    }
}
