package dev.cloakroom.redis;

import dev.cloakroom.SessionKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Where things live in Redis. A session's hash is {@code <prefix>{ab}v1ab…}: the braces hold a hash tag of two hex
 * digits of the key, so the hash and its shard of the expiry index ({@code <prefix>{ab}:expiries}) share one cluster
 * slot and every script touches one slot only. 256 shards spread the sessions over the cluster.
 */
final class KeyLayout {
    /** Longest prefix accepted: keys stay short, and a mistaken setting (a whole URL, say) is caught. */
    static final int MAX_PREFIX_LENGTH = 128;
    static final int SHARDS = 256;

    private final String prefix;

    KeyLayout(String prefix) {
        Objects.requireNonNull(prefix, "keyPrefix");
        if (prefix.length() > MAX_PREFIX_LENGTH) {
            throw new IllegalArgumentException("keyPrefix must have at most " + MAX_PREFIX_LENGTH + " characters: '"
                    + prefix.substring(0, 20) + "…' (" + prefix.length() + ")");
        }
        // A brace in the prefix would become the hash tag and put every session in one cluster slot.
        if (prefix.indexOf('{') >= 0 || prefix.indexOf('}') >= 0 || prefix.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("keyPrefix must not contain braces or whitespace: '" + prefix + "'");
        }
        this.prefix = prefix;
    }

    String prefix() {
        return prefix;
    }

    String sessionKey(SessionKey key) {
        return prefix + '{' + shardOf(key) + '}' + key.value();
    }

    String indexKey(SessionKey key) {
        return indexKey(shardOf(key));
    }

    /** The index shard (and hash tag) of a key. */
    String shardOf(SessionKey key) {
        return key.value().substring(2, 4);
    }

    String indexKey(String shard) {
        return prefix + '{' + shard + "}:expiries";
    }

    /** The session key of a member of a shard's index (members are {@link SessionKey#value()}s). */
    String sessionKeyOfMember(String member) {
        return sessionKey(new SessionKey(member));
    }

    String lockKey() {
        return prefix + "sweep-lock";
    }

    static List<String> shards() {
        List<String> shards = new ArrayList<>(SHARDS);
        for (int i = 0; i < SHARDS; i++) {
            shards.add(String.format("%02x", i));
        }
        return shards;
    }
}
