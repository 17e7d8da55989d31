package dev.cloakroom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class SessionKeyTest {

    // Proves docs/persistence.md#raw-id
    @Test
    void keyIsVersionedSha256OfTheRawId() throws Exception {
        String id = new SessionIds().next();
        String expected = "v1" + HexFormat.of().formatHex(
                MessageDigest.getInstance("SHA-256").digest(id.getBytes(StandardCharsets.US_ASCII)));

        assertThat(SessionKey.of(id).value()).isEqualTo(expected).doesNotContain(id);
    }

    @Test
    void toStringShowsOnlyAShortPrefixOfTheDigest() {
        String id = new SessionIds().next();
        SessionKey key = SessionKey.of(id);

        assertThat(key.toString()).doesNotContain(id).doesNotContain(key.value()).contains(key.value().substring(0, 10));
    }

    @Test
    void constructorWhenNotAKeyThenRejectedWithoutEchoingLongInput() {
        assertThatThrownBy(() -> new SessionKey("../../etc/passwd")).isInstanceOf(IllegalArgumentException.class);
        String raw = new SessionIds().next();
        assertThatThrownBy(() -> new SessionKey(raw)).isInstanceOf(IllegalArgumentException.class)
                .message().doesNotContain(raw);
        assertThat(SessionKey.isKey("v1" + "A".repeat(64))).isFalse();
    }
}
