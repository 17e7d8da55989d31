package dev.cloakroom.cli;

import java.io.PrintWriter;

/**
 * A one-line progress bar redrawn with {@code \r} on stderr, at most ten times a second; silent without a terminal
 * (a script's log gets no control characters).
 */
final class Progress implements AutoCloseable {
    private static final int WIDTH = 30;
    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintWriter err;
    private final String label;
    private final long total;
    private long done;
    private long drawnAt;
    private boolean drawn;

    /** @param err where to draw, or null for none */
    Progress(PrintWriter err, String label, long total) {
        this.err = err;
        this.label = label;
        this.total = total;
    }

    void advance(long steps) {
        done += steps;
        long now = System.nanoTime();
        if (err != null && (!drawn || now - drawnAt >= REDRAW_NANOS)) {
            draw();
            drawnAt = now;
        }
    }

    private void draw() {
        drawn = true;
        if (total > 0) {
            int filled = (int) Math.min(WIDTH, done * WIDTH / total);
            err.print("\r" + label + " [" + "#".repeat(filled) + " ".repeat(WIDTH - filled) + "] " + done + "/" + total);
        } else {
            err.print("\r" + label + " " + done);
        }
        err.flush();
    }

    /** Draws the final count and ends the line, if anything was drawn. */
    @Override
    public void close() {
        if (err != null && drawn) {
            draw();
            err.println();
            err.flush();
        }
    }
}
