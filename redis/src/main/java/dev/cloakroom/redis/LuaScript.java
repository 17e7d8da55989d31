package dev.cloakroom.redis;

import dev.cloakroom.spi.SessionWrite;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * One Lua script, run with {@code EVALSHA} and sent in full with {@code EVAL} only when the server does not know it
 * yet ({@code NOSCRIPT}: after a restart, a failover, or on a cluster node that joined later). Every script touches
 * keys of one cluster slot only, all of them passed in {@code KEYS}.
 */
final class LuaScript {

    /**
     * Applies a {@code SessionWrite}. KEYS: session hash, and the index shard in listener mode. ARGV: create flag,
     * expected version (-1 = any), now, created, last accessed, max inactive, expires (ms), TTL (ms), index member,
     * number of upserts, then field/value pairs, then the fields to delete. Returns 0 written, 1 conflict, 2 gone.
     */
    static final LuaScript WRITE = new LuaScript("""
            local key = KEYS[1]
            local version
            if ARGV[1] == '1' then
              if redis.call('EXISTS', key) == 1 then return 1 end
              redis.call('HSET', key, 'c', ARGV[4])
              version = 1
            else
              local kind = redis.call('TYPE', key)['ok']
              if kind == 'none' then return 2 end
              local stored = kind == 'hash' and redis.call('HMGET', key, 'e', 'v') or {}
              local expires, current = tonumber(stored[1]), tonumber(stored[2])
              if not expires or not current then
                -- not a record (garbled or foreign data): removed, never written into
                redis.call('DEL', key)
                if KEYS[2] then redis.call('ZREM', KEYS[2], ARGV[9]) end
                return 2
              end
              if expires <= tonumber(ARGV[3]) then return 2 end
              local expected = tonumber(ARGV[2])
              if expected >= 0 and expected ~= current then return 1 end
              version = current + 1
            end
            redis.call('HSET', key, 'l', ARGV[5], 'm', ARGV[6], 'e', ARGV[7], 'v', string.format('%d', version))
            local upserts = tonumber(ARGV[10])
            for i = 11, 10 + 2 * upserts, 2 do
              redis.call('HSET', key, ARGV[i], ARGV[i + 1])
            end
            for i = 11 + 2 * upserts, #ARGV do
              redis.call('HDEL', key, ARGV[i])
            end
            redis.call('PEXPIRE', key, ARGV[8])
            if KEYS[2] then
              redis.call('ZADD', KEYS[2], ARGV[7], ARGV[9])
              if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[8]) then redis.call('PEXPIRE', KEYS[2], ARGV[8]) end
            end
            return 0
            """);

    /** Deletes a session and its index entry. KEYS: hash, index shard. ARGV: member. Returns how many hashes went. */
    static final LuaScript DELETE = new LuaScript("""
            local deleted = redis.call('DEL', KEYS[1])
            redis.call('ZREM', KEYS[2], ARGV[1])
            return deleted
            """);

    /**
     * Deletes the sessions among KEYS[2..] that expired at ARGV[1] and returns them as {member, field, value, …}
     * lists; re-indexes one that was written again meanwhile; forgets index entries whose hash is gone. KEYS[1] is
     * the index shard, ARGV[2..] the members matching KEYS[2..].
     */
    static final LuaScript SWEEP = new LuaScript("""
            local now = tonumber(ARGV[1])
            local swept = {}
            for i = 2, #KEYS do
              local key, member = KEYS[i], ARGV[i]
              local kind = redis.call('TYPE', key)['ok']
              if kind ~= 'hash' then
                if kind ~= 'none' then redis.call('DEL', key) end
                redis.call('ZREM', KEYS[1], member)
              else
                local expires = tonumber(redis.call('HGET', key, 'e'))
                if expires and expires > now then
                  redis.call('ZADD', KEYS[1], expires, member)
                else
                  local entry = redis.call('HGETALL', key)
                  table.insert(entry, 1, member)
                  swept[#swept + 1] = entry
                  redis.call('DEL', key)
                  redis.call('ZREM', KEYS[1], member)
                end
              end
            end
            return swept
            """);

    /** Releases the sweep lock only if this process still holds it. KEYS: lock. ARGV: token. */
    static final LuaScript RELEASE = new LuaScript("""
            if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
            return 0
            """);

    private final String text;
    private final String sha;

    private LuaScript(String text) {
        this.text = text;
        this.sha = sha1(text);
    }

    String text() {
        return text;
    }

    <T> T run(RedisClusterCommands<String, String> commands, ScriptOutputType type, String[] keys, String... args) {
        try {
            return commands.evalsha(sha, type, keys, args);
        } catch (RedisNoScriptException e) {
            return commands.eval(text, type, keys, args);
        }
    }

    private static String sha1(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-1", e);
        }
    }
}
