package dev.cloakroom;

/**
 * An attribute value the codec will not store: not a JSON value (string, number, boolean, null, list, map with
 * string keys) and not a type registered with {@link SessionCodec.Builder#register}.
 */
public final class UnsupportedAttributeException extends IllegalArgumentException {
    public UnsupportedAttributeException(String message) {
        super(message);
    }

    public UnsupportedAttributeException(String message, Throwable cause) {
        super(message, cause);
    }
}
