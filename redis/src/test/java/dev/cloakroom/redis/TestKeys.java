package dev.cloakroom.redis;

import dev.cloakroom.SessionKey;
import io.lettuce.core.cluster.SlotHash;
import java.security.SecureRandom;
import java.util.HexFormat;

/** Session keys for tests that care where a key lands: its index shard (hash tag) and its cluster slot. */
final class TestKeys {
    private static final SecureRandom RANDOM = new SecureRandom();

    private TestKeys() {
    }

    static SessionKey random() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return new SessionKey("v1" + HexFormat.of().formatHex(bytes));
    }

    /** A random key in the index shard {@code tag} (two hex digits). */
    static SessionKey withTag(String tag) {
        return new SessionKey("v1" + tag + random().value().substring(4));
    }

    static String tag(SessionKey key) {
        return key.value().substring(2, 4);
    }

    /** A random key whose hash lands on another cluster slot than {@code key}'s. */
    static SessionKey onAnotherSlot(KeyLayout layout, SessionKey key) {
        while (true) {
            SessionKey other = random();
            if (slot(layout, other) != slot(layout, key)) {
                return other;
            }
        }
    }

    static int slot(KeyLayout layout, SessionKey key) {
        return SlotHash.getSlot(layout.sessionKey(key));
    }
}
