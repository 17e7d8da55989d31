package dev.cloakroom;

/** A stored attribute could not be decoded: corrupt text, or a type name this application did not register. */
public final class SessionDecodingException extends RuntimeException {
    public SessionDecodingException(String message, Throwable cause) {
        super(message, cause);
    }
}
