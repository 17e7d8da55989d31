package dev.cloakroom;

/** A store failed to do what was asked; the stored data is as it was before the call or as the call left it whole. */
public class SessionStoreException extends RuntimeException {
    public SessionStoreException(String message) {
        super(message);
    }

    public SessionStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
