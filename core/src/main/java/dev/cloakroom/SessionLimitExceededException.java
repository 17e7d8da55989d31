package dev.cloakroom;

/** A new session was refused because the store holds its configured maximum; live sessions are never evicted. */
public final class SessionLimitExceededException extends SessionStoreUnavailableException {
    public SessionLimitExceededException(String message) {
        super(message);
    }
}
