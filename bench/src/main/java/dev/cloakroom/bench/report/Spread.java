package dev.cloakroom.bench.report;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/** The median of a few rounds and their range, as every figure in the report is given. */
record Spread(double median, double min, double max, int n) {

    static Spread of(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.removeIf(v -> v == null || v.isNaN());
        if (sorted.isEmpty()) {
            return new Spread(Double.NaN, Double.NaN, Double.NaN, 0);
        }
        Collections.sort(sorted);
        int n = sorted.size();
        double median = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
        return new Spread(median, sorted.get(0), sorted.get(n - 1), n);
    }

    boolean isEmpty() {
        return n == 0;
    }

    /** {@code 0.67 (0.61-0.72)}; the range is left out for a single value. */
    String format(String pattern) {
        if (n == 0) {
            return "-";
        }
        String m = String.format(Locale.ROOT, pattern, median);
        return n == 1 || min == max ? m : m + " (" + String.format(Locale.ROOT, pattern, min) + "-"
                + String.format(Locale.ROOT, pattern, max) + ")";
    }
}
