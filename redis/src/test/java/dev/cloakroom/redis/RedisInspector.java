package dev.cloakroom.redis;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A plain Lettuce connection to look at (and clean up) what a store wrote under its own key prefix, without going
 * through the store. Never flushes anything: the shared Redis holds other people's data.
 */
final class RedisInspector implements AutoCloseable {
    private final io.lettuce.core.AbstractRedisClient client;
    private final io.lettuce.core.api.StatefulConnection<String, String> connection;
    private final RedisClusterCommands<String, String> commands;

    RedisInspector(String host, int port) {
        RedisClient standalone = RedisClient.create("redis://" + host + ":" + port);
        StatefulRedisConnection<String, String> opened = standalone.connect();
        opened.setTimeout(Duration.ofSeconds(10));
        client = standalone;
        connection = opened;
        commands = opened.sync();
    }

    /** Sees a whole cluster: SCAN walks every node, other commands go to the key's node. */
    RedisInspector(RedisClusterClient cluster) {
        StatefulRedisClusterConnection<String, String> opened = cluster.connect();
        opened.setTimeout(Duration.ofSeconds(10));
        client = cluster;
        connection = opened;
        commands = opened.sync();
    }

    static RedisInspector shared() {
        return new RedisInspector("127.0.0.1", 6379);
    }

    /** A prefix no other run uses. */
    static String uniquePrefix(String purpose) {
        return "cloakroom-test:" + purpose + ":" + UUID.randomUUID().toString().substring(0, 8) + ":";
    }

    RedisClusterCommands<String, String> redis() {
        return commands;
    }

    List<String> keys(String prefix) {
        List<String> keys = new ArrayList<>();
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            KeyScanCursor<String> page = redis().scan(cursor, ScanArgs.Builder.matches(escape(prefix) + "*").limit(1000));
            keys.addAll(page.getKeys());
            cursor = page;
        } while (!cursor.isFinished());
        return keys;
    }

    /** Every key under {@code prefix} with its type and content, as text. */
    String dump(String prefix) {
        StringBuilder out = new StringBuilder();
        for (String key : keys(prefix)) {
            String type = redis().type(key);
            out.append(key).append(' ').append(type).append(' ');
            switch (type) {
                case "hash" -> out.append(redis().hgetall(key));
                case "zset" -> out.append(redis().zrangeWithScores(key, 0, -1));
                case "string" -> out.append(redis().get(key));
                default -> out.append('?');
            }
            out.append('\n');
        }
        return out.toString();
    }

    /** Every member of {@code principal}'s principal index shards under {@code prefix}, shard by shard, as text. */
    String principalIndex(String prefix, String principal) {
        KeyLayout layout = new KeyLayout(prefix);
        StringBuilder out = new StringBuilder();
        for (String shard : KeyLayout.shards()) {
            String key = layout.principalIndexKey(shard, principal);
            List<String> members = redis().zrange(key, 0, -1);
            if (!members.isEmpty() || redis().exists(key) > 0) {
                out.append(key).append(' ').append(members).append('\n');
            }
        }
        return out.toString();
    }

    void deleteAll(String prefix) {
        for (String key : keys(prefix)) {
            redis().del(key);
        }
    }

    private static String escape(String prefix) {
        return prefix.replaceAll("([*?\\[\\]\\\\])", "\\\\$1");
    }

    @Override
    public void close() {
        connection.close();
        client.shutdown();
    }
}
