package dev.cloakroom.redis;

import dev.cloakroom.SessionKey;
import dev.cloakroom.spi.RecordSummary;
import dev.cloakroom.spi.SessionStore;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.ScriptOutputType;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link SessionStore#findByPrincipal} on Redis: the principal's index shards ({@link KeyLayout#principalIndexKey}),
 * read together in one pipelined round of {@code ZRANGE … REV LIMIT} (one command per shard, each for at most
 * {@code limit} members, latest expiry first), then one pipelined round of {@code HMGET} of the candidates' metadata.
 * A member whose hash is gone or names another principal is stale (left by a hash Redis expired by its TTL, or a
 * garbled record removed): it is not returned, and is removed from its shard by {@link LuaScript#REMOVE_STALE}, which
 * checks again in the same step.
 */
final class PrincipalLookup {
    private static final Logger LOG = LoggerFactory.getLogger(PrincipalLookup.class);
    private static final List<String> SHARDS = KeyLayout.shards();

    private final KeyLayout layout;
    private final RedisConnection connection;

    PrincipalLookup(KeyLayout layout, RedisConnection connection) {
        this.layout = layout;
        this.connection = connection;
    }

    List<RecordSummary> find(String principal, int limit) {
        List<String> indexKeys = SHARDS.stream().map(shard -> layout.principalIndexKey(shard, principal)).toList();
        List<List<ScoredValue<String>>> shards = connection.call("lookup by principal", l -> connection.awaitAll(
                indexKeys.stream().map(key -> l.async().zrevrangeWithScores(key, 0, limit - 1)).toList()));
        List<ScoredValue<String>> candidates = new ArrayList<>();
        shards.forEach(candidates::addAll);
        candidates.sort(Comparator.comparingDouble((ScoredValue<String> member) -> member.getScore()).reversed()
                .thenComparing(ScoredValue::getValue));
        List<SessionKey> keys = candidates.stream().limit(limit).map(ScoredValue::getValue)
                .filter(SessionKey::isKey).map(SessionKey::new).toList();
        if (keys.isEmpty()) {
            return List.of();
        }
        List<List<KeyValue<String, String>>> fields = connection.call("lookup by principal", l -> {
            List<RedisFuture<List<KeyValue<String, String>>>> futures = new ArrayList<>(keys.size());
            for (SessionKey key : keys) {
                futures.add(l.async().hmget(layout.sessionKey(key), KeyScan.SUMMARY_FIELDS));
            }
            return connection.awaitAll(futures);
        });
        List<RecordSummary> found = new ArrayList<>(keys.size());
        List<SessionKey> stale = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            Optional<RecordSummary> summary = KeyScan.summary(keys.get(i), fields.get(i));
            if (summary.isPresent() && principal.equals(summary.get().principal())) {
                found.add(summary.get());
            } else {
                stale.add(keys.get(i));
            }
        }
        if (!stale.isEmpty()) {
            LOG.debug("removing {} stale principal index entries", stale.size());
            connection.call("lookup by principal", l -> {
                for (SessionKey key : stale) {
                    LuaScript.REMOVE_STALE.run(l.sync(), ScriptOutputType.INTEGER,
                            new String[] {layout.principalIndexKey(layout.shardOf(key), principal), layout.sessionKey(key)},
                            key.value(), principal);
                }
                return null;
            });
        }
        found.sort(SessionStore.LATEST_EXPIRY_FIRST);
        return found;
    }
}
