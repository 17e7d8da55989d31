package dev.cloakroom;

/** The session's encoded attributes would exceed the configured cap; nothing was written. */
public final class SessionTooLargeException extends RuntimeException {
    /** {@link #size()} when the store refused the merged record without saying how large it would have been. */
    public static final long UNKNOWN_SIZE = -1;

    private final long size;
    private final long limit;

    public SessionTooLargeException(long size, long limit) {
        super("session would hold " + size + " bytes, more than the limit of " + limit);
        this.size = size;
        this.limit = limit;
    }

    /**
     * The store refused the write: merged with what other requests saved meanwhile, the record would exceed
     * {@code limit}.
     */
    public SessionTooLargeException(long limit) {
        super("session would grow past the limit of " + limit + " bytes once merged with what other requests saved");
        this.size = UNKNOWN_SIZE;
        this.limit = limit;
    }

    /** The size the session would have had, in bytes, or {@link #UNKNOWN_SIZE}. */
    public long size() {
        return size;
    }

    public long limit() {
        return limit;
    }
}
