package dev.cloakroom;

/**
 * What {@link SessionManager#commit} found, in session terms. Together with the session's own state after the commit
 * ({@link Session#isStored()}, {@link Session#id()}, {@link Session#isInvalidated()}, which hold after a commit that
 * threw too) it is all a web layer needs to keep its cookie in step.
 */
public enum CommitOutcome {
    /** A new session that holds no data: nothing was stored, and no record exists for it. */
    NOTHING_TO_STORE,
    /** The stored session is as it was: nothing was written since the last commit, and its deadline did not move. */
    UNCHANGED,
    /**
     * The session was written since the last commit, so its deadline moved to {@link Session#expiresAt()}: this commit
     * created it, saved changes or a touch, or moved it to the id {@link Session#changeId()} gave it; or
     * {@link Session#update} wrote it earlier in the request and this commit had nothing left to add.
     */
    SAVED,
    /**
     * The session is over: invalidated in this request, or found ended when this commit tried to write it (another
     * request invalidated it, or it expired). Nothing is stored under its id.
     */
    ENDED
}
