package dev.cloakroom.redis;

import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.SessionKey;
import dev.cloakroom.spi.SessionRecord;
import dev.cloakroom.spi.SessionStore;
import dev.cloakroom.SessionStoreException;
import dev.cloakroom.SessionStoreUnavailableException;
import dev.cloakroom.spi.SessionWrite;
import dev.cloakroom.spi.SweepLease;
import dev.cloakroom.spi.WriteResult;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandInterruptedException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Consumer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
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
 */
public final class RedisSessionStore implements SessionStore {
    /** {@code SESSION_KEY_PREFIX}'s default, as in Flask-Session. */
    public static final String DEFAULT_KEY_PREFIX = "session:";
    /** {@code SESSION_REDIS}'s default. */
    public static final String DEFAULT_URI = "redis://127.0.0.1:6379";
    /** Bound on every command. */
    public static final Duration DEFAULT_COMMAND_TIMEOUT = CloakroomConfig.DEFAULT_STORE_TIMEOUT;
    /** Bound on opening a connection. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = CloakroomConfig.DEFAULT_STORE_TIMEOUT;
    /** How much longer than its deadline an expired session stays in listener mode, for the sweeper to report it. */
    public static final Duration DEFAULT_EXPIRY_GRACE = Duration.ofMinutes(10);

    private static final Logger LOG = LoggerFactory.getLogger(RedisSessionStore.class);
    /** Commands that may wait for an answer at once before new ones are refused (a hanging server fills it). */
    private static final int REQUEST_QUEUE_SIZE = 10_000;
    /** After a failed connect, calls fail at once for this long instead of each trying again. */
    private static final long CONNECT_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    private static final List<String> SHARDS = KeyLayout.shards();

    private final KeyLayout layout;
    private final Duration commandTimeout;
    private final boolean expiryListeners;
    private final long graceMillis;
    private final String description;
    private final Supplier<Link> connector;
    private final Runnable releaseClient;
    private final Object connectLock = new Object();
    private final AtomicInteger sweepCursor = new AtomicInteger();
    private volatile Link link;
    private volatile long lastConnectFailure;
    private volatile RuntimeException lastConnectError;
    private volatile boolean closed;

    /** One multiplexed connection, standalone or cluster, seen through the command set both share. */
    private record Link(StatefulConnection<String, String> connection, RedisClusterCommands<String, String> sync,
                        RedisClusterAsyncCommands<String, String> async) {
    }

    private RedisSessionStore(Builder b, Supplier<Link> connector, Runnable releaseClient, String description) {
        this.layout = b.layout;
        this.commandTimeout = b.commandTimeout;
        this.expiryListeners = b.expiryListeners;
        this.graceMillis = b.expiryListeners ? b.expiryGrace.toMillis() : 0;
        this.connector = connector;
        this.releaseClient = releaseClient;
        this.description = description + ", keys '" + layout.prefix() + "{..}v1…', expiry listeners "
                + (expiryListeners ? "on (grace " + b.expiryGrace.toSeconds() + " s)" : "off")
                + ", timeout " + commandTimeout.toMillis() + " ms";
        try {
            link();
        } catch (SessionStoreUnavailableException e) {
            LOG.warn("Redis is not reachable yet ({}); session requests answer 'unavailable' until it is: {}",
                    this.description, e.getCause() == null ? e.getMessage() : e.getCause().toString());
        }
    }

