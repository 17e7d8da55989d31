package dev.cloakroom;

import java.util.Map;

/**
 * Told when sessions begin and end. {@link #sessionDestroyed} receives the decoded attributes, so an application can
 * delete what it keeps elsewhere for an anonymous visitor whose session ended. Called on the thread that observed the
 * event (a request thread, or the sweeper's); an exception it throws is logged and does not stop the others.
 */
public interface SessionListener {

    /** Why a session ended. */
    enum Reason {
        /** The application invalidated it. */
        INVALIDATED,
        /** Its idle or absolute deadline passed and the sweeper removed it. */
        EXPIRED,
        /**
         * The application ended it from outside, without the visitor's request: {@link SessionManager#revoke} or
         * {@link SessionManager#revokeAll} ("sign out everywhere", an operator's tool).
         */
        REVOKED
    }

    /** A new session was stored for the first time. */
    default void sessionCreated(SessionKey key) {
    }

    /**
     * A session ended; {@code attributes} is what it held (empty if it could not be decoded). Told once per session:
     * by the request whose invalidation removed the record, by the revocation that removed it, or by the sweeper that
     * removed it.
     */
    default void sessionDestroyed(SessionKey key, Map<String, Object> attributes, Reason reason) {
    }
}
