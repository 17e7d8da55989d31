package dev.cloakroom.cli;

/** The process's exit codes, listed in the README; scripts depend on them. */
final class ExitCodes {
    /** Done; for {@code doctor}, every check passed. */
    static final int OK = 0;
    /** Not done: no such session, not confirmed, a failed {@code doctor} check, or a store error. */
    static final int FAILED = 1;
    /** Bad usage or a bad setting (the message names it), or a destructive command without {@code --yes} off a terminal. */
    static final int USAGE = 2;
    /** The store did not answer within its timeout. */
    static final int UNAVAILABLE = 3;

    private ExitCodes() {
    }
}
