package dev.cloakroom.system;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Expired session records written straight into a store, the way each store lays them out, bypassing Cloakroom: what
 * a long-neglected store holds, for the sweeper to clear. Each seed copies a real record the demo wrote (its data), with
 * a new random key and deadlines an hour in the past.
 */
interface ExpiredSeed {

    /** Writes {@code count} expired records. */
    void seed(int count) throws Exception;

    /** How many of the seeded records the store still holds. */
    long remaining() throws Exception;

    /** Random session keys, {@code v1} + 64 hex digits. */
    static String randomKey(SecureRandom random) {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return "v1" + HexFormat.of().formatHex(bytes);
    }

    /** Files under the store's folder, in the record format, {@code 0600}, in folders {@code 0700}. */
    static ExpiredSeed files(Path dir, String templateRecord) throws Exception {
        ObjectNode template = (ObjectNode) StoreProbe.JSON.readTree(templateRecord);
        Set<String> seeded = new HashSet<>();
        SecureRandom random = new SecureRandom();
        String past = Instant.now().minusSeconds(3600).toString();
        return new ExpiredSeed() {
            @Override
            public void seed(int count) throws Exception {
                for (int i = 0; i < count; i++) {
                    String key = randomKey(random);
                    ObjectNode record = template.deepCopy();
                    record.put("key", key);
                    record.put("createdAt", past);
                    record.put("lastAccessedAt", past);
                    record.put("expiresAt", past);
                    Path shard = dir.resolve(key.substring(2, 4));
                    if (!Files.isDirectory(shard)) {
                        Files.createDirectories(shard, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                    }
                    Files.write(Files.createFile(shard.resolve(key),
                                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))),
                            (StoreProbe.JSON.writeValueAsString(record) + "\n").getBytes(StandardCharsets.UTF_8));
                    seeded.add(key);
                }
            }

            @Override
            public long remaining() {
                return seeded.stream().filter(key -> Files.exists(dir.resolve(key.substring(2, 4)).resolve(key))).count();
            }
        };
    }

    /** Rows in the store's table, inserted by one {@code INSERT … SELECT} per 100,000, each committed at once. */
    static ExpiredSeed rows(String table, String templateKey) {
        return new ExpiredSeed() {
            @Override
            public void seed(int count) throws Exception {
                try (Connection connection = PostgresProbe.connect()) {
                    for (int from = 0; from < count; from += 100_000) {
                        try (PreparedStatement insert = connection.prepareStatement("""
                                INSERT INTO %s (session_key, data, created_at, last_accessed_at, max_inactive_ms, expires_at, version)
                                SELECT 'v1' || md5(random()::text || i) || md5(random()::text || i),
                                       (SELECT data FROM %s WHERE session_key = ?),
                                       now() - interval '2 hours', now() - interval '2 hours', 3600000,
                                       now() - interval '1 hour', 1
                                  FROM generate_series(1, ?) AS i""".formatted(table, table))) {
                            insert.setString(1, templateKey);
                            insert.setInt(2, Math.min(100_000, count - from));
                            insert.executeUpdate();
                        }
                    }
                }
            }

            @Override
            public long remaining() throws Exception {
                try (Connection connection = PostgresProbe.connect(); Statement statement = connection.createStatement();
                     ResultSet rows = statement.executeQuery("SELECT count(*) FROM " + table
                             + " WHERE expires_at < now() - interval '30 minutes'")) {
                    rows.next();
                    return rows.getLong(1);
                }
            }
        };
    }

    /**
     * Hashes in the layout of {@code RedisSessionStore}'s listener mode, each filed in its shard's expiry index, made by
     * a script on the server in batches of 20,000 (a private server: the shared one is never filled like this).
     */
    static ExpiredSeed redisHashes(RedisClient client, String prefix, String templateKey) {
        StatefulRedisConnection<String, String> connection = client.connect();
        RedisAsyncCommands<String, String> redis = connection.async();
        String script = """
                local prefix, template, n, past, salt = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5]
                local fields = redis.call('HGETALL', template)
                for i = 1, n do
                  local value = 'v1' .. redis.sha1hex(salt .. i) .. string.sub(redis.sha1hex(salt .. '+' .. i), 1, 24)
                  local shard = '{' .. string.sub(value, 3, 4) .. '}'
                  local key = prefix .. shard .. value
                  redis.call('HSET', key, unpack(fields))
                  redis.call('HSET', key, 'c', past, 'l', past, 'e', past)
                  redis.call('PEXPIRE', key, 3600000)
                  redis.call('ZADD', prefix .. shard .. ':expiries', past, value)
                  redis.call('PEXPIRE', prefix .. shard .. ':expiries', 3600000)
                end
                return n
                """;
        String past = Long.toString(Instant.now().minusSeconds(3600).toEpochMilli());
        SecureRandom random = new SecureRandom();
        return new ExpiredSeed() {
            @Override
            public void seed(int count) throws Exception {
                for (int from = 0; from < count; from += 20_000) {
                    redis.eval(script, ScriptOutputType.INTEGER, new String[0], prefix, templateKey,
                                    Integer.toString(Math.min(20_000, count - from)), past, randomKey(random))
                            .get(60, TimeUnit.SECONDS);
                }
            }

            @Override
            public long remaining() throws Exception {
                List<RedisFuture<Long>> counts = new ArrayList<>();
                for (int shard = 0; shard < 256; shard++) {
                    counts.add(redis.zcount(prefix + "{" + String.format("%02x", shard) + "}:expiries",
                            io.lettuce.core.Range.create(0d, Double.parseDouble(past))));
                }
                long total = 0;
                for (RedisFuture<Long> count : counts) {
                    total += count.get(10, TimeUnit.SECONDS);
                }
                return total;
            }
        };
    }
}
