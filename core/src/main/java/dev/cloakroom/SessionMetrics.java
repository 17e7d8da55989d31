package dev.cloakroom;

import java.time.Duration;

/**
 * What a {@link SessionManager} reports for monitoring: one call per event, on the thread it happens on. Every method
 * is a no-op by default, so an implementation overrides only what it records; register one with
 * {@link SessionManager.Builder#metrics}. The {@code cloakroom-micrometer} module turns these calls into Micrometer
 * meters; the core itself depends on no metrics library.
 *
 * <p>Implementations must be thread-safe and fast, and should not throw: a call is made on the request path (or the
 * sweeper's), and a failure in it fails that request.
 */
public interface SessionMetrics {
    /** Reports nothing; the default of {@link SessionManager.Builder#metrics}. */
    SessionMetrics NO_OP = new SessionMetrics() {
        @Override
        public String toString() {
            return "SessionMetrics.NO_OP";
        }
    };

    /** Why a presented session id was not adopted. */
    enum RejectedId {
        /** Not an id the server could have issued (its syntax is wrong); rejected without store I/O. */
        MALFORMED,
        /** Well-formed but not a live session: never issued, ended, expired, or its record could not be decoded. */
        UNKNOWN,
        /** The cookie's signature did not verify (reported by the servlet filter when cookie signing is on). */
        BAD_SIGNATURE
    }

    /** The store call that was made. */
    enum StoreOperation { LOAD, WRITE, MOVE, DELETE, SWEEP, LIST, SWEEP_LEASE, FIND_BY_PRINCIPAL }

    /** How a store call failed. */
    enum StoreError {
        /** The store did not answer within its bound ({@link SessionStoreUnavailableException}). */
        UNAVAILABLE,
        /** Failed at once without reaching the store, since its circuit is open after an outage. */
        CIRCUIT_OPEN,
        /** The store answered with an error: a full store, a constraint, a bug. */
        OTHER
    }

    /** A new session was stored for the first time (its first commit that held data). */
    default void sessionCreated() {
    }

    /** {@link SessionManager#find} found a live session. */
    default void sessionLoaded() {
    }

    /** Changed attributes (or a changed idle timeout) of a stored session were written. */
    default void sessionSaved() {
    }

    /** Only the deadline of an unchanged stored session was moved, as its touch interval had passed. */
    default void sessionTouched() {
    }

    /** A stored session was moved to a new id. */
    default void sessionIdChanged() {
    }

    /** The application invalidated a session (counted once per successful {@link Session#invalidate()}). */
    default void sessionInvalidated() {
    }

    /**
     * A conditional write of {@code Session.update} lost to another request's write; the update reloads and retries,
     * or gives up when the store timeout is spent.
     */
    default void updateConflict() {
    }

    /** {@code Session.update} gave up after conflicts outlasted the store timeout. */
    default void updateGaveUp() {
    }

    /** The sweeper deleted an expired session (once per record, as soon as its deletion is certain). */
    default void sessionExpired() {
    }

    /** A presented id was not adopted. */
    default void idRejected(RejectedId reason) {
    }

    /** A call reached the store and returned or failed after {@code elapsed}. */
    default void storeCall(StoreOperation operation, Duration elapsed) {
    }

    /** A store call failed; {@link StoreError#CIRCUIT_OPEN} failures did not reach the store. */
    default void storeError(StoreOperation operation, StoreError error) {
    }
}
