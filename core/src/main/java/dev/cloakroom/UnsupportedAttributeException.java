package dev.cloakroom;

/**
 * An attribute the codec will not store: its value is not a JSON value (string, number, boolean, null, list, map with
 * string keys) nor a type registered with {@link SessionCodec.Builder#register}, or its name or some text in it is not
 * well-formed Unicode (an unpaired surrogate). The message names the attribute and says what is wrong.
 *
 * <p>Thrown at {@link Session#setAttribute} time, before anything changes. Thrown by {@link SessionManager#commit} only
 * for a value changed in place after it was set: the request's other changes were saved then, and
 * {@link #cookieUpdate()} says what to do with the cookie.
 */
public final class UnsupportedAttributeException extends IllegalArgumentException {
    private final CookieUpdate cookieUpdate;

    public UnsupportedAttributeException(String message) {
        this(message, (Throwable) null);
    }

    public UnsupportedAttributeException(String message, Throwable cause) {
        super(message, cause);
        this.cookieUpdate = CookieUpdate.NONE;
    }

    /** Thrown by commit once the other changes were saved. */
    UnsupportedAttributeException(String message, CookieUpdate cookieUpdate) {
        super(message);
        this.cookieUpdate = cookieUpdate;
    }

    /**
     * What the web layer must do with the cookie: as {@link SessionManager#commit} would have answered, when commit
     * threw this after saving the request's other changes (a new session was stored, an id changed); {@link
     * CookieUpdate#NONE} when thrown at set time.
     */
    public CookieUpdate cookieUpdate() {
        return cookieUpdate;
    }
}
