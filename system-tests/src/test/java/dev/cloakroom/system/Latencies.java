package dev.cloakroom.system;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Latencies gathered by many threads, and their percentiles by the nearest-rank method, in milliseconds. */
final class Latencies {
    private final List<Long> nanos = new ArrayList<>();

    synchronized void add(long elapsedNanos) {
        nanos.add(elapsedNanos);
    }

    synchronized int count() {
        return nanos.size();
    }

    /** The {@code percent} percentile in milliseconds (one decimal), or 0 if nothing was measured. */
    synchronized double percentileMillis(double percent) {
        if (nanos.isEmpty()) {
            return 0;
        }
        List<Long> sorted = new ArrayList<>(nanos);
        sorted.sort(null);
        int rank = (int) Math.ceil(percent / 100.0 * sorted.size());
        return Math.round(sorted.get(Math.max(0, rank - 1)) / 100_000.0) / 10.0;
    }

    double p50() {
        return percentileMillis(50);
    }

    double p99() {
        return percentileMillis(99);
    }

    double max() {
        return percentileMillis(100);
    }

    Duration maxDuration() {
        synchronized (this) {
            return Duration.ofNanos(nanos.stream().mapToLong(Long::longValue).max().orElse(0));
        }
    }
}
