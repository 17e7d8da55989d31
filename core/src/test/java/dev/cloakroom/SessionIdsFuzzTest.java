package dev.cloakroom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.cloakroom.memory.MemorySessionStore;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInstance;

/**
 * Fuzzes the id checks made before any store I/O: the raw id a browser presents, and the key a store reads back. The
 * oracles are independent of the code under test (the JDK's base64url decoder, a regular expression). Regression mode
 * replays {@code SessionIdsFuzzTestInputs/}; {@code JAZZER_FUZZ=1} fuzzes (see the README's "Tests and CI").
 */
@Tag("unit")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SessionIdsFuzzTest {
    private static final Pattern KEY = Pattern.compile("v1[0-9a-f]{64}");

    private final SessionManagerTest.CountingStore store = new SessionManagerTest.CountingStore(new MemorySessionStore());
    private final SessionManager manager = SessionManager.builder(store).sweeping(false).build();

    @AfterAll
    void close() {
        manager.close();
    }

    @FuzzTest(maxDuration = "5m")
    void findWhenAnyPresentedIdThenOnlyTheCanonicalSpellingOf32BytesReachesTheStore(byte[] input) {
        String presented = new String(input, StandardCharsets.UTF_8);
        boolean canonical = isCanonicalId(presented);
        assertThat(SessionIds.isWellFormed(presented)).as("well-formed").isEqualTo(canonical);

        store.calls.set(0);
        assertThat(manager.find(presented)).as("nothing is stored, so nothing is found").isEmpty();
        assertThat(store.calls.get()).as("store calls").isEqualTo(canonical ? 1 : 0);
        if (canonical) {
            assertThat(SessionKey.of(presented).value()).matches(KEY).doesNotContain(presented);
        }
    }

    @FuzzTest(maxDuration = "5m")
    void keyWhenAnyStoredNameThenAcceptedOnlyInItsOneFormElseIllegalArgument(byte[] input) {
        String name = new String(input, StandardCharsets.UTF_8);
        boolean valid = KEY.matcher(name).matches();
        assertThat(SessionKey.isKey(name)).isEqualTo(valid);
        if (valid) {
            assertThat(new SessionKey(name).value()).isEqualTo(name);
        } else {
            assertThatThrownBy(() -> new SessionKey(name)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    /** 43 characters that the JDK decodes to 32 bytes and re-encodes to the same text: the only spelling of an id. */
    private static boolean isCanonicalId(String text) {
        if (text.length() != SessionIds.LENGTH) {
            return false;
        }
        try {
            byte[] bytes = Base64.getUrlDecoder().decode(text);
            return bytes.length == 32 && Base64.getUrlEncoder().withoutPadding().encodeToString(bytes).equals(text);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
