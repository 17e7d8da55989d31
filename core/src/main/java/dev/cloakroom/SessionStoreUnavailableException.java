package dev.cloakroom;

/**
 * The store did not answer within its timeout or refused service (down, unreachable, full). Web layers answer
 * 503 with {@code Retry-After}; the same cookie works again once the store is back.
 */
public class SessionStoreUnavailableException extends SessionStoreException {
    public SessionStoreUnavailableException(String message) {
        super(message);
    }

    public SessionStoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
