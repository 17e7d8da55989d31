package dev.cloakroom.bench.load;

import dev.cloakroom.bench.Pages;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/** The four pages as the clients call them, and what each must answer. */
public enum Workload {
    /** The baseline: a page that never uses the session (the cookie is sent all the same, as browsers do). */
    NONE("GET", Pages.NONE, "no session"),
    /** A read-only request on an existing session. */
    READ("GET", Pages.READ, "read-only"),
    /** A changing request: one counter, incremented. */
    INCREMENT("POST", Pages.INCREMENT, "increment"),
    /** A changing request: the upload of a few KB of lines, kept in the session. */
    UPLOAD("POST", Pages.UPLOAD, "upload 4 KB");

    /**
     * The upload: 64 lines of 63 characters and a newline, 4 KiB, of hex digits that no store's compression
     * shrinks much (text of repeated lines would shrink to almost nothing in PostgreSQL and flatter its figures).
     */
    static final int UPLOAD_LINES = 64;
    private static final String UPLOAD_BODY = IntStream.range(0, UPLOAD_LINES)
            .mapToObj(i -> String.format("%03d ", i) + hex(i).substring(0, 59))
            .collect(Collectors.joining("\n", "", "\n"));

    private final String method;
    private final String path;
    private final String label;

    Workload(String method, String path, String label) {
        this.method = method;
        this.path = path;
        this.label = label;
    }

    private static String hex(int line) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(sha.digest(("line " + line).getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    String method() {
        return method;
    }

    String path() {
        return path;
    }

    public String label() {
        return label;
    }

    String body() {
        return this == UPLOAD ? UPLOAD_BODY : null;
    }

    public boolean changes() {
        return this == INCREMENT || this == UPLOAD;
    }

    /**
     * What this page must answer to a client whose session counter stood at {@code count} before the request (and
     * which has uploaded once already): the expected body.
     */
    String expected(int count) {
        return switch (this) {
            case NONE -> "none";
            case READ -> count + " " + UPLOAD_LINES;
            case INCREMENT -> Integer.toString(count + 1);
            case UPLOAD -> Integer.toString(UPLOAD_LINES);
        };
    }
}
