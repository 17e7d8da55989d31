package dev.cloakroom;

/**
 * An attribute the codec will not store: its value is not a JSON value (string, number, boolean, null, list, map with
 * string keys) nor a type registered with {@link SessionCodec.Builder#register}, or its name or some text in it is not
 * well-formed Unicode (an unpaired surrogate). The message names the attribute and says what is wrong.
 *
 * <p>Thrown at {@link Session#setAttribute} time, before anything changes. Thrown by {@link SessionManager#commit} only
 * for a value changed in place after it was set or read: the request's other changes were saved then, and the
 * session's state says what the store holds ({@link Session#isStored()}, {@link Session#id()}).
 */
public final class UnsupportedAttributeException extends IllegalArgumentException {
    public UnsupportedAttributeException(String message) {
        super(message);
    }

    public UnsupportedAttributeException(String message, Throwable cause) {
        super(message, cause);
    }
}
