package dev.cloakroom.bench.load;

import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * Latencies of a set of requests, in milliseconds.
 *
 * @param count requests measured
 */
public record Summary(long count, double p50, double p99, double max, double mean) {

    /** A histogram for latencies recorded in microseconds, up to a minute, three significant digits. */
    static Histogram histogram() {
        return new Histogram(TimeUnit.MINUTES.toMicros(1), 3);
    }

    static void record(Histogram h, long nanos) {
        h.recordValue(Math.min(h.getHighestTrackableValue(), Math.max(1, nanos / 1000)));
    }

    static Summary of(Histogram h) {
        return new Summary(h.getTotalCount(), h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0,
                h.getMaxValue() / 1000.0, h.getMean() / 1000.0);
    }
}
