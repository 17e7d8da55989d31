package dev.cloakroom.redis;

import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionStoreException;
import dev.cloakroom.SessionStoreUnavailableException;
import dev.cloakroom.spi.RecordPage;
import dev.cloakroom.spi.RecordSummary;
import dev.cloakroom.spi.SessionRecord;
import dev.cloakroom.spi.SessionStore;
import dev.cloakroom.spi.SessionWrite;
import dev.cloakroom.spi.SweepLease;
import dev.cloakroom.spi.WriteResult;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sessions in Redis, standalone, behind Sentinel or on a Redis Cluster, through Lettuce.
 *
 * <p>Each session is one hash under {@code <prefix>{ab}<key>} (see the README's key layout): attribute fields
 * {@code a:<name>} hold the JSON texts, metadata fields the manager's timestamps and a version. No raw session id is
 * ever written. Per call:
 * <ul>
 *   <li>{@link #load} is one {@code HGETALL};</li>
 *   <li>{@link #write} is one {@code EVALSHA} of a Lua script that checks existence, expiry and version, applies the
 *       attribute deltas, bumps the version and sets the key's TTL ({@code expiresAt - now} of the write, plus the
 *       grace in listener mode) in one atomic step: every session key always has a positive TTL, and a key that
 *       expired or was deleted is never recreated;</li>
 *   <li>{@link #move} is one script when both keys share a cluster slot (always on standalone and Sentinel); across
 *       slots it is a guarded sequence of three scripts, described on {@link #move};</li>
 *   <li>both scripts check the size cap on the merged record, inside the atomic step;</li>
 *   <li>a hash that is not a readable record is reported absent and deleted.</li>
 * </ul>
 *
 * <p>Redis removes expired sessions itself, at their TTL. With {@linkplain Builder#expiryListeners(boolean) expiry
 * listeners} on, each write also files the session's deadline in a sorted-set index sharded like the sessions, and
 * {@link #sweep} removes expired sessions through that index and returns them with their attributes, so listeners
 * learn what was lost; their TTL then runs {@linkplain Builder#expiryGrace(Duration) a grace period} longer so the
 * sweeper sees them first. No keyspace notifications are needed.
 *
 * <p>Every call is bounded by the command timeout; while Redis is unreachable calls fail at once (commands are
 * rejected, not queued) with {@link SessionStoreUnavailableException}, and the same store recovers by itself when
 * Redis is back. Other Redis errors are {@link SessionStoreException}s. Thread-safe; one multiplexed connection.
 * Writes are acknowledged once the master took them, or, with {@linkplain Builder#waitForReplicas waiting for
 * replicas} on, once that many replicas confirmed them too.
 */
public final class RedisSessionStore implements SessionStore {
    /** {@code SESSION_KEY_PREFIX}'s default, as in Flask-Session. */
    public static final String DEFAULT_KEY_PREFIX = "session:";
    /** {@code SESSION_REDIS}'s default. */
    public static final String DEFAULT_URI = "redis://127.0.0.1:6379";
    /** Bound on every command: the store timeout's default. */
    public static final Duration DEFAULT_COMMAND_TIMEOUT = CloakroomConfig.DEFAULT_STORE_TIMEOUT;
    /** Bound on opening a connection: the store timeout's default. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = CloakroomConfig.DEFAULT_STORE_TIMEOUT;
    /** How much longer than its deadline an expired session stays in listener mode, for the sweeper to report it. */
    public static final Duration DEFAULT_EXPIRY_GRACE = Duration.ofMinutes(10);
    /** The most replicas {@link Builder#waitForReplicas} may wait for. */
    public static final int MAX_WAIT_REPLICAS = 16;
    /** The longest {@link Builder#expiryGrace}: a day is far more than any sweeper interval. */
    public static final Duration MAX_EXPIRY_GRACE = Duration.ofDays(1);

    private static final Logger LOG = LoggerFactory.getLogger(RedisSessionStore.class);
    /** Commands that may wait for an answer at once before new ones are refused (a hanging server fills it). */
    private static final int REQUEST_QUEUE_SIZE = 10_000;
    /**
     * The least time between two topology refreshes that failures trigger (Lettuce's default is 30 s): a refresh
     * while a failover is still under way sees the dead master, and the next one must come soon after the promotion.
     */
    private static final Duration ADAPTIVE_REFRESH_PAUSE = Duration.ofMillis(500);
    /** A move across slots takes three commands; its mark outlives them all by one more command timeout. */
    private static final int MOVE_LEASE_IN_COMMAND_TIMEOUTS = 4;

    private final KeyLayout layout;
    private final RedisConnection connection;
    private final ExpiryIndex index;
    private final KeyScan scan;
    private final PrincipalLookup principals;
    private final long graceMillis;
    private final Duration moveLease;
    private final String description;

    private RedisSessionStore(Builder b, Supplier<RedisConnection.Link> connector, Runnable releaseClient, String where) {
        this.layout = b.layout;
        this.graceMillis = b.expiryListeners ? b.expiryGrace.toMillis() : 0;
        this.moveLease = b.commandTimeout.multipliedBy(MOVE_LEASE_IN_COMMAND_TIMEOUTS);
        this.description = where + ", keys '" + layout.prefix() + "{..}v1…', expiry listeners "
                + (b.expiryListeners ? "on (grace " + b.expiryGrace.toSeconds() + " s)" : "off")
                + ", timeout " + b.commandTimeout.toMillis() + " ms"
                + (b.waitReplicas > 0 ? ", writes wait for " + b.waitReplicas + " replica(s), at most "
                        + b.waitTimeout.toMillis() + " ms" : "");
        this.connection = new RedisConnection(connector, releaseClient, b.commandTimeout, b.waitReplicas, b.waitTimeout,
                description);
        this.index = b.expiryListeners ? new ExpiryIndex(layout, connection) : null;
        this.scan = new KeyScan(layout, connection);
        this.principals = new PrincipalLookup(layout, connection);
        try {
            // At start-up, a whole attempt (connect, handshake, script loads, CONFIG GET): in a cold JVM on a busy machine
            // the first connection takes seconds even when Redis answers at once.
            connection.link(b.connectTimeout.plus(b.commandTimeout.multipliedBy(3)));
        } catch (SessionStoreUnavailableException e) {
            LOG.warn("Redis is not reachable yet ({}); session requests answer 'unavailable' until it is: {}",
                    this.description, e.getCause() == null ? e.getMessage() : e.getCause().toString());
        } catch (RuntimeException e) {
            connection.close();
            throw e;
        }
    }

    /**
     * A store on the Redis that {@code uri} names: {@code redis://[user:password@]host:port[/db]}, {@code rediss://}
     * for TLS, {@code redis-sentinel://host:port[,host:port]/db#master}, or a comma-separated list of cluster nodes
     * ({@code redis://h1:7001,redis://h2:7002} or {@code h1:7001,h2:7002}). The store owns the Lettuce client it
     * creates and shuts it down on {@link #close()}.
     *
     * @throws IllegalArgumentException if {@code uri} is not one of these forms
     */
    public static Builder builder(String uri) {
        return new Builder(RedisTarget.parse(uri));
    }

    /** A store on a connection of the application's own client (default URI); the client stays the application's. */
    public static Builder builder(RedisClient client) {
        Objects.requireNonNull(client, "client");
        return new Builder(() -> client.connect(StringCodec.UTF8), "Redis (application's client)");
    }

    /** A store on {@code uri} through the application's own client; the client stays the application's. */
    public static Builder builder(RedisClient client, RedisURI uri) {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(uri, "uri");
        return new Builder(() -> client.connect(StringCodec.UTF8, uri), "Redis " + RedisTarget.mask(uri.toString()) + " (application's client)");
    }

    /** A store on a connection of the application's own cluster client; the client stays the application's. */
    public static Builder builder(RedisClusterClient client) {
        Objects.requireNonNull(client, "client");
        return new Builder(() -> client.connect(StringCodec.UTF8), "Redis Cluster (application's client)");
    }

    @Override
    public Optional<SessionRecord> load(SessionKey key) {
        String redisKey = layout.sessionKey(key);
        Map<String, String> hash = connection.call("load", l -> {
            try {
                return l.sync().hgetall(redisKey);
            } catch (RedisCommandExecutionException e) {
                if (RedisConnection.isWrongType(e)) {
                    return null;
                }
                throw e;
            }
        });
        if (hash != null && hash.isEmpty()) {
            return Optional.empty();
        }
        Optional<SessionRecord> record = hash == null ? Optional.empty() : RecordFields.parse(key, hash);
        if (record.isEmpty()) {
            LOG.warn("{} in Redis is not a readable session record and was removed; its visitor gets a new session", key);
            delete(key);
        }
        return record;
    }

    @Override
    public WriteResult write(SessionWrite write) {
        long version = write.create() ? 1
                : write.expectedVersion() == SessionWrite.ANY_VERSION ? -1 : write.expectedVersion();
        return apply(write.key(), write.create(), version, write.upserts(), write.removals(), write.createdAt(),
                write.create() || write.setsPrincipal(), write.principal(), write);
    }

    /**
     * One {@link LuaScript#WRITE}: {@code write}'s times and cap, with this key, mode, version, attribute deltas and
     * principal (set when {@code setsPrincipal}, else kept as stored).
     */
    private WriteResult apply(SessionKey key, boolean create, long version, Map<String, String> upserts,
                              Set<String> removals, Instant createdAt, boolean setsPrincipal, String principal,
                              SessionWrite write) {
        List<String> args = new ArrayList<>(14 + 2 * upserts.size() + removals.size());
        args.add(create ? "1" : "0");
        args.add(Long.toString(version));
        args.add(Long.toString(write.now().toEpochMilli()));
        args.add(Long.toString(createdAt.toEpochMilli()));
        args.add(Long.toString(write.lastAccessedAt().toEpochMilli()));
        args.add(Long.toString(write.maxInactiveInterval().toMillis()));
        args.add(Long.toString(write.expiresAt().toEpochMilli()));
        args.add(Long.toString(ttlMillis(write)));
        args.add(key.value());
        args.add(capArgument(write));
        args.add(setsPrincipal ? "1" : "0");
        args.add(principal == null ? "" : principal);
        args.add(layout.principalIndexPrefix(key));
        addDeltas(args, upserts, removals);
        String[] keys = index != null
                ? new String[] {layout.sessionKey(key), layout.indexKey(key)}
                : new String[] {layout.sessionKey(key)};
        Long answer = connection.replicatedWrite("write", keys[0],
                c -> LuaScript.WRITE.run(c, ScriptOutputType.INTEGER, keys, args.toArray(String[]::new)));
        return result(answer, key);
    }

    /**
     * Atomic on standalone Redis and Sentinel, and on a cluster when both keys hash to one slot: one
     * {@link LuaScript#MOVE}. Keys of different sessions usually land on different cluster slots, which no script can
     * span; there the move is guarded instead:
     * <ol>
     *   <li>on the old slot, {@link LuaScript#MARK_MOVING} marks the live record as moving, with a lease of a few
     *       command timeouts, and returns it: while the lease runs, writes to the old key answer {@code GONE} (as if
     *       the move had come first) and a second mover gets {@code GONE}, so the record read is the record moved;</li>
     *   <li>on the new slot, the merged record is created ({@link LuaScript#WRITE}, size cap included);</li>
     *   <li>on the old slot, {@link LuaScript#FINISH_MOVE} deletes the old record only if it still carries this mark.
     *       A delete (logout) meanwhile removed it: the new copy is deleted too and the answer is {@code GONE}.</li>
     * </ol>
     * A step that fails before the old record is deleted leaves it live (its mark is taken back, or lapses with the
     * lease) and the new copy is deleted; nobody else holds the new id until this call returns, so until then that copy
     * is unreachable, and never diverges from a live record. A finish whose answer is lost is asked again: a record still
     * carrying the mark is deleted then; one already gone counts as moved. Only when Redis fails several times in a row
     * may an unreachable copy stay behind, until its TTL (logged).
     */
    @Override
    public WriteResult move(SessionKey from, SessionWrite write) {
        String oldKey = layout.sessionKey(from);
        String newKey = layout.sessionKey(write.key());
        if (connection.link().cluster() && SlotHash.getSlot(oldKey) != SlotHash.getSlot(newKey)) {
            return moveAcrossSlots(from, write);
        }
        List<String> args = new ArrayList<>(13 + 2 * write.upserts().size() + write.removals().size());
        args.add(Long.toString(write.now().toEpochMilli()));
        args.add(Long.toString(write.lastAccessedAt().toEpochMilli()));
        args.add(Long.toString(write.maxInactiveInterval().toMillis()));
        args.add(Long.toString(write.expiresAt().toEpochMilli()));
        args.add(Long.toString(ttlMillis(write)));
        args.add(from.value());
        args.add(write.key().value());
        args.add(capArgument(write));
        args.add(write.setsPrincipal() ? "1" : "0");
        args.add(write.principal() == null ? "" : write.principal());
        args.add(layout.principalIndexPrefix(from));
        args.add(layout.principalIndexPrefix(write.key()));
        addDeltas(args, write.upserts(), write.removals());
        String[] keys = index != null
                ? new String[] {oldKey, newKey, layout.indexKey(from), layout.indexKey(write.key())}
                : new String[] {oldKey, newKey};
        Long answer = connection.replicatedWrite("move", oldKey,
                c -> LuaScript.MOVE.run(c, ScriptOutputType.INTEGER, keys, args.toArray(String[]::new)));
        return result(answer, write.key());
    }

    private WriteResult moveAcrossSlots(SessionKey from, SessionWrite write) {
        String oldKey = layout.sessionKey(from);
        String token = UUID.randomUUID().toString();
        String leaseEnd = Long.toString(write.now().toEpochMilli() + moveLease.toMillis());
        List<Object> marked = connection.replicatedWrite("move", oldKey, c -> LuaScript.MARK_MOVING.run(c, ScriptOutputType.MULTI,
                new String[] {oldKey}, Long.toString(write.now().toEpochMilli()), token, leaseEnd));
        if (((Number) marked.get(0)).intValue() != 0) {
            return WriteResult.GONE;
        }
        Optional<SessionRecord> stored = RecordFields.parse(from, RecordFields.fromFlatList(marked.subList(1, marked.size())));
        if (stored.isEmpty()) {
            // garbled numbers: the next load of the old key removes it
            unmark(from, token);
            return WriteResult.GONE;
        }
        SessionRecord merged = asChange(write).applyTo(stored.get());
        if (write.exceedsCap(merged)) {
            unmark(from, token);
            return WriteResult.TOO_LARGE;
        }
        WriteResult created;
        try {
            created = apply(write.key(), true, merged.version(), merged.attributes(), Set.of(), merged.createdAt(), true,
                    merged.principal(), write);
        } catch (RuntimeException e) {
            abandon(from, write.key(), token);
            throw e;
        }
        if (created != WriteResult.WRITTEN) {
            unmark(from, token);
            return created;
        }
        long finished;
        try {
            finished = finish(from, token);
        } catch (SessionStoreException e) {
            try {
                // its answer was lost, or it never ran: asking again tells which, and finishes the move if it did not
                finished = finish(from, token) == 1 ? 1 : 0;
            } catch (SessionStoreException again) {
                LOG.warn("moving {} to {}: could not learn whether the old record was deleted; if not, it is live again "
                        + "within {} ms and the unreachable new copy expires by its TTL", from, write.key(), moveLease.toMillis());
                e.addSuppressed(again);
                throw e;
            }
        }
        if (finished == 0) {
            return WriteResult.WRITTEN;
        }
        discard(write.key(), from);
        if (finished == 2) {
            return WriteResult.GONE;
        }
        throw new SessionStoreUnavailableException("moving " + from + " took longer than its lease of "
                + moveLease.toMillis() + " ms and a write took the record back; it keeps its old key (" + description + ")");
    }

    private long finish(SessionKey from, String token) {
        String[] keys = index != null
                ? new String[] {layout.sessionKey(from), layout.indexKey(from)}
                : new String[] {layout.sessionKey(from)};
        Long answer = connection.replicatedWrite("move", keys[0], c -> LuaScript.FINISH_MOVE.run(c, ScriptOutputType.INTEGER, keys,
                token, from.value(), layout.principalIndexPrefix(from)));
        return answer;
    }

    /** After a failed step: the old record stays live, the copy nobody can reach goes. */
    private void abandon(SessionKey from, SessionKey to, String token) {
        discard(to, from);
        unmark(from, token);
    }

    private void discard(SessionKey copy, SessionKey of) {
        try {
            delete(copy);
        } catch (SessionStoreException e) {
            LOG.warn("could not delete {}, the copy of {} that an unfinished move made; nobody holds its id and Redis "
                    + "expires it by its TTL: {}", copy, of, e.toString());
        }
    }

    private void unmark(SessionKey from, String token) {
        try {
            String oldKey = layout.sessionKey(from);
            connection.replicatedWrite("move", oldKey, c -> LuaScript.UNMARK.run(c, ScriptOutputType.INTEGER,
                    new String[] {oldKey}, token));
        } catch (SessionStoreException e) {
            LOG.warn("could not take back the move mark of {}; writes to it answer 'gone' until its lease of {} ms ends: {}",
                    from, moveLease.toMillis(), e.toString());
        }
    }

    /** {@code write} as the change of a stored record, whatever its create flag: how a move merges. */
    private static SessionWrite asChange(SessionWrite write) {
        return new SessionWrite(write.key(), false, write.upserts(), write.removals(), write.createdAt(),
                write.lastAccessedAt(), write.maxInactiveInterval(), write.expiresAt(), SessionWrite.ANY_VERSION,
                write.now(), write.maxBytes(), write.setsPrincipal(), write.principal());
    }

    /** Relative to the write's own clock, never Redis TIME; at least 1 ms, since PEXPIRE 0 would delete the key. */
    private long ttlMillis(SessionWrite write) {
        return Math.max(1, write.expiresAt().toEpochMilli() - write.now().toEpochMilli()) + graceMillis;
    }

    private static String capArgument(SessionWrite write) {
        return write.maxBytes() == SessionWrite.NO_SIZE_LIMIT ? "-1" : Long.toString(write.maxBytes());
    }

    private static void addDeltas(List<String> args, Map<String, String> upserts, Set<String> removals) {
        args.add(Integer.toString(upserts.size()));
        upserts.forEach((name, json) -> {
            args.add(RecordFields.attribute(name));
            args.add(json);
        });
        removals.forEach(name -> args.add(RecordFields.attribute(name)));
    }

    private static WriteResult result(Long answer, SessionKey key) {
        return switch (answer.intValue()) {
            case 0 -> WriteResult.WRITTEN;
            case 1 -> WriteResult.CONFLICT;
            case 2 -> WriteResult.GONE;
            case 3 -> WriteResult.TOO_LARGE;
            default -> throw new SessionStoreException("script answered " + answer + " for " + key);
        };
    }

    @Override
    public boolean delete(SessionKey key) {
        String redisKey = layout.sessionKey(key);
        String[] keys = index != null ? new String[] {redisKey, layout.indexKey(key)} : new String[] {redisKey};
        Long deleted = connection.replicatedWrite("delete", redisKey, c -> LuaScript.DELETE.run(c, ScriptOutputType.INTEGER,
                keys, key.value(), layout.principalIndexPrefix(key)));
        return deleted != null && deleted > 0;
    }

    /**
     * {@inheritDoc}
     *
     * <p>The principal index is sharded like the sessions, each shard in its sessions' cluster slot, so every script
     * that writes, moves or deletes a session updates its entry in the same atomic step, sweeps included, and no step
     * ever spans two slots. Each shard is a sorted set scored by expiry, whose TTL is never shorter than that of its
     * sessions, so it ends with them even where Redis itself expires them (without expiry listeners). A lookup reads
     * the 256 shards in one pipelined round, then the candidates' metadata in another ({@link PrincipalLookup}).
     */
    @Override
    public List<RecordSummary> findByPrincipal(String principal, int limit) {
        Objects.requireNonNull(principal, "principal");
        RecordPage.requireLimit(limit);
        return principals.find(principal, limit);
    }

    /**
     * {@inheritDoc}
     *
     * <p>{@code SCAN} with {@code MATCH} on this store's key prefix (on a cluster, master by master), then one
     * pipelined {@code HMGET} of the metadata fields of the page's keys: no attribute leaves Redis. A page costs at most
     * a few {@code SCAN}s, so a keyspace mostly of other data gives small pages rather than long calls.
     */
    @Override
    public RecordPage list(String cursor, int limit) {
        return scan.list(cursor, limit);
    }

    /**
     * In listener mode: deletes up to {@code limit} sessions whose deadline passed at {@code now}, walking the index
     * shards from where the previous call stopped, and hands each to {@code deleted} once the script that deleted it
     * answered. Without listeners Redis deletes expired sessions by their TTL, and this returns 0 at no cost.
     */
    @Override
    public int sweep(Instant now, int limit, Consumer<SessionRecord> deleted) {
        return index == null ? 0 : index.sweep(now, limit, deleted);
    }

    /**
     * In listener mode, {@code SET <prefix>sweep-lock <token> NX PX ttl}: one sweeper at a time across every process
     * sharing this Redis. Without listeners nothing is swept, and the lease is local.
     */
    @Override
    public Optional<SweepLease> tryAcquireSweepLease(Duration ttl) {
        return index == null ? Optional.of(SweepLease.LOCAL) : index.tryAcquireLease(ttl);
    }

    /** On Redis Cluster, the master serving the key's slot: a hung master fails fast only for its own sessions. */
    @Override
    public Object failureDomain(SessionKey key) {
        return connection.nodeServing(layout.sessionKey(key));
    }

    /**
     * The {@code maxmemory-policy} of every node that holds sessions, as {@code CONFIG GET} tells it now, for an
     * operator's check: each master of a cluster, in {@code host:port} order, a master that does not answer within the
     * command timeout marked unreachable; or the one server.
     *
     * @throws dev.cloakroom.SessionStoreUnavailableException if a standalone or Sentinel-managed Redis does not answer
     */
    public List<NodeMemoryPolicy> maxMemoryPolicies() {
        return connection.call("CONFIG GET maxmemory-policy", link -> {
            if (!(link.connection() instanceof StatefulRedisClusterConnection<String, String> cluster)) {
                return List.of(NodeMemoryPolicy.read("the server", link.sync()));
            }
            List<NodeMemoryPolicy> policies = new ArrayList<>();
            for (RedisClusterNode node : cluster.getPartitions()) {
                if (node.is(RedisClusterNode.NodeFlag.UPSTREAM)) {
                    String name = node.getUri().getHost() + ":" + node.getUri().getPort();
                    try {
                        policies.add(NodeMemoryPolicy.read(name, cluster.getConnection(node.getNodeId()).sync()));
                    } catch (RedisException e) {
                        policies.add(new NodeMemoryPolicy(name, Optional.empty(), Optional.of(String.valueOf(e.getMessage()))));
                    }
                }
            }
            policies.sort(Comparator.comparing(NodeMemoryPolicy::node));
            return policies;
        });
    }

    /** What to tell an operator about a {@code maxmemory-policy}, if it may evict live sessions (the {@code allkeys-*} ones). */
    public static Optional<String> evictionWarning(String policy) {
        return RedisConnection.evictionWarning(policy);
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public void close() {
        connection.close();
    }

    /** Collects the options, each validated when set; {@link #build()} connects (a Redis that is down is retried later). */
    public static final class Builder {
        private final RedisTarget target;
        private final Supplier<StatefulConnection<String, String>> ownClient;
        private final String ownClientDescription;
        private KeyLayout layout = new KeyLayout(DEFAULT_KEY_PREFIX);
        private Duration commandTimeout = DEFAULT_COMMAND_TIMEOUT;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private boolean expiryListeners;
        private Duration expiryGrace = DEFAULT_EXPIRY_GRACE;
        private boolean cluster;
        private int waitReplicas;
        private Duration waitTimeout = Duration.ZERO;

        private Builder(RedisTarget target) {
            this.target = target;
            this.ownClient = null;
            this.ownClientDescription = null;
        }

        private Builder(Supplier<StatefulConnection<String, String>> connect, String description) {
            this.target = null;
            this.ownClient = connect;
            this.ownClientDescription = description;
        }

        /**
         * Prefix of every key this store writes (default {@value #DEFAULT_KEY_PREFIX}); no braces or whitespace, at most
         * {@value KeyLayout#MAX_PREFIX_LENGTH} characters.
         */
        public Builder keyPrefix(String value) {
            this.layout = new KeyLayout(value);
            return this;
        }

        /**
         * Bound on each command (default {@link #DEFAULT_COMMAND_TIMEOUT}, the store timeout's default); also the bound
         * a {@link SessionStoreUnavailableException} comes within, while connecting too.
         */
        public Builder commandTimeout(Duration value) {
            this.commandTimeout = requirePositive("commandTimeout", value);
            return this;
        }

        /** Bound on opening a connection (default {@link #DEFAULT_CONNECT_TIMEOUT}); only for stores built from a URI. */
        public Builder connectTimeout(Duration value) {
            this.connectTimeout = requirePositive("connectTimeout", value);
            return this;
        }

        /**
         * Whether {@link #sweep} reports expired sessions, through a sorted-set index of deadlines (default off: Redis
         * removes expired sessions by TTL and listeners hear of invalidations only).
         */
        public Builder expiryListeners(boolean value) {
            this.expiryListeners = value;
            return this;
        }

        /**
         * In listener mode, how long an expired session outlives its deadline so the sweeper sees it (default
         * {@link #DEFAULT_EXPIRY_GRACE}, at most {@link #MAX_EXPIRY_GRACE}).
         */
        public Builder expiryGrace(Duration value) {
            requirePositive("expiryGrace", value);
            if (value.compareTo(MAX_EXPIRY_GRACE) > 0) {
                throw new IllegalArgumentException("expiryGrace must be at most " + MAX_EXPIRY_GRACE + ": " + value);
            }
            this.expiryGrace = value;
            return this;
        }

        /**
         * Acknowledges a write (create, change, id change, delete) only once {@code replicas} replicas of the master that
         * took it confirmed it, through {@code WAIT replicas timeout} after the write, on the same connection (default
         * off: Redis replicates asynchronously, and a failover may lose the last writes a master acknowledged). A write
         * that fewer replicas confirm within {@code timeout} fails with {@link SessionStoreUnavailableException} (the
         * visitor gets 503 and no cookie), although it may stand on the master. {@code WAIT} holds the connection it is
         * sent on, so while a replica lags, the commands queued behind it on that connection wait too: {@code timeout}
         * must be shorter than the {@linkplain #commandTimeout command timeout}, which still bounds every call.
         *
         * @param replicas 0 (off) to {@value #MAX_WAIT_REPLICAS}
         * @param timeout positive; checked against the command timeout by {@link #build()}
         */
        public Builder waitForReplicas(int replicas, Duration timeout) {
            if (replicas < 0 || replicas > MAX_WAIT_REPLICAS) {
                throw new IllegalArgumentException("waitForReplicas must be 0 (off) to " + MAX_WAIT_REPLICAS + ": " + replicas);
            }
            this.waitTimeout = requirePositive("waitForReplicas timeout", timeout);
            this.waitReplicas = replicas;
            return this;
        }

        /**
         * Treats a single URI as a cluster node (e.g. a managed cluster's configuration endpoint; default false); lists
         * always are.
         *
         * @throws IllegalArgumentException for a Sentinel URI, which names one master, never a cluster
         */
        public Builder cluster(boolean value) {
            if (value && target != null && target.sentinel()) {
                throw new IllegalArgumentException("a Sentinel URI cannot name a cluster: " + target.masked());
            }
            this.cluster = value;
            return this;
        }

        /**
         * A store connected at once (waiting at most the connect timeout plus three command timeouts, what one attempt
         * can take); a Redis that cannot be reached now is tried again on later calls, which fail with
         * {@link SessionStoreUnavailableException} within the command timeout until it answers.
         */
        public RedisSessionStore build() {
            if (waitReplicas > 0 && waitTimeout.compareTo(commandTimeout) >= 0) {
                throw new IllegalArgumentException("waitForReplicas timeout must be shorter than the command timeout ("
                        + commandTimeout + "): " + waitTimeout);
            }
            if (ownClient != null) {
                Supplier<StatefulConnection<String, String>> connect = ownClient;
                return new RedisSessionStore(this, () -> RedisConnection.Link.of(connect.get()), () -> { }, ownClientDescription);
            }
            return fromTarget();
        }

        private RedisSessionStore fromTarget() {
            SocketOptions socket = SocketOptions.builder().connectTimeout(connectTimeout).keepAlive(true).build();
            TimeoutOptions timeouts = TimeoutOptions.enabled(commandTimeout);
            for (RedisURI uri : target.uris()) {
                uri.setTimeout(commandTimeout);
            }
            ClientResources resources = ClientResources.builder()
                    // Reconnect quickly once Redis is back; Lettuce's default backs off to 30 s.
                    .reconnectDelay(Delay.exponential(Duration.ofMillis(10), Duration.ofSeconds(1), 2, TimeUnit.MILLISECONDS))
                    .build();
            AbstractRedisClient created = null;
            try {
                if (cluster || target.uris().size() > 1) {
                    RedisClusterClient client = RedisClusterClient.create(resources, target.uris());
                    created = client;
                    client.setOptions(ClusterClientOptions.builder()
                            .autoReconnect(true)
                            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                            .requestQueueSize(REQUEST_QUEUE_SIZE)
                            .socketOptions(socket)
                            .timeoutOptions(timeouts)
                            .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                                    .enableAllAdaptiveRefreshTriggers()
                                    .adaptiveRefreshTriggersTimeout(ADAPTIVE_REFRESH_PAUSE)
                                    .enablePeriodicRefresh(Duration.ofMinutes(1))
                                    .build())
                            .build());
                    return new RedisSessionStore(this, () -> RedisConnection.Link.of(client.connect(StringCodec.UTF8)),
                            () -> shutdown(client, resources), "Redis Cluster " + target.masked());
                }
                RedisClient client = RedisClient.create(resources);
                created = client;
                client.setOptions(ClientOptions.builder()
                        .autoReconnect(true)
                        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                        .requestQueueSize(REQUEST_QUEUE_SIZE)
                        .socketOptions(socket)
                        .timeoutOptions(timeouts)
                        .build());
                RedisURI uri = target.uris().get(0);
                return new RedisSessionStore(this, () -> RedisConnection.Link.of(client.connect(StringCodec.UTF8, uri)),
                        () -> shutdown(client, resources), (target.sentinel() ? "Redis via Sentinel " : "Redis ") + target.masked());
            } catch (RuntimeException e) {
                // a store that was built closed the client itself already; shutting down twice is harmless
                if (created != null) {
                    shutdown(created, resources);
                } else {
                    resources.shutdown(0, 2, TimeUnit.SECONDS);
                }
                throw e;
            }
        }

        private static void shutdown(AbstractRedisClient client, ClientResources resources) {
            try {
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            } finally {
                resources.shutdown(0, 2, TimeUnit.SECONDS);
            }
        }

        private static Duration requirePositive(String name, Duration value) {
            Objects.requireNonNull(value, name);
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException(name + " must be positive: " + value);
            }
            return value;
        }
    }
}
