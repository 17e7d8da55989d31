package dev.cloakroom;

/**
 * The session ended while this request was using it: another request invalidated it (a logout in another tab), or it
 * expired, between this request's load and its write. Nothing this write carried was stored, and the session is not
 * recreated; this request's session is marked invalidated.
 *
 * <p>An {@link IllegalStateException}, as the Servlet API has a call on an invalidated session throw, but a specific one:
 * it comes from another request, not from a mistake in this one, so {@code CloakroomFilter} answers it with a 409 and
 * clears the cookie instead of letting it become a 500. The message names the session by its hashed key only.
 */
public final class SessionEndedException extends IllegalStateException {
    public SessionEndedException(SessionKey key, String what) {
        super(key + " ended while " + what + "; nothing was written and it is not recreated");
    }
}
