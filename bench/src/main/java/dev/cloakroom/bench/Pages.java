package dev.cloakroom.bench;

/** The pages every contender serves, and the session attributes they use. */
public final class Pages {
    /** Never touches the session: the baseline. */
    public static final String NONE = "/none";
    /** Reads the counter and the upload from an existing session, changes nothing. */
    public static final String READ = "/read";
    /** Adds one to the counter (creating the session if needed) and answers the new value. */
    public static final String INCREMENT = "/increment";
    /** Stores the request body's lines as a list (a few KB), as the seed's upload page does. */
    public static final String UPLOAD = "/upload";
    /** The harness's own endpoint: store statement counters; never touches the session. */
    public static final String STATS = "/_bench/stats";
    /** The harness's own endpoint: runs the contender's cleanup of expired sessions and answers when done. */
    public static final String CLEANUP = "/_bench/cleanup";

    public static final String COUNT = "count";
    public static final String LINES = "file_contents";

    private Pages() {
    }
}
