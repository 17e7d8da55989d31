package dev.cloakroom.redis;

import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionStoreException;
import dev.cloakroom.spi.SessionRecord;
import dev.cloakroom.spi.SweepLease;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Listener mode's sorted-set index of deadlines, sharded like the sessions ({@link KeyLayout}), and the sweep that
 * deletes expired sessions through it: shard by shard from where the previous sweep stopped, one script per shard,
 * each record handed on as soon as the script that deleted it answered. Also the lock that lets one process sweep.
 */
final class ExpiryIndex {
    private static final Logger LOG = LoggerFactory.getLogger(ExpiryIndex.class);
    private static final List<String> SHARDS = KeyLayout.shards();

    private final KeyLayout layout;
    private final RedisConnection connection;
    private final AtomicInteger sweepCursor = new AtomicInteger();

    ExpiryIndex(KeyLayout layout, RedisConnection connection) {
        this.layout = layout;
        this.connection = connection;
    }

    int sweep(Instant now, int limit, Consumer<SessionRecord> deleted) {
        if (limit < 1) {
            return 0;
        }
        long nowMillis = now.toEpochMilli();
        Range<Long> due = Range.from(Range.Boundary.unbounded(), Range.Boundary.including(nowMillis));
        // Counted first, then only the members this batch takes are fetched: asking every shard for `limit` members
        // would move up to 256 x limit of them to use `limit`. Each step is pipelined over the shards: one wait.
        List<Long> counts = connection.call("sweep", l -> connection.awaitAll(SHARDS.stream()
                .map(shard -> l.async().zcount(layout.indexKey(shard), due)).toList()));
        Map<Integer, Integer> taken = new LinkedHashMap<>();
        int start = Math.floorMod(sweepCursor.get(), SHARDS.size());
        int planned = 0;
        for (int i = 0; i < SHARDS.size() && planned < limit; i++) {
            int shard = (start + i) % SHARDS.size();
            int take = (int) Math.min(counts.get(shard), limit - planned);
            if (take > 0) {
                taken.put(shard, take);
                planned += take;
            }
        }
        if (taken.isEmpty()) {
            return 0;
        }
        List<List<String>> candidates = connection.call("sweep", l -> connection.awaitAll(taken.entrySet().stream()
                .map(e -> l.async().zrangebyscore(layout.indexKey(SHARDS.get(e.getKey())), due, Limit.create(0, e.getValue())))
                .toList()));
        int swept = 0;
        int n = 0;
        for (int shard : taken.keySet()) {
            List<String> members = candidates.get(n++);
            if (!members.isEmpty()) {
                swept += sweepShard(SHARDS.get(shard), members, nowMillis, deleted);
            }
            // past this shard even if a later one fails: its deleted records were handed on already
            sweepCursor.set(shard + 1);
        }
        return swept;
    }

    private int sweepShard(String shard, List<String> members, long nowMillis, Consumer<SessionRecord> deleted) {
        String indexKey = layout.indexKey(shard);
        List<String> keys = new ArrayList<>(members.size() + 1);
        List<String> args = new ArrayList<>(members.size() + 1);
        keys.add(indexKey);
        args.add(Long.toString(nowMillis));
        args.add(layout.principalIndexPrefix(shard));
        List<String> foreign = new ArrayList<>();
        for (String member : members) {
            // A member naming another shard's key would make the script touch two slots (CROSSSLOT on a cluster, and
            // this shard stuck for good); one that is no key at all was not written by this store.
            if (SessionKey.isKey(member) && layout.shardOf(new SessionKey(member)).equals(shard)) {
                keys.add(layout.sessionKeyOfMember(member));
                args.add(member);
            } else {
                foreign.add(member);
            }
        }
        if (!foreign.isEmpty()) {
            LOG.warn("index {} held {} member(s) that are not session keys of its shard; removed from the index", indexKey,
                    foreign.size());
            connection.call("sweep", l -> l.sync().zrem(indexKey, foreign.toArray(String[]::new)));
        }
        if (keys.size() == 1) {
            return 0;
        }
        List<Object> entries = connection.call("sweep", l -> LuaScript.SWEEP.run(l.sync(), ScriptOutputType.MULTI,
                keys.toArray(String[]::new), args.toArray(String[]::new)));
        int swept = 0;
        for (Object entry : entries) {
            List<?> flat = (List<?>) entry;
            SessionKey key = new SessionKey(String.valueOf(flat.get(0)));
            Optional<SessionRecord> record = RecordFields.parse(key, RecordFields.fromFlatList(flat.subList(1, flat.size())));
            if (record.isPresent()) {
                deleted.accept(record.get());
                swept++;
            } else {
                LOG.warn("expired {} was not a readable record; it was removed without telling listeners", key);
            }
        }
        return swept;
    }

    /**
     * {@code SET <prefix>sweep-lock <token> NX PX ttl}: one sweeper at a time across every process sharing this Redis;
     * released by a compare-and-delete script so a lease that ran out never frees another's.
     */
    Optional<SweepLease> tryAcquireLease(Duration ttl) {
        String token = UUID.randomUUID().toString();
        String lockKey = layout.lockKey();
        String answer = connection.call("sweep lock",
                l -> l.sync().set(lockKey, token, SetArgs.Builder.nx().px(Math.max(1, ttl.toMillis()))));
        if (!"OK".equals(answer)) {
            return Optional.empty();
        }
        return Optional.of(() -> {
            try {
                connection.call("sweep unlock",
                        l -> LuaScript.RELEASE.run(l.sync(), ScriptOutputType.INTEGER, new String[] {lockKey}, token));
            } catch (SessionStoreException e) {
                LOG.warn("could not release the sweep lock; it expires by itself within {} ms: {}", ttl.toMillis(), e.toString());
            }
        });
    }
}
