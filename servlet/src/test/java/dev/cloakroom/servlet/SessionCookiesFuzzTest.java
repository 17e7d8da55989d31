package dev.cloakroom.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.cloakroom.CloakroomConfig;
import jakarta.servlet.http.Cookie;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.eclipse.jetty.http.ComplianceViolation;
import org.eclipse.jetty.http.CookieCompliance;
import org.eclipse.jetty.http.CookieParser;
import org.junit.jupiter.api.Tag;

/**
 * Fuzzes how the filter reads the session cookie, with and without signing keys. The oracle is written apart from
 * {@link SessionCookies}: an accepted value is an id-shaped 43-character base64url id, or that id followed by its
 * HMAC-SHA256 under one of the keys, computed here with the JDK. Nothing else may come out, nothing may be thrown, and
 * the first acceptable {@code session} cookie is never hidden by junk before it. Regression mode replays
 * {@code SessionCookiesFuzzTestInputs/}; {@code JAZZER_FUZZ=1} fuzzes (see the README's "Tests and CI").
 */
@Tag("unit")
class SessionCookiesFuzzTest {
    private static final String NAME = "session";
    private static final List<String> KEYS = List.of("fuzz-current-key-0123456789", "fuzz-previous-key-0123456789");
    private static final String UNKNOWN_KEY = "fuzz-key-nobody-configured-0123";
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{43}");

    private final SessionCookies unsigned = new SessionCookies(CloakroomConfig.builder().build());
    private final SessionCookies signed = new SessionCookies(CloakroomConfig.builder().signingKeys(KEYS).build());

    /**
     * The first byte's low bit turns signing on; the rest is a {@code Cookie} header, one byte per character. It is
     * read twice: parsed as Jetty parses it, and split naively on {@code ;} and {@code =}, as a lax container could.
     */
    @FuzzTest(maxDuration = "5m")
    void readWhenAnyCookieHeaderThenOnlyAnIdOrAVerifiedSignedIdComesOut(byte[] input) {
        boolean signing = input.length > 0 && (input[0] & 1) == 1;
        String header = input.length == 0 ? "" : new String(input, 1, input.length - 1, StandardCharsets.ISO_8859_1);

        assertReadAsOracleSays(signing, parsedByJetty(header));
        assertReadAsOracleSays(signing, splitNaively(header));
    }

    /**
     * A value the signer made (the id from the first 32 bytes, the key chosen by the 33rd: current, previous or one the
     * filter does not know), then edited by the remaining byte pairs (position, new character; 0 deletes): accepted
     * exactly when it is unchanged and its key is configured.
     */
    @FuzzTest(maxDuration = "5m")
    void readWhenSignedValueEditedThenAcceptedOnlyUnchangedUnderAConfiguredKey(byte[] input) {
        String id = Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(input, 32));
        int keyChoice = input.length > 32 ? (input[32] & 0xff) % 3 : 0;
        String original = id + "." + signature(keyChoice < 2 ? KEYS.get(keyChoice) : UNKNOWN_KEY, id);
        StringBuilder edited = new StringBuilder(original);
        for (int i = 33; i + 1 < input.length; i += 2) {
            int at = (input[i] & 0xff) % (edited.length() + 1);
            char c = (char) (input[i + 1] & 0xff);
            if (c == 0 && at < edited.length()) {
                edited.deleteCharAt(at);
            } else if (at == edited.length()) {
                edited.append(c);
            } else {
                edited.setCharAt(at, c);
            }
        }
        String value = edited.toString();

        SessionCookies.Presented presented = signed.read(new Cookie[] {new Cookie(NAME, value)});

        assertThat(presented.present()).isTrue();
        if (value.equals(original) && keyChoice < 2) {
            assertThat(presented.rawId()).isEqualTo(id);
            assertThat(presented.oldKey()).isEqualTo(keyChoice == 1);
        } else {
            assertThat(presented.rawId()).as("value %s", value).isNull();
        }
    }

    private void assertReadAsOracleSays(boolean signing, Cookie[] cookies) {
        SessionCookies.Presented presented = (signing ? signed : unsigned).read(cookies);

        List<String> values = cookies == null ? List.of()
                : Arrays.stream(cookies).filter(c -> NAME.equals(c.getName())).map(Cookie::getValue).toList();
        assertThat(presented.present()).as("present").isEqualTo(!values.isEmpty());
        Accepted expected = values.stream().map(v -> accepted(signing, v)).filter(Objects::nonNull).findFirst().orElse(null);
        assertThat(presented.rawId()).as("raw id from %s", values).isEqualTo(expected == null ? null : expected.id());
        if (presented.rawId() != null) {
            assertThat(presented.rawId()).matches(ID);
            assertThat(presented.oldKey()).isEqualTo(expected.oldKey());
        }
    }

    private record Accepted(String id, boolean oldKey) { }

    /** What a correct reader accepts of one cookie value, or null. */
    private static Accepted accepted(boolean signing, String value) {
        if (value == null) {
            return null;
        }
        if (!signing) {
            return ID.matcher(value).matches() ? new Accepted(value, false) : null;
        }
        int dot = value.indexOf('.');
        String id = dot < 0 ? value : value.substring(0, dot);
        if (!ID.matcher(id).matches()) {
            return null;
        }
        for (int i = 0; i < KEYS.size(); i++) {
            if (value.equals(id + "." + signature(KEYS.get(i), id))) {
                return new Accepted(id, i > 0);
            }
        }
        return null;
    }

    private static String signature(String key, String id) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(id.getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    /** The header as Jetty 12 parses it by default (RFC 6265); null when no cookie came out, as a request has none. */
    private static Cookie[] parsedByJetty(String header) {
        List<Cookie> cookies = new ArrayList<>();
        CookieParser parser = CookieParser.newParser((name, value, version, domain, path, comment) -> add(cookies, name, value),
                CookieCompliance.RFC6265, ComplianceViolation.Listener.NOOP);
        try {
            parser.parseField(header);
        } catch (CookieParser.InvalidCookieException e) {
            return null;
        }
        return cookies.isEmpty() ? null : cookies.toArray(Cookie[]::new);
    }

    private static Cookie[] splitNaively(String header) {
        List<Cookie> cookies = new ArrayList<>();
        for (String pair : header.split(";", -1)) {
            int eq = pair.indexOf('=');
            add(cookies, (eq < 0 ? pair : pair.substring(0, eq)).trim(), eq < 0 ? "" : pair.substring(eq + 1));
        }
        return cookies.isEmpty() ? null : cookies.toArray(Cookie[]::new);
    }

    /** The Servlet API refuses a cookie whose name is not a token; a container drops that cookie and keeps the rest. */
    private static void add(List<Cookie> cookies, String name, String value) {
        try {
            cookies.add(new Cookie(name, value));
        } catch (IllegalArgumentException e) {
            // not a cookie the application could ever see
        }
    }
}