    /**
     * A store on the Redis that {@code uri} names: {@code redis://[user:password@]host:port[/db]}, {@code rediss://}
     * for TLS, {@code redis-sentinel://host:port[,host:port]/db#master}, or a comma-separated list of cluster nodes
     * ({@code redis://h1:7001,redis://h2:7002} or {@code h1:7001,h2:7002}). The store owns the Lettuce client it
     * creates and shuts it down on {@link #close()}.
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

    // ---- SessionStore ----

    @Override
    public Optional<SessionRecord> load(SessionKey key) {
        String redisKey = layout.sessionKey(key);
        Map<String, String> hash = call("load", l -> {
            try {
                return l.sync().hgetall(redisKey);
            } catch (RedisCommandExecutionException e) {
                if (isWrongType(e)) {
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
        long now = write.now().toEpochMilli();
        long expires = write.expiresAt().toEpochMilli();
        // Relative to the write's own clock, never Redis TIME; at least 1 ms, since PEXPIRE 0 would delete the key.
        long ttl = Math.max(1, expires - now) + graceMillis;
        List<String> args = new ArrayList<>(10 + 2 * write.upserts().size() + write.removals().size());
        args.add(write.create() ? "1" : "0");
        args.add(Long.toString(write.expectedVersion() == SessionWrite.ANY_VERSION ? -1 : write.expectedVersion()));
        args.add(Long.toString(now));
        args.add(Long.toString(write.createdAt().toEpochMilli()));
        args.add(Long.toString(write.lastAccessedAt().toEpochMilli()));
        args.add(Long.toString(write.maxInactiveInterval().toMillis()));
        args.add(Long.toString(expires));
        args.add(Long.toString(ttl));
        args.add(write.key().value());
        args.add(Integer.toString(write.upserts().size()));
        write.upserts().forEach((name, json) -> {
            args.add(RecordFields.attribute(name));
            args.add(json);
        });
        write.removals().forEach(name -> args.add(RecordFields.attribute(name)));
        String[] keys = expiryListeners
                ? new String[] {layout.sessionKey(write.key()), layout.indexKey(write.key())}
                : new String[] {layout.sessionKey(write.key())};
        Long answer = call("write", l -> LuaScript.WRITE.run(l.sync(), ScriptOutputType.INTEGER, keys, args.toArray(String[]::new)));
        return switch (answer.intValue()) {
            case 0 -> WriteResult.WRITTEN;
            case 1 -> WriteResult.CONFLICT;
            case 2 -> WriteResult.GONE;
            default -> throw new SessionStoreException("write script answered " + answer + " for " + write.key());
        };
    }

    @Override
    public boolean delete(SessionKey key) {
        String redisKey = layout.sessionKey(key);
        Long deleted = expiryListeners
                ? call("delete", l -> LuaScript.DELETE.run(l.sync(), ScriptOutputType.INTEGER,
                        new String[] {redisKey, layout.indexKey(key)}, key.value()))
                : call("delete", l -> l.sync().del(redisKey));
        return deleted != null && deleted > 0;
    }

    /**
     * In listener mode: deletes up to {@code limit} sessions whose deadline passed at {@code now}, walking the index
     * shards from where the previous call stopped, and returns them with their attributes. Without listeners Redis
     * deletes expired sessions by their TTL, and this returns nothing at no cost.
     */
    @Override
    public int sweep(Instant now, int limit, Consumer<SessionRecord> deleted) {
        List<SessionRecord> swept = sweepBatch(now, limit);
        swept.forEach(deleted);
        return swept.size();
    }

