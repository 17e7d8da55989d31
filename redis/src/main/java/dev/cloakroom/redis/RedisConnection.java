package dev.cloakroom.redis;

import dev.cloakroom.spi.SessionStore;
import dev.cloakroom.SessionStoreException;
import dev.cloakroom.SessionStoreUnavailableException;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandInterruptedException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's one multiplexed connection: opened lazily, each call bounded by the command timeout, Lettuce's errors
 * translated into the store's exceptions, closed once.
 *
 * <p>Connecting (Sentinel lookups, handshake, loading the scripts) runs on a thread of its own, one attempt at a time;
 * callers wait for it at most the command timeout, so a Redis that stalls while being connected to cannot hold a
 * queue of callers for several timeouts in a row. After a failed attempt, calls fail at once for a short pause instead
 * of each trying again. Once open, Lettuce reconnects the connection by itself.
 */
final class RedisConnection implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RedisConnection.class);
    /** After a failed connect, calls fail at once for this long instead of each trying again. */
    private static final long CONNECT_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    private static final List<String> TRANSIENT_ERRORS =
            List.of("LOADING", "BUSY", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN", "READONLY", "OOM", "MOVED", "ASK");

    /** One connection, standalone or cluster, seen through the command set both share. */
    record Link(StatefulConnection<String, String> connection, RedisClusterCommands<String, String> sync,
                RedisClusterAsyncCommands<String, String> async, boolean cluster) {

        @SuppressWarnings("unchecked")
        static Link of(StatefulConnection<String, String> connection) {
            if (connection instanceof StatefulRedisClusterConnection<String, String> cluster) {
                return new Link(cluster, cluster.sync(), cluster.async(), true);
            }
            StatefulRedisConnection<String, String> standalone = (StatefulRedisConnection<String, String>) connection;
            return new Link(standalone, standalone.sync(), standalone.async(), false);
        }
    }

    private final Supplier<Link> connector;
    private final Runnable releaseClient;
    private final Duration commandTimeout;
    private final int waitReplicas;
    private final Duration waitTimeout;
    private final String description;
    private final Object lock = new Object();
    private volatile Link link;
    private CompletableFuture<Link> attempt;
    private long lastConnectFailure;
    private RuntimeException lastConnectError;
    private boolean closed;

    RedisConnection(Supplier<Link> connector, Runnable releaseClient, Duration commandTimeout, int waitReplicas,
                    Duration waitTimeout, String description) {
        this.connector = connector;
        this.releaseClient = releaseClient;
        this.commandTimeout = commandTimeout;
        this.waitReplicas = waitReplicas;
        this.waitTimeout = waitTimeout;
        this.description = description;
    }

    Duration commandTimeout() {
        return commandTimeout;
    }

    /** Runs {@code action} on the open connection; Lettuce's exceptions come out as the store's. */
    <T> T call(String what, Function<Link, T> action) {
        Link current = link();
        try {
            return action.apply(current);
        } catch (RedisException e) {
            throw translate(what, e);
        }
    }

    /**
     * Runs {@code action}, a write to {@code redisKey}'s slot, like {@link #call}; with {@code waitReplicas > 0}, then
     * sends {@code WAIT waitReplicas timeout} on the same connection and fails with
     * {@link SessionStoreUnavailableException} unless that many replicas confirmed. {@code WAIT} counts the writes of
     * the connection it is sent on, so on a cluster both go over the connection to the master serving the slot (not
     * the routing connection, which would send {@code WAIT} to any node); a stale slot map then shows as a
     * {@code MOVED} error, which is transient. The write may stand on the master even when the answer is a failure.
     */
    <T> T replicatedWrite(String what, String redisKey, Function<RedisClusterCommands<String, String>, T> action) {
        if (waitReplicas == 0) {
            return call(what, l -> action.apply(l.sync()));
        }
        return call(what, l -> {
            RedisClusterCommands<String, String> commands = l.connection() instanceof StatefulRedisClusterConnection<String, String> cluster
                    ? masterOf(cluster, redisKey).sync()
                    : l.sync();
            T answer = action.apply(commands);
            long confirmed = commands.waitForReplication(waitReplicas, waitTimeout.toMillis());
            if (confirmed < waitReplicas) {
                throw new SessionStoreUnavailableException("Redis " + what + ": " + confirmed + " of " + waitReplicas
                        + " replicas confirmed the write within " + waitTimeout.toMillis() + " ms (" + description + ")");
            }
            return answer;
        });
    }

    private static StatefulRedisConnection<String, String> masterOf(StatefulRedisClusterConnection<String, String> cluster,
                                                                    String redisKey) {
        RedisClusterNode node = cluster.getPartitions().getMasterBySlot(SlotHash.getSlot(redisKey));
        if (node == null) {
            throw new RedisException("no master known for the slot of a session key");
        }
        return cluster.getConnection(node.getNodeId());
    }

    /**
     * The cluster node that serves {@code redisKey}'s slot as far as this connection knows, without I/O; the whole
     * store on a standalone or Sentinel connection, or before the first connection.
     */
    Object nodeServing(String redisKey) {
        Link current = link;
        if (current == null || !(current.connection() instanceof StatefulRedisClusterConnection<String, String> cluster)) {
            return SessionStore.WHOLE_STORE;
        }
        RedisClusterNode node = cluster.getPartitions().getPartitionBySlot(SlotHash.getSlot(redisKey));
        return node == null ? SessionStore.WHOLE_STORE : "node " + node.getNodeId();
    }

    Link link() {
        return link(commandTimeout);
    }

    /** The open connection, opening it if needed; waits at most {@code wait}. */
    Link link(Duration wait) {
        Link current = link;
        if (current != null) {
            return current;
        }
        CompletableFuture<Link> pending;
        synchronized (lock) {
            if (closed) {
                throw new SessionStoreException("the Redis session store is closed");
            }
            if (link != null) {
                return link;
            }
            if (attempt == null) {
                if (lastConnectFailure != 0 && System.nanoTime() - lastConnectFailure < CONNECT_RETRY_NANOS) {
                    throw new SessionStoreUnavailableException("Redis is unreachable (" + description + ")", lastConnectError);
                }
                attempt = startAttempt();
            }
            pending = attempt;
        }
        try {
            return pending.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SessionStoreException("interrupted while connecting to Redis (" + description + ")", e);
        } catch (TimeoutException e) {
            // the attempt goes on in the background; a later call may find it done
            throw new SessionStoreUnavailableException("Redis did not accept a connection within " + wait.toMillis()
                    + " ms (" + description + ")", new RedisConnectionException("connecting took longer than "
                    + wait.toMillis() + " ms"));
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof RuntimeException runtime ? runtime : new SessionStoreException("connect failed", cause);
        }
    }

    private CompletableFuture<Link> startAttempt() {
        CompletableFuture<Link> result = new CompletableFuture<>();
        Thread connecting = new Thread(() -> {
            try {
                result.complete(opened(connector.get()));
            } catch (RedisException e) {
                result.completeExceptionally(failed(translate("connect", e)));
            } catch (RuntimeException e) {
                result.completeExceptionally(failed(e));
            }
        }, "cloakroom-redis-connect");
        connecting.setDaemon(true);
        connecting.start();
        return result;
    }

    private Link opened(Link opened) {
        opened.connection().setTimeout(commandTimeout);
        prepare(opened);
        synchronized (lock) {
            attempt = null;
            if (closed) {
                // closed while connecting: nobody will use or close this connection otherwise
                opened.connection().close();
                throw new SessionStoreException("the Redis session store is closed");
            }
            link = opened;
            lastConnectFailure = 0;
        }
        LOG.info("connected: {}", description);
        return opened;
    }

    private RuntimeException failed(RuntimeException e) {
        synchronized (lock) {
            attempt = null;
            lastConnectFailure = System.nanoTime();
            lastConnectError = e;
        }
        return e;
    }

    /** Caches the scripts (a miss later costs one EVAL) and warns about an eviction policy that drops sessions. */
    private static void prepare(Link opened) {
        for (LuaScript script : LuaScript.ALL) {
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

    /** Waits for pipelined commands, each within the command timeout. */
    <T> List<T> awaitAll(List<RedisFuture<T>> futures) {
        List<T> results = new ArrayList<>(futures.size());
        for (RedisFuture<T> future : futures) {
            results.add(await(future));
        }
        return results;
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

    RuntimeException translate(String what, RedisException e) {
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

    /**
     * Server errors that pass: loading, busy, failover, cluster resharding (a redirect reaches the store only on a
     * connection pinned to one node), out of memory.
     */
    private static boolean isTransient(RedisException e) {
        String message = String.valueOf(e.getMessage());
        return TRANSIENT_ERRORS.stream().anyMatch(message::startsWith);
    }

    static boolean isWrongType(RedisException e) {
        return String.valueOf(e.getMessage()).startsWith("WRONGTYPE");
    }

    /** Closes the connection and releases the client if the store owns it; a connect still running is closed too. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            Link current = link;
            link = null;
            if (current != null) {
                try {
                    current.connection().close();
                } catch (RuntimeException e) {
                    LOG.debug("closing the Redis connection failed", e);
                }
            }
        }
        releaseClient.run();
    }
}
