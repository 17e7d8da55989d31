package dev.cloakroom.system;

/** The three stores every scenario runs on; each {@link #open opens} a fresh, empty namespace of a scenario's own. */
enum Store {
    /** A folder under {@code target/demo-work}. */
    FILESYSTEM("filesystem") {
        @Override
        StoreProbe open(String scenario) throws Exception {
            return FileProbe.open(scenario);
        }
    },
    /** A table of its own in the shared PostgreSQL's {@code cloakroom_system} database. */
    POSTGRESQL("PostgreSQL") {
        @Override
        StoreProbe open(String scenario) throws Exception {
            return PostgresProbe.open(scenario);
        }
    },
    /** The shared Redis under a {@code systest:} key prefix of its own. */
    REDIS("Redis") {
        @Override
        StoreProbe open(String scenario) {
            return RedisProbe.open(scenario);
        }
    };

    private final String label;

    Store(String label) {
        this.label = label;
    }

    /** Opens a fresh namespace named after {@code scenario} (letters, digits and '-'). */
    abstract StoreProbe open(String scenario) throws Exception;

    /** The store's name in the report. */
    String label() {
        return label;
    }
}