    private List<SessionRecord> sweepBatch(Instant now, int limit) {
        if (!expiryListeners || limit < 1) {
            return List.of();
        }
        long nowMillis = now.toEpochMilli();
        Range<Long> due = Range.from(Range.Boundary.unbounded(), Range.Boundary.including(nowMillis));
        // Counted first, then only the members this batch takes are fetched: asking every shard for `limit` members
        // would move up to 256 x limit of them to use `limit`. Each step is pipelined over the shards: one wait.
        List<Long> counts = call("sweep", l -> awaitAll(SHARDS.stream()
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
            return List.of();
        }
        List<List<String>> candidates = call("sweep", l -> awaitAll(taken.entrySet().stream()
                .map(e -> l.async().zrangebyscore(layout.indexKey(SHARDS.get(e.getKey())), due, Limit.create(0, e.getValue())))
                .toList()));
        List<SessionRecord> swept = new ArrayList<>();
        int n = 0;
        for (int shard : taken.keySet()) {
            List<String> members = candidates.get(n++);
            if (!members.isEmpty()) {
                swept.addAll(sweepShard(SHARDS.get(shard), members, nowMillis));
            }
            sweepCursor.set(shard + 1);
        }
        return swept;
    }

    private <T> List<T> awaitAll(List<RedisFuture<T>> futures) {
        List<T> results = new ArrayList<>(futures.size());
        for (RedisFuture<T> future : futures) {
            results.add(await(future));
        }
        return results;
    }

    private List<SessionRecord> sweepShard(String shard, List<String> members, long nowMillis) {
        String[] keys = new String[members.size() + 1];
        String[] args = new String[members.size() + 1];
        keys[0] = layout.indexKey(shard);
        args[0] = Long.toString(nowMillis);
        int n = 1;
        List<String> foreign = new ArrayList<>();
        for (String member : members) {
            if (SessionKey.isKey(member)) {
                keys[n] = layout.sessionKeyOfMember(member);
                args[n] = member;
                n++;
            } else {
                foreign.add(member);
            }
        }
        if (!foreign.isEmpty()) {
            // Not written by this store; dropped so they cannot crowd real entries out of every batch.
            LOG.warn("index {} held {} member(s) that are not session keys; removed", keys[0], foreign.size());
            call("sweep", l -> l.sync().zrem(keys[0], foreign.toArray(String[]::new)));
        }
        if (n == 1) {
            return List.of();
        }
        String[] usedKeys = Arrays.copyOf(keys, n);
        String[] usedArgs = Arrays.copyOf(args, n);
        List<Object> entries = call("sweep", l -> LuaScript.SWEEP.run(l.sync(), ScriptOutputType.MULTI, usedKeys, usedArgs));
        List<SessionRecord> records = new ArrayList<>(entries.size());
        for (Object entry : entries) {
            List<?> flat = (List<?>) entry;
            SessionKey key = new SessionKey(String.valueOf(flat.get(0)));
            Optional<SessionRecord> record = RecordFields.parse(key, RecordFields.fromFlatList(flat.subList(1, flat.size())));
            if (record.isPresent()) {
                records.add(record.get());
            } else {
                LOG.warn("expired {} was not a readable record; it was removed without telling listeners", key);
            }
        }
        return records;
    }

    /**
     * In listener mode, {@code SET <prefix>sweep-lock <token> NX PX ttl}: one sweeper at a time across every process
     * sharing this Redis; released by a compare-and-delete script so a lease that ran out never frees another's.
     */
    @Override
    public Optional<SweepLease> tryAcquireSweepLease(Duration ttl) {
        if (!expiryListeners) {
            return Optional.of(SweepLease.LOCAL);
        }
        String token = UUID.randomUUID().toString();
        String lockKey = layout.lockKey();
        String answer = call("sweep lock", l -> l.sync().set(lockKey, token, SetArgs.Builder.nx().px(Math.max(1, ttl.toMillis()))));
        if (!"OK".equals(answer)) {
            return Optional.empty();
        }
        return Optional.of(() -> {
            try {
                call("sweep unlock", l -> LuaScript.RELEASE.run(l.sync(), ScriptOutputType.INTEGER, new String[] {lockKey}, token));
            } catch (SessionStoreException e) {
                LOG.warn("could not release the sweep lock; it expires by itself within {} ms: {}", ttl.toMillis(), e.toString());
            }
        });
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public void close() {
        closed = true;
        synchronized (connectLock) {
            Link current = link;
            link = null;
            if (current != null) {
                try {
                    current.connection().close();
                } catch (RuntimeException e) {
                    LOG.debug("closing the Redis connection failed", e);
                }
            }
            releaseClient.run();
        }
    }

    // ---- connection and error handling ----

    private <T> T call(String what, Function<Link, T> action) {
        Link current = link();
        try {
            return action.apply(current);
        } catch (RedisException e) {
            throw translate(what, e);
        }
    }

    private Link link() {
        Link current = link;
        if (current != null) {
            return current;
        }
        synchronized (connectLock) {
            if (closed) {
                throw new SessionStoreException("the Redis session store is closed");
            }
            if (link != null) {
                return link;
            }
            long failedAt = lastConnectFailure;
            if (failedAt != 0 && System.nanoTime() - failedAt < CONNECT_RETRY_NANOS) {
                throw new SessionStoreUnavailableException("Redis is unreachable (" + description + ")", lastConnectError);
            }
            try {
                Link opened = connector.get();
                opened.connection().setTimeout(commandTimeout);
                prepare(opened);
                link = opened;
                lastConnectFailure = 0;
                LOG.info("connected: {}", description);
                return opened;
            } catch (RedisException e) {
                lastConnectFailure = System.nanoTime();
                lastConnectError = e;
                throw translate("connect", e);
            }
        }
    }

    /** Caches the scripts (a miss later costs one EVAL) and warns about an eviction policy that drops sessions. */
    private void prepare(Link opened) {
        for (LuaScript script : List.of(LuaScript.WRITE, LuaScript.DELETE, LuaScript.SWEEP, LuaScript.RELEASE)) {
            try {
                opened.sync().scriptLoad(script.text());
            } catch (RedisException e) {
                LOG.debug("SCRIPT LOAD failed; scripts are sent with EVAL when first needed: {}", e.toString());
                break;
            }
        }
        try {
            Map<String, String> config = opened.sync().configGet("maxmemory-policy");
            evictionWarning(config.get("maxmemory-policy")).ifPresent(LOG::warn);
        } catch (RedisException e) {
            // Managed Redis services often forbid CONFIG; the policy is then theirs to document.
            LOG.debug("cannot read maxmemory-policy (CONFIG may be disabled here): {}", e.toString());
        }
    }

    /** The warning to log for a {@code maxmemory-policy}, if it may evict live sessions. */
    static Optional<String> evictionWarning(String policy) {
        if (policy == null || !policy.toLowerCase(Locale.ROOT).startsWith("allkeys-")) {
            return Optional.empty();
        }
        return Optional.of("Redis maxmemory-policy is '" + policy + "': when memory runs out Redis evicts keys it "
                + "chooses, live sessions included, and their visitors lose their data. Use 'noeviction' (writes fail "
                + "with 503 instead) or a 'volatile-*' policy on a Redis of its own for sessions.");
    }

    private RuntimeException translate(String what, RedisException e) {
        String context = "Redis " + what + " failed (" + description + ")";
        if (e instanceof RedisCommandInterruptedException) {
            Thread.currentThread().interrupt();
            return new SessionStoreException(context + ": interrupted", e);
        }
        if (e instanceof RedisCommandTimeoutException) {
            return new SessionStoreUnavailableException("Redis did not answer " + what + " within "
                    + commandTimeout.toMillis() + " ms (" + description + ")", e);
        }
        if (e instanceof RedisCommandExecutionException) {
            return isTransient(e) ? new SessionStoreUnavailableException(context + ": " + e.getMessage(), e)
                    : new SessionStoreException(context + ": " + e.getMessage(), e);
        }
        // Anything else Lettuce raises is about the connection: refused, reset, rejected while reconnecting, queue full.
        return new SessionStoreUnavailableException(context + ": " + e.getMessage(), e);
    }

    /** Server errors that pass: loading, busy, failover, cluster resharding, out of memory. */
    private static boolean isTransient(RedisException e) {
        String message = String.valueOf(e.getMessage());
        for (String code : List.of("LOADING", "BUSY", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN", "READONLY", "OOM")) {
            if (message.startsWith(code)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isWrongType(RedisException e) {
        return String.valueOf(e.getMessage()).startsWith("WRONGTYPE");
    }

    private <T> T await(RedisFuture<T> future) {
        try {
            return future.get(commandTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RedisCommandInterruptedException(e);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new RedisCommandTimeoutException("no answer within " + commandTimeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof RedisException redis ? redis : new RedisException(cause);
        }
    }

    /** Collects the options; {@link #build()} validates them and connects (a Redis that is down is retried later). */
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

        /** Prefix of every key this store writes (default {@value #DEFAULT_KEY_PREFIX}); no braces or whitespace. */
        public Builder keyPrefix(String value) {
            this.layout = new KeyLayout(value);
            return this;
        }

        /** Bound on each command (default 2 s); also the bound a {@link SessionStoreUnavailableException} comes within. */
        public Builder commandTimeout(Duration value) {
            this.commandTimeout = requirePositive("commandTimeout", value);
            return this;
        }

        /** Bound on opening a connection (default 2 s); only for stores built from a URI. */
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

        /** In listener mode, how long an expired session outlives its deadline so the sweeper sees it (default 10 min). */
        public Builder expiryGrace(Duration value) {
            this.expiryGrace = requirePositive("expiryGrace", value);
            return this;
        }

        /** Treats a single URI as a cluster node (e.g. a managed cluster's configuration endpoint); lists always are. */
        public Builder cluster(boolean value) {
            this.cluster = value;
            return this;
        }

        /**
         * A store connected at once; a Redis that cannot be reached now is tried again on later calls, which fail
         * with {@link SessionStoreUnavailableException} until it answers.
         *
         * @throws IllegalArgumentException if a Sentinel URI was marked as a cluster
         */
        public RedisSessionStore build() {
            if (ownClient != null) {
                Supplier<StatefulConnection<String, String>> connect = ownClient;
                return new RedisSessionStore(this, () -> linkOf(connect.get()), () -> { }, ownClientDescription);
            }
            return fromTarget();
        }

        private RedisSessionStore fromTarget() {
            ClientResources resources = ClientResources.builder()
                    // Reconnect quickly once Redis is back; Lettuce's default backs off to 30 s.
                    .reconnectDelay(Delay.exponential(Duration.ofMillis(10), Duration.ofSeconds(1), 2, TimeUnit.MILLISECONDS))
                    .build();
            SocketOptions socket = SocketOptions.builder().connectTimeout(connectTimeout).keepAlive(true).build();
            TimeoutOptions timeouts = TimeoutOptions.enabled(commandTimeout);
            for (RedisURI uri : target.uris()) {
                uri.setTimeout(commandTimeout);
            }
            boolean asCluster = cluster || target.uris().size() > 1;
            if (target.sentinel() && asCluster) {
                throw new IllegalArgumentException("a Sentinel URI cannot name a cluster: " + target.masked());
            }
            try {
                if (asCluster) {
                    RedisClusterClient client = RedisClusterClient.create(resources, target.uris());
                    client.setOptions(ClusterClientOptions.builder()
                            .autoReconnect(true)
                            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                            .requestQueueSize(REQUEST_QUEUE_SIZE)
                            .socketOptions(socket)
                            .timeoutOptions(timeouts)
                            .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                                    .enableAllAdaptiveRefreshTriggers()
                                    .enablePeriodicRefresh(Duration.ofMinutes(1))
                                    .build())
                            .build());
                    return new RedisSessionStore(this, () -> linkOf(client.connect(StringCodec.UTF8)),
                            () -> shutdown(client, resources), "Redis Cluster " + target.masked());
                }
                RedisClient client = RedisClient.create(resources);
                client.setOptions(ClientOptions.builder()
                        .autoReconnect(true)
                        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                        .requestQueueSize(REQUEST_QUEUE_SIZE)
                        .socketOptions(socket)
                        .timeoutOptions(timeouts)
                        .build());
                RedisURI uri = target.uris().get(0);
                return new RedisSessionStore(this, () -> linkOf(client.connect(StringCodec.UTF8, uri)),
                        () -> shutdown(client, resources), (target.sentinel() ? "Redis via Sentinel " : "Redis ") + target.masked());
            } catch (RuntimeException e) {
                resources.shutdown(0, 2, TimeUnit.SECONDS);
                throw e;
            }
        }

        private static void shutdown(io.lettuce.core.AbstractRedisClient client, ClientResources resources) {
            try {
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            } finally {
                resources.shutdown(0, 2, TimeUnit.SECONDS);
            }
        }

        @SuppressWarnings("unchecked")
        private static Link linkOf(StatefulConnection<String, String> connection) {
            if (connection instanceof StatefulRedisClusterConnection<String, String> cluster) {
                return new Link(cluster, cluster.sync(), cluster.async());
            }
            StatefulRedisConnection<String, String> standalone = (StatefulRedisConnection<String, String>) connection;
            return new Link(standalone, standalone.sync(), standalone.async());
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
