package dev.cloakroom;

import java.security.SecureRandom;
import java.util.Base64;

/** Issues and checks raw session ids: 32 random bytes, base64url without padding (43 characters). */
final class SessionIds {
    static final int LENGTH = 43;
    private static final int RANDOM_BYTES = 32;
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

    private final SecureRandom random = new SecureRandom();

    String next() {
        byte[] bytes = new byte[RANDOM_BYTES];
        random.nextBytes(bytes);
        return ENCODER.encodeToString(bytes);
    }

    /**
     * Syntax check done before any store I/O. The last character must be one that 32 bytes can end with
     * (its low two bits are zero), so that exactly one spelling exists for each id.
     */
    static boolean isWellFormed(String candidate) {
        if (candidate == null || candidate.length() != LENGTH) {
            return false;
        }
        for (int i = 0; i < LENGTH; i++) {
            if (base64UrlValue(candidate.charAt(i)) < 0) {
                return false;
            }
        }
        return (base64UrlValue(candidate.charAt(LENGTH - 1)) & 0b11) == 0;
    }

    private static int base64UrlValue(char c) {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '-') return 62;
        if (c == '_') return 63;
        return -1;
    }
}
