package dev.cloakroom.system;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cloakroom.SessionKey;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The shared Redis under a {@code systest:} key prefix of this namespace's own; its keys are deleted on close with
 * SCAN and DEL, never a FLUSH, as other tests use the server at the same time. A session is the hash
 * {@code <prefix>{ab}<key>}; its text is the hash's fields in name order (the TTL, which moves by itself, is left out).
 */
final class RedisProbe extends StoreProbe {
    static final String HOST = "127.0.0.1";
    static final int PORT = 6379;
    private static final String ATTRIBUTE = "a:";

    private final String prefix;
    private final Pattern sessionHash;
    private final RedisClient client;
    private final StatefulRedisConnection<String, String> connection;

    private RedisProbe(String prefix, int port, RedisClient client, StatefulRedisConnection<String, String> connection) {
        super(Store.REDIS, Map.of("SESSION_TYPE", "redis", "SESSION_REDIS", "redis://" + HOST + ":" + port,
                "SESSION_KEY_PREFIX", prefix));
        this.prefix = prefix;
        this.sessionHash = Pattern.compile(Pattern.quote(prefix) + "\\{[0-9a-f]{2}}(v1[0-9a-f]{64})");
        this.client = client;
        this.connection = connection;
    }

    static RedisProbe open(String scenario) {
        return open(scenario, PORT);
    }

    /** As {@link #open(String)} on the Redis at {@code 127.0.0.1:port}, e.g. a server of the scenario's own. */
    static RedisProbe open(String scenario, int port) {
        // letters, digits, '-' and ':' only, so that the prefix needs no escaping in a SCAN pattern
        String prefix = "systest:" + scenario + ":" + UUID.randomUUID().toString().substring(0, 8) + ":";
        RedisClient client = RedisClient.create(RedisURI.builder().withHost(HOST).withPort(port)
                .withTimeout(Duration.ofSeconds(10)).build());
        try {
            return new RedisProbe(prefix, port, client, client.connect());
        } catch (RuntimeException e) {
            client.shutdown();
            throw e;
        }
    }

    /** The namespace's key prefix. */
    String prefix() {
        return prefix;
    }

    /** The probe's own connection, for reads and for seeding. */
    RedisCommands<String, String> redis() {
        return connection.sync();
    }

    @Override
    Map<String, String> records() {
        Map<String, String> records = new TreeMap<>();
        for (String key : keys()) {
            Matcher session = sessionHash.matcher(key);
            if (session.matches()) {
                Map<String, String> fields = new TreeMap<>(redis().hgetall(key));
                if (!fields.isEmpty()) {
                    records.put(session.group(1), fields.toString());
                }
            }
        }
        return records;
    }

    @Override
    Set<String> sessionKeys() {
        Set<String> sessions = new TreeSet<>();
        for (String key : keys()) {
            Matcher session = sessionHash.matcher(key);
            if (session.matches()) {
                sessions.add(session.group(1));
            }
        }
        return sessions;
    }

    @Override
    Map<String, JsonNode> attributes(SessionKey key) throws Exception {
        Map<String, String> texts = new LinkedHashMap<>();
        redis().hgetall(prefix + "{" + key.value().substring(2, 4) + "}" + key.value()).entrySet().stream()
                .filter(e -> e.getKey().startsWith(ATTRIBUTE)).sorted(Map.Entry.comparingByKey())
                .forEach(e -> texts.put(e.getKey().substring(ATTRIBUTE.length()), e.getValue()));
        return parsed(texts);
    }

    @Override
    Map<String, String> everything() {
        Map<String, String> all = new TreeMap<>();
        for (String key : keys()) {
            String type = redis().type(key);
            String content = switch (type) {
                case "hash" -> new TreeMap<>(redis().hgetall(key)).toString();
                case "string" -> redis().get(key);
                case "zset" -> redis().zrangeWithScores(key, 0, -1).toString();
                case "set" -> redis().smembers(key).toString();
                case "list" -> redis().lrange(key, 0, -1).toString();
                default -> type;
            };
            all.put(key, content);
        }
        return all;
    }

    /** Every key under the prefix. */
    List<String> keys() {
        List<String> keys = new ArrayList<>();
        ScanArgs matching = ScanArgs.Builder.matches(prefix + "*").limit(1000);
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            KeyScanCursor<String> page = redis().scan(cursor, matching);
            keys.addAll(page.getKeys());
            cursor = page;
        } while (!cursor.isFinished());
        return keys;
    }

    @Override
    public void close() {
        try {
            List<String> keys = keys();
            for (int from = 0; from < keys.size(); from += 1000) {
                redis().del(keys.subList(from, Math.min(keys.size(), from + 1000)).toArray(String[]::new));
            }
        } finally {
            connection.close();
            client.shutdown();
        }
    }
}
