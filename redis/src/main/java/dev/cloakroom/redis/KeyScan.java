package dev.cloakroom.redis;

import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionStoreException;
import dev.cloakroom.spi.RecordPage;
import dev.cloakroom.spi.RecordSummary;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.sync.RedisKeyCommands;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@link RedisSessionStore#list}: {@code SCAN} with {@code MATCH} on the session keys' pattern, node by node on a
 * cluster (each master in node-id order, as {@code SCAN} sees one node's keys only), then one pipelined {@code HMGET}
 * of the metadata fields per page, never the attributes.
 *
 * <p>{@code SCAN}'s {@code COUNT} is a hint: a batch may hold more matches than the page has room for. The surplus
 * keys travel in the cursor, so no page exceeds its limit and none is lost. Cursor text:
 * {@code <node id or ->:<scan cursor>[:<key>,<key>...]}, where {@code -} is the one node of a standalone Redis.
 */
final class KeyScan {
    /** SCAN calls one page may make: a keyspace mostly of other keys costs several pages, not one unbounded call. */
    private static final int MAX_SCANS_PER_PAGE = 16;
    private static final String STANDALONE = "-";
    /** The metadata fields a summary is made of, the principal last (the only one that may be absent). */
    static final String[] SUMMARY_FIELDS = {
            RecordFields.CREATED, RecordFields.LAST_ACCESSED, RecordFields.MAX_INACTIVE, RecordFields.EXPIRES,
            RecordFields.VERSION, RecordFields.SIZE, RecordFields.PRINCIPAL};
    private static final int NUMERIC_FIELDS = SUMMARY_FIELDS.length - 1;

    private final KeyLayout layout;
    private final RedisConnection connection;
    private final String match;
    private final Pattern sessionKey;

    KeyScan(KeyLayout layout, RedisConnection connection) {
        this.layout = layout;
        this.connection = connection;
        this.match = globEscape(layout.prefix()) + "{??}v1*";
        this.sessionKey = Pattern.compile(Pattern.quote(layout.prefix()) + "\\{([0-9a-f]{2})\\}(v1[0-9a-f]{64})");
    }

    RecordPage list(String cursorText, int limit) {
        RecordPage.requireLimit(limit);
        return connection.call("listing", link -> {
            List<String> nodes = nodes(link);
            Cursor cursor = cursorText == null ? new Cursor(nodes.get(0), "0", new ArrayDeque<>()) : Cursor.parse(cursorText);
            int node = nodes.indexOf(cursor.node);
            if (node < 0) {
                throw new SessionStoreException("the Redis cluster's masters changed during the listing (node "
                        + cursor.node + " is gone); start it again");
            }
            List<SessionKey> keys = new ArrayList<>();
            Deque<SessionKey> pending = cursor.pending;
            String scanCursor = cursor.scanCursor;
            for (int scans = 0; ; scans++) {
                while (keys.size() < limit && !pending.isEmpty()) {
                    keys.add(pending.poll());
                }
                if (keys.size() == limit || scanCursor == null || scans == MAX_SCANS_PER_PAGE) {
                    break;
                }
                KeyScanCursor<String> batch = scanner(link, nodes.get(node))
                        .scan(ScanCursor.of(scanCursor), ScanArgs.Builder.matches(match).limit(limit));
                for (String redisKey : batch.getKeys()) {
                    Matcher matcher = sessionKey.matcher(redisKey);
                    if (matcher.matches() && matcher.group(2).startsWith(matcher.group(1), 2)) {
                        pending.add(new SessionKey(matcher.group(2)));
                    }
                }
                if (!batch.isFinished()) {
                    scanCursor = batch.getCursor();
                } else if (node + 1 < nodes.size()) {
                    node++;
                    scanCursor = "0";
                } else {
                    scanCursor = null;
                }
            }
            List<RecordSummary> page = summaries(link, keys);
            boolean done = pending.isEmpty() && scanCursor == null;
            return new RecordPage(page, done ? Optional.empty() : Optional.of(new Cursor(nodes.get(node), scanCursor, pending).text()));
        });
    }

    /** The masters in node-id order, or the one standalone node. */
    private static List<String> nodes(RedisConnection.Link link) {
        if (!(link.connection() instanceof StatefulRedisClusterConnection<String, String> cluster)) {
            return List.of(STANDALONE);
        }
        List<String> masters = new ArrayList<>();
        for (RedisClusterNode node : cluster.getPartitions()) {
            if (node.is(RedisClusterNode.NodeFlag.UPSTREAM)) {
                masters.add(node.getNodeId());
            }
        }
        masters.sort(null);
        if (masters.isEmpty()) {
            throw new SessionStoreException("the Redis cluster reports no master to list");
        }
        return masters;
    }

    private static RedisKeyCommands<String, String> scanner(RedisConnection.Link link, String node) {
        if (link.connection() instanceof StatefulRedisClusterConnection<String, String> cluster) {
            return cluster.getConnection(node).sync();
        }
        return link.sync();
    }

    private List<RecordSummary> summaries(RedisConnection.Link link, List<SessionKey> keys) {
        List<RedisFuture<List<KeyValue<String, String>>>> futures = new ArrayList<>(keys.size());
        for (SessionKey key : keys) {
            futures.add(link.async().hmget(layout.sessionKey(key), SUMMARY_FIELDS));
        }
        List<List<KeyValue<String, String>>> answers = connection.awaitAll(futures);
        List<RecordSummary> page = new ArrayList<>(keys.size());
        for (int i = 0; i < keys.size(); i++) {
            summary(keys.get(i), answers.get(i)).ifPresent(page::add);
        }
        return page;
    }

    /** The summary of a hash's fields, or empty when the key is gone meanwhile or is not a session record. */
    static Optional<RecordSummary> summary(SessionKey key, List<KeyValue<String, String>> fields) {
        long[] numbers = new long[NUMERIC_FIELDS];
        for (int i = 0; i < numbers.length; i++) {
            KeyValue<String, String> field = fields.get(i);
            if (!field.hasValue()) {
                return Optional.empty();
            }
            try {
                numbers[i] = Long.parseLong(field.getValue());
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        }
        if (numbers[2] < 0 || numbers[4] < 1 || numbers[5] < 0) {
            return Optional.empty();
        }
        KeyValue<String, String> principal = fields.get(NUMERIC_FIELDS);
        return Optional.of(new RecordSummary(key, Instant.ofEpochMilli(numbers[0]), Instant.ofEpochMilli(numbers[1]),
                Duration.ofMillis(numbers[2]), Instant.ofEpochMilli(numbers[3]), numbers[4], numbers[5],
                principal.hasValue() && !principal.getValue().isEmpty() ? principal.getValue() : null));
    }

    /** A glob that matches {@code text} literally. */
    private static String globEscape(String text) {
        return text.replaceAll("([*?\\[\\]\\\\])", "\\\\$1");
    }

    /**
     * Where a listing stands: the node, its SCAN cursor ({@code null} once the last node is scanned) and keys scanned
     * but not yet returned.
     */
    private record Cursor(String node, String scanCursor, Deque<SessionKey> pending) {
        private static final String SCANNED = "end";
        private static final Pattern TEXT = Pattern.compile("([0-9a-f]{40}|-):([0-9]+|" + SCANNED + "):((?:v1[0-9a-f]{64},?)*)");

        String text() {
            return node + ':' + (scanCursor == null ? SCANNED : scanCursor) + ':'
                    + String.join(",", pending.stream().map(SessionKey::value).toList());
        }

        static Cursor parse(String text) {
            Matcher matcher = TEXT.matcher(text);
            if (!matcher.matches()) {
                throw new IllegalArgumentException("not a cursor of this Redis store: '" + text + "'");
            }
            Deque<SessionKey> pending = new ArrayDeque<>();
            for (String key : matcher.group(3).split(",")) {
                if (!key.isEmpty()) {
                    pending.add(new SessionKey(key));
                }
            }
            String scanCursor = matcher.group(2);
            return new Cursor(matcher.group(1), SCANNED.equals(scanCursor) ? null : scanCursor, pending);
        }
    }
}
