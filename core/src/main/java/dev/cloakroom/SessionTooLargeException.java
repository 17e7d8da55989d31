package dev.cloakroom;

/** The session's encoded attributes would exceed the configured cap; nothing was written. */
public final class SessionTooLargeException extends RuntimeException {
    private final long size;
    private final long limit;

    public SessionTooLargeException(long size, long limit) {
        super("session would hold " + size + " bytes, more than the limit of " + limit);
        this.size = size;
        this.limit = limit;
    }

    public long size() {
        return size;
    }

    public long limit() {
        return limit;
    }
}
