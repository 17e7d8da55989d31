package dev.cloakroom.bench.load;

/** The three loads of issue 10's outside measurement of the seed's app, each by 16 clients at once. */
public enum SeedLoad {
    /** {@code GET /action} on a session that holds an upload: the page lists its lines. */
    READS("reads of /action"),
    /** {@code POST /} of the file to a session that already holds one: the lines are replaced, then a redirect. */
    UPLOADS("uploads to existing sessions"),
    /** {@code POST /} of the file without a cookie: a new session for every request. */
    NEW_SESSIONS("uploads on new sessions");

    private final String label;

    SeedLoad(String label) {
        this.label = label;
    }

    /** The name the report uses. */
    public String label() {
        return label;
    }
}
