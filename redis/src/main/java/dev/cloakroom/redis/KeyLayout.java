package dev.cloakroom.redis;

import dev.cloakroom.SessionKey;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Where things live in Redis. A session's hash is {@code <prefix>{ab}v1ab…}: the braces hold a hash tag of two hex
 * digits of the key, so the hash and its shard of the expiry index ({@code <prefix>{ab}:expiries}) share one cluster
 * slot and every script touches one slot only. 256 shards spread the sessions over the cluster. The principal index is
 * sharded the same way: {@code <prefix>{ab}:principal:<SHA-1 of the name>} holds the principal's sessions of shard
 * {@code ab}, so a script updates it in the same step as the session, and a user's sessions are the union of at most
 * 256 such sets.
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

    /** What the name of a principal index shard of {@code key}'s shard begins with; the scripts append the digest. */
    String principalIndexPrefix(SessionKey key) {
        return principalIndexPrefix(shardOf(key));
    }

    String principalIndexPrefix(String shard) {
        return prefix + '{' + shard + "}:principal:";
    }

    /** The principal index shard of {@code principal} in {@code shard}, named as the scripts name it. */
    String principalIndexKey(String shard, String principal) {
        return principalIndexPrefix(shard) + sha1Hex(principal);
    }

    /** What {@code redis.sha1hex} answers for the principal's UTF-8 bytes. */
    static String sha1Hex(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-1", e);
        }
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
