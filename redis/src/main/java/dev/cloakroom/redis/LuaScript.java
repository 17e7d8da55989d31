package dev.cloakroom.redis;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * One Lua script, run with {@code EVALSHA} and sent in full with {@code EVAL} only when the server does not know it
 * yet ({@code NOSCRIPT}: after a restart, a failover, or on a cluster node that joined later). Every script touches
 * keys of one cluster slot only. All of them are passed in {@code KEYS} but the principal index shards
 * ({@link KeyLayout#principalIndexKey}): their name holds a digest of the principal stored in the record, which only the
 * script sees, so the script builds it ({@code redis.sha1hex}) from the prefix it is given. That prefix carries the
 * record's own hash tag, so the key is in the record's slot, which Redis allows a script without flags to touch.
 */
final class LuaScript {

    /**
     * Applies a {@code SessionWrite}. KEYS: session hash, and the index shard in listener mode. ARGV: create flag,
     * version (a create's first version; else the expected one, -1 = any), now, created, last accessed, max inactive,
     * expires (ms), TTL (ms), index member, size cap (bytes, -1 = none), principal flag (1 = set it, 0 = keep the
     * stored one), the principal ('' = none), the shard's principal index prefix, number of upserts, then field/value
     * pairs, then the fields to delete. Returns 0 written, 1 conflict, 2 gone, 3 too large.
     *
     * <p>The size of the attributes ({@code #name + #value} over the {@code a:} fields: Lua's {@code #} counts bytes,
     * the rule of {@code SessionRecord.sizeInBytes}) is kept in field {@code s}, so that checking the cap on the merged
     * record reads only the fields this write changes; a record written before {@code s} existed is measured whole once.
     * A record marked by a move to another cluster slot ({@code mx}: the mover's lease) answers gone while the lease
     * runs, as if the move had happened; after it, the mark of the mover that never finished is dropped.
     */
    static final LuaScript WRITE = new LuaScript("""
            local key = KEYS[1]
            local now = tonumber(ARGV[3])
            local first, last = 15, 14 + 2 * tonumber(ARGV[14])
            local version, size, principal
            local staleMark = false
            if ARGV[1] == '1' then
              if redis.call('EXISTS', key) == 1 then return 1 end
              version = tonumber(ARGV[2])
              size = 0
            else
              local kind = redis.call('TYPE', key)['ok']
              if kind == 'none' then return 2 end
              local stored = kind == 'hash' and redis.call('HMGET', key, 'e', 'v', 'mx', 's', 'p') or {}
              local expires, current = tonumber(stored[1]), tonumber(stored[2])
              if not expires or not current then
                -- not a record (garbled or foreign data): removed, never written into
                redis.call('DEL', key)
                if KEYS[2] then redis.call('ZREM', KEYS[2], ARGV[9]) end
                return 2
              end
              if expires <= now then return 2 end
              if stored[3] then
                if tonumber(stored[3]) > now then return 2 end
                staleMark = true
              end
              local expected = tonumber(ARGV[2])
              if expected >= 0 and expected ~= current then return 1 end
              version = current + 1
              principal = stored[5]
              size = tonumber(stored[4])
              if not size then
                size = 0
                local fields = redis.call('HGETALL', key)
                for i = 1, #fields, 2 do
                  if string.sub(fields[i], 1, 2) == 'a:' then size = size + #fields[i] - 2 + #fields[i + 1] end
                end
              end
              local names = {}
              for i = first, last, 2 do names[#names + 1] = ARGV[i] end
              for i = last + 1, #ARGV do names[#names + 1] = ARGV[i] end
              -- in slices: unpack() of thousands of arguments would overflow Lua's stack
              for from = 1, #names, 1000 do
                local slice = {unpack(names, from, math.min(from + 999, #names))}
                local old = redis.call('HMGET', key, unpack(slice))
                for i = 1, #slice do
                  if old[i] then size = size - (#slice[i] - 2) - #old[i] end
                end
              end
            end
            for i = first, last, 2 do size = size + #ARGV[i] - 2 + #ARGV[i + 1] end
            local cap = tonumber(ARGV[10])
            if cap >= 0 and size > cap then return 3 end
            if ARGV[1] == '1' then redis.call('HSET', key, 'c', ARGV[4]) end
            if staleMark then redis.call('HDEL', key, 'mv', 'mx') end
            redis.call('HSET', key, 'l', ARGV[5], 'm', ARGV[6], 'e', ARGV[7], 'v', string.format('%d', version),
              's', string.format('%d', size))
            for i = first, last, 2 do
              redis.call('HSET', key, ARGV[i], ARGV[i + 1])
            end
            for i = last + 1, #ARGV do
              redis.call('HDEL', key, ARGV[i])
            end
            redis.call('PEXPIRE', key, ARGV[8])
            if KEYS[2] then
              redis.call('ZADD', KEYS[2], ARGV[7], ARGV[9])
              if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[8]) then redis.call('PEXPIRE', KEYS[2], ARGV[8]) end
            end
            local after = principal
            if ARGV[11] == '1' then
              after = ARGV[12] ~= '' and ARGV[12] or nil
              if after then redis.call('HSET', key, 'p', after) elseif principal then redis.call('HDEL', key, 'p') end
            end
            if principal and principal ~= after then
              redis.call('ZREM', ARGV[13] .. redis.sha1hex(principal), ARGV[9])
            end
            if after then
              local index = ARGV[13] .. redis.sha1hex(after)
              redis.call('ZREMRANGEBYSCORE', index, '-inf', ARGV[3])
              redis.call('ZADD', index, ARGV[7], ARGV[9])
              if redis.call('PTTL', index) < tonumber(ARGV[8]) then redis.call('PEXPIRE', index, ARGV[8]) end
            end
            return 0
            """);

    /**
     * Moves a record to a key of the same slot in one step: the old record merged with the move's deltas, created under
     * the new key with the version after the old one, the old key deleted, the index entry moved. KEYS: old hash, new
     * hash, and in listener mode the old and the new index shard. ARGV: now, last accessed, max inactive, expires (ms),
     * TTL (ms), old member, new member, size cap (-1 = none), principal flag and principal (as for {@link #WRITE}), the
     * old and the new shard's principal index prefix, number of upserts, field/value pairs, fields to delete.
     * Returns 0 moved, 1 new key taken, 2 old record gone (absent, expired, not a record, or being moved), 3 too large.
     */
    static final LuaScript MOVE = new LuaScript("""
            local old, new = KEYS[1], KEYS[2]
            local now = tonumber(ARGV[1])
            if redis.call('TYPE', old)['ok'] ~= 'hash' then return 2 end
            local meta = redis.call('HMGET', old, 'c', 'e', 'v', 'mx', 'p')
            local expires, version = tonumber(meta[2]), tonumber(meta[3])
            if not meta[1] or not expires or not version or expires <= now then return 2 end
            if meta[4] and tonumber(meta[4]) > now then return 2 end
            if redis.call('EXISTS', new) == 1 then return 1 end
            local attributes = {}
            local fields = redis.call('HGETALL', old)
            for i = 1, #fields, 2 do
              if string.sub(fields[i], 1, 2) == 'a:' then attributes[fields[i]] = fields[i + 1] end
            end
            local first, last = 14, 13 + 2 * tonumber(ARGV[13])
            for i = last + 1, #ARGV do attributes[ARGV[i]] = nil end
            for i = first, last, 2 do attributes[ARGV[i]] = ARGV[i + 1] end
            local size = 0
            for field, value in pairs(attributes) do size = size + #field - 2 + #value end
            local cap = tonumber(ARGV[8])
            if cap >= 0 and size > cap then return 3 end
            redis.call('HSET', new, 'c', meta[1], 'l', ARGV[2], 'm', ARGV[3], 'e', ARGV[4],
              'v', string.format('%d', version + 1), 's', string.format('%d', size))
            for field, value in pairs(attributes) do redis.call('HSET', new, field, value) end
            local principal = meta[5]
            if ARGV[9] == '1' then principal = ARGV[10] ~= '' and ARGV[10] or nil end
            if principal then redis.call('HSET', new, 'p', principal) end
            redis.call('PEXPIRE', new, ARGV[5])
            redis.call('DEL', old)
            if KEYS[3] then
              redis.call('ZREM', KEYS[3], ARGV[6])
              redis.call('ZADD', KEYS[4], ARGV[4], ARGV[7])
              if redis.call('PTTL', KEYS[4]) < tonumber(ARGV[5]) then redis.call('PEXPIRE', KEYS[4], ARGV[5]) end
            end
            if meta[5] then redis.call('ZREM', ARGV[11] .. redis.sha1hex(meta[5]), ARGV[6]) end
            if principal then
              local index = ARGV[12] .. redis.sha1hex(principal)
              redis.call('ZADD', index, ARGV[4], ARGV[7])
              if redis.call('PTTL', index) < tonumber(ARGV[5]) then redis.call('PEXPIRE', index, ARGV[5]) end
            end
            return 0
            """);

    /**
     * First step of a move across cluster slots: marks a live record as moving ({@code mv} token, {@code mx} lease
     * deadline) and returns {0, field, value, …}; {2} if the record is gone or another mover's lease runs. KEYS: hash.
     * ARGV: now, token, lease deadline (ms).
     */
    static final LuaScript MARK_MOVING = new LuaScript("""
            local key = KEYS[1]
            local now = tonumber(ARGV[1])
            if redis.call('TYPE', key)['ok'] ~= 'hash' then return {2} end
            local meta = redis.call('HMGET', key, 'c', 'e', 'v', 'mx')
            local expires = tonumber(meta[2])
            if not meta[1] or not expires or not tonumber(meta[3]) or expires <= now then return {2} end
            if meta[4] and tonumber(meta[4]) > now then return {2} end
            redis.call('HSET', key, 'mv', ARGV[2], 'mx', ARGV[3])
            local fields = redis.call('HGETALL', key)
            table.insert(fields, 1, 0)
            return fields
            """);

    /**
     * Last step of a move across slots: deletes the old record (and its index entry) only if it still carries this
     * mover's mark, with its principal index entry. KEYS: hash, and the index shard in listener mode. ARGV: token,
     * member, the shard's principal index prefix. Returns 0 deleted, 1 a record
     * without this mark lives there (the lease ran out and a write took it back), 2 nothing is there (deleted meanwhile).
     */
    static final LuaScript FINISH_MOVE = new LuaScript("""
            local kind = redis.call('TYPE', KEYS[1])['ok']
            if kind == 'none' then return 2 end
            if kind ~= 'hash' or redis.call('HGET', KEYS[1], 'mv') ~= ARGV[1] then return 1 end
            local principal = redis.call('HGET', KEYS[1], 'p')
            redis.call('DEL', KEYS[1])
            if KEYS[2] then redis.call('ZREM', KEYS[2], ARGV[2]) end
            if principal then redis.call('ZREM', ARGV[3] .. redis.sha1hex(principal), ARGV[2]) end
            return 0
            """);

    /** Takes back a move's mark from a record the move leaves where it is. KEYS: hash. ARGV: token. */
    static final LuaScript UNMARK = new LuaScript("""
            if redis.call('TYPE', KEYS[1])['ok'] == 'hash' and redis.call('HGET', KEYS[1], 'mv') == ARGV[1] then
              return redis.call('HDEL', KEYS[1], 'mv', 'mx')
            end
            return 0
            """);

    /**
     * Deletes a session, its principal index entry and its expiry index entry. KEYS: hash, and the index shard in
     * listener mode. ARGV: member, the shard's principal index prefix. Returns how many hashes went.
     */
    static final LuaScript DELETE = new LuaScript("""
            local principal = redis.call('TYPE', KEYS[1])['ok'] == 'hash' and redis.call('HGET', KEYS[1], 'p')
            local deleted = redis.call('DEL', KEYS[1])
            if KEYS[2] then redis.call('ZREM', KEYS[2], ARGV[1]) end
            if principal then redis.call('ZREM', ARGV[2] .. redis.sha1hex(principal), ARGV[1]) end
            return deleted
            """);

    /**
     * Deletes the sessions among KEYS[2..] that expired at ARGV[1] and returns them as {member, field, value, …}
     * lists, with their principal index entries; re-indexes one that was written again meanwhile; forgets index entries
     * whose hash is gone. KEYS[1] is the index shard, ARGV[2] the shard's principal index prefix, ARGV[3..] the members
     * matching KEYS[2..].
     */
    static final LuaScript SWEEP = new LuaScript("""
            local now = tonumber(ARGV[1])
            local swept = {}
            for i = 2, #KEYS do
              local key, member = KEYS[i], ARGV[i + 1]
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
                  local principal = redis.call('HGET', key, 'p')
                  redis.call('DEL', key)
                  redis.call('ZREM', KEYS[1], member)
                  if principal then redis.call('ZREM', ARGV[2] .. redis.sha1hex(principal), member) end
                end
              end
            end
            return swept
            """);

    /**
     * Removes a principal index entry that a lookup found stale, only if it still is: its hash gone, or naming another
     * principal. KEYS: principal index shard, hash. ARGV: member, principal. Returns 1 removed, 0 kept.
     */
    static final LuaScript REMOVE_STALE = new LuaScript("""
            if redis.call('TYPE', KEYS[2])['ok'] == 'hash' and redis.call('HGET', KEYS[2], 'p') == ARGV[2] then return 0 end
            return redis.call('ZREM', KEYS[1], ARGV[1])
            """);

    /** Releases the sweep lock only if this process still holds it. KEYS: lock. ARGV: token. */
    static final LuaScript RELEASE = new LuaScript("""
            if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
            return 0
            """);

    /** Every script, for loading them at connect. */
    static final List<LuaScript> ALL = List.of(WRITE, MOVE, MARK_MOVING, FINISH_MOVE, UNMARK, DELETE, SWEEP, REMOVE_STALE, RELEASE);

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
