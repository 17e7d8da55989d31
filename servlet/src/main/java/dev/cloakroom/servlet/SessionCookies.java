package dev.cloakroom.servlet;

import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.Session;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletRequest;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Reads the session id from the request's cookie, decides when a live session's cookie is sent, and spells the
 * {@code Set-Cookie} header, signing the value with HMAC-SHA256 when {@link CloakroomConfig#signingKeys()} is not
 * empty. The header is written by hand because containers disagree about {@code SameSite} in their cookie APIs.
 */
final class SessionCookies {
    private static final String HMAC = "HmacSHA256";
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();
    /** Longer values are not even looked at: an unsigned id has 43 characters, a signed one 87. */
    private static final int MAX_VALUE_LENGTH = 128;
    /** Length of a raw id (32 bytes in unpadded base64url). */
    private static final int ID_LENGTH = 43;
    private static final String EXPIRED = "Thu, 01 Jan 1970 00:00:00 GMT";

    private final CloakroomConfig config;
    private final List<SecretKeySpec> keys;

    SessionCookies(CloakroomConfig config) {
        this.config = config;
        List<SecretKeySpec> specs = new ArrayList<>();
        for (String key : config.signingKeys()) {
            specs.add(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), HMAC));
        }
        this.keys = List.copyOf(specs);
    }

    /** What the browser presented: its raw id if the value is acceptable, and whether it was signed with an old key. */
    record Presented(boolean present, String rawId, boolean oldKey) {
        static final Presented NONE = new Presented(false, null, false);

        /** Without the id: a record's own {@code toString} would print the bearer credential into any log. */
        @Override
        public String toString() {
            return "Presented[present=" + present + ", id " + (rawId == null ? "none" : "accepted") + ", oldKey=" + oldKey + "]";
        }
    }

    /**
     * The browser's session id: the first cookie with the configured name whose value is acceptable (signature
     * verified when signing is on, id-shaped otherwise), so that a junk cookie planted for a parent domain does not
     * hide the real one. A value that is neither is never passed on, not even to
     * {@code getRequestedSessionId()}. The exact id syntax is checked by the manager, still before any store I/O.
     */
    Presented read(HttpServletRequest request) {
        return read(request.getCookies());
    }

    /** {@link #read(HttpServletRequest)} on the cookies the container parsed; {@code null} when there were none. */
    Presented read(Cookie[] cookies) {
        if (cookies == null) {
            return Presented.NONE;
        }
        Presented found = Presented.NONE;
        for (Cookie cookie : cookies) {
            if (config.cookieName().equals(cookie.getName())) {
                Presented candidate = verify(cookie.getValue());
                if (candidate.rawId() != null) {
                    return candidate;
                }
                found = candidate;
            }
        }
        return found;
    }

    private static boolean looksLikeId(String value) {
        if (value.length() != ID_LENGTH) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
                return false;
            }
        }
        return true;
    }

    private Presented verify(String value) {
        if (value == null || value.isEmpty() || value.length() > MAX_VALUE_LENGTH) {
            return new Presented(true, null, false);
        }
        if (keys.isEmpty()) {
            return new Presented(true, looksLikeId(value) ? value : null, false);
        }
        int dot = value.lastIndexOf('.');
        if (dot < 1) {
            return new Presented(true, null, false);
        }
        String id = value.substring(0, dot);
        if (!looksLikeId(id)) {
            return new Presented(true, null, false);
        }
        byte[] presented = value.substring(dot + 1).getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < keys.size(); i++) {
            // Compare the encoded forms in constant time: no decoding step that could fail early on bad input.
            byte[] expected = signature(keys.get(i), id).getBytes(StandardCharsets.US_ASCII);
            if (MessageDigest.isEqual(expected, presented)) {
                return new Presented(true, id, i > 0);
            }
        }
        return new Presented(true, null, false);
    }

    /**
     * Whether a response must send the cookie of a session the store holds under its id: when the browser does not
     * hold that id yet, and for a permanent cookie ({@link CloakroomConfig#permanent()}) whenever the session was
     * saved, so that its {@code Max-Age} follows the deadline the write moved. A browser-session cookie has no
     * {@code Max-Age} to slide.
     */
    boolean mustSend(boolean browserHoldsId, boolean saved) {
        return !browserHoldsId || (saved && config.permanent());
    }

    /**
     * The {@code Set-Cookie} value that gives the browser this session's id: with {@code Max-Age} the seconds until
     * the session expires when permanent, never more than its idle timeout; a browser-session cookie otherwise.
     */
    String set(Session session, boolean secure) {
        // Both instants come from the manager's clock; the cookie never outlives the idle timeout.
        long maxAge = config.permanent()
                ? Math.max(0, Math.min(session.maxInactiveInterval().toSeconds(),
                        Duration.between(session.lastAccessedAt(), session.expiresAt()).toSeconds()))
                : -1;
        return set(session.id(), maxAge, secure);
    }

    /** {@code maxAgeSeconds < 0} for a browser-session cookie. */
    private String set(String rawId, long maxAgeSeconds, boolean secure) {
        String value = keys.isEmpty() ? rawId : rawId + "." + signature(keys.get(0), rawId);
        StringBuilder header = new StringBuilder(160).append(config.cookieName()).append('=').append(value).append("; Path=/");
        if (maxAgeSeconds >= 0) {
            header.append("; Max-Age=").append(maxAgeSeconds);
        }
        return attributes(header, secure);
    }

    /** The {@code Set-Cookie} value that removes the cookie. */
    String clear(boolean secure) {
        StringBuilder header = new StringBuilder(128).append(config.cookieName()).append("=; Path=/; Max-Age=0; Expires=").append(EXPIRED);
        return attributes(header, secure);
    }

    private String attributes(StringBuilder header, boolean secure) {
        header.append("; HttpOnly");
        if (secure) {
            header.append("; Secure");
        }
        return header.append("; SameSite=").append(config.sameSite().attributeValue()).toString();
    }

    /** Whether the cookie gets {@code Secure} on this request. */
    boolean secure(HttpServletRequest request) {
        switch (config.cookieSecure()) {
            case ALWAYS:
                return true;
            case NEVER:
                return false;
            default:
                if (request.isSecure()) {
                    return true;
                }
                if (!config.trustForwardedProto()) {
                    return false;
                }
                String proto = request.getHeader("X-Forwarded-Proto");
                if (proto == null) {
                    return false;
                }
                int comma = proto.indexOf(',');
                // The first entry is what the client used with the outermost proxy.
                String first = (comma < 0 ? proto : proto.substring(0, comma)).trim();
                return first.toLowerCase(Locale.ROOT).equals("https");
        }
    }

    private static String signature(SecretKeySpec key, String id) {
        try {
            Mac mac = Mac.getInstance(HMAC);
            mac.init(key);
            return BASE64URL.encodeToString(mac.doFinal(id.getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("every Java platform has HmacSHA256", e);
        }
    }
}
