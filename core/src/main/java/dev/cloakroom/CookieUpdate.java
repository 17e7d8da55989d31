package dev.cloakroom;

/** What the web layer must do with the session cookie after {@link SessionManager#commit(Session)}. */
public enum CookieUpdate {
    /** Leave the cookie as the browser has it. */
    NONE,
    /** Send the cookie with {@link Session#id()} (new session, new id, or a sliding {@code Max-Age}). */
    SET,
    /** Remove the cookie: the session was invalidated or no longer exists. */
    CLEAR
}
