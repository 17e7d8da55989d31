package dev.cloakroom;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The only name a store ever sees for a session: a versioned SHA-256 digest of the raw id ({@code v1} followed by
 * 64 lowercase hex digits). A store that leaks its keys leaks nothing a client could present as a cookie.
 *
 * <p>{@link #toString()} shows a short prefix of the digest and is safe to log.
 */
public record SessionKey(String value) {
    private static final Pattern FORMAT = Pattern.compile("v1[0-9a-f]{64}");

    /** @throws IllegalArgumentException if {@code value} is not a {@code v1} key */
    public SessionKey {
        Objects.requireNonNull(value, "value");
        if (!FORMAT.matcher(value).matches()) {
            throw new IllegalArgumentException("not a session key: " + abbreviate(value));
        }
    }

    /** Derives the key of a raw session id. */
    public static SessionKey of(String rawId) {
        Objects.requireNonNull(rawId, "rawId");
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(rawId.getBytes(StandardCharsets.US_ASCII));
            return new SessionKey("v1" + HexFormat.of().formatHex(digest));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    /** Tells whether {@code value} has the form of a key, e.g. a file name or row read back from a store. */
    public static boolean isKey(String value) {
        return value != null && FORMAT.matcher(value).matches();
    }

    @Override
    public String toString() {
        return "SessionKey[" + value.substring(0, 10) + "…]";
    }

    private static String abbreviate(String value) {
        return value.length() <= 12 ? "'" + value + "'" : "'" + value.substring(0, 12) + "…' (" + value.length() + " chars)";
    }
}
