package dev.cloakroom.system;

/**
 * The run's length: the CI mode by default, the long mode with {@code -Dsystem.long=true}. Scenarios read their counts
 * and durations only through here, so that one flag lengthens every one of them.
 */
final class Mode {
    /** The system property that switches the long mode on. */
    static final String LONG = "system.long";

    private Mode() {
    }

    /** Whether this run is the long one. */
    static boolean isLong() {
        return Boolean.getBoolean(LONG);
    }

    /** {@code ci} in the CI mode, {@code longRun} in the long mode. */
    static int iterations(int ci, int longRun) {
        return isLong() ? longRun : ci;
    }

    /** The mode's name, as the report prints it. */
    static String name() {
        return isLong() ? "long" : "ci";
    }
}
