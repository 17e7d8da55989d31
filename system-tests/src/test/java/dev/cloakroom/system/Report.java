package dev.cloakroom.system;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One scenario's findings, as JSON lines in {@code target/reliability/<file>.jsonl}, from which
 * {@link ReliabilityReport} writes {@code docs/reliability.md}. A scenario records an entry only after its assertions
 * passed, so each entry is something that held; {@link #open} empties the file, so the file shows only the last run.
 */
final class Report {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final String scenario;

    private Report(Path file, String scenario) {
        this.file = file;
        this.scenario = scenario;
    }

    /** Where the JSON lines go: {@code reliability.dir}, as the build sets it. */
    static Path dir() {
        return Path.of(System.getProperty("reliability.dir", "target/reliability"));
    }

    /**
     * Starts the findings of {@code scenario} (its heading in the report) afresh in {@code <file>.jsonl}; the file
     * name also orders the scenarios in the report.
     */
    static Report open(String file, String scenario) {
        try {
            Files.createDirectories(dir());
            Path path = dir().resolve(file + ".jsonl");
            Files.deleteIfExists(path);
            return new Report(path, scenario);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Records that on {@code store}, {@code tried} was done {@code count} times and {@code held} held, with figures
     * such as latencies or counts (names to numbers or short texts, in the order given).
     */
    synchronized void record(Store store, String tried, long count, String held, Map<String, ?> figures) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("scenario", scenario);
        line.put("store", store.label());
        line.put("tried", tried);
        line.put("count", count);
        line.put("held", held);
        line.put("figures", figures);
        line.put("mode", Mode.name());
        line.put("at", Instant.now().toString());
        try {
            Files.writeString(file, JSON.writeValueAsString(line) + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@link #record(Store, String, long, String, Map)} without figures. */
    void record(Store store, String tried, long count, String held) {
        record(store, tried, count, held, Map.of());
    }
}
