package dev.cloakroom.bench;

/** The three kinds of store the contenders are grouped by; ratios are only taken within one. */
public enum Store {
    /** Files in a local folder, fsynced by whoever does. */
    FILESYSTEM("filesystem"),
    /** The shared PostgreSQL server, database {@code cloakroom_bench}. */
    POSTGRESQL("PostgreSQL"),
    /** The shared Redis server, keys under {@code bench:}. */
    REDIS("Redis");

    private final String label;

    Store(String label) {
        this.label = label;
    }

    /** The name the report uses. */
    public String label() {
        return label;
    }
}
