package dev.cloakroom.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A real Redis Cluster of masters on free loopback ports, started for a test class: {@code redis-server
 * --cluster-enabled yes} processes joined with {@code redis-cli --cluster create}, ready once every node reports
 * {@code cluster_state:ok}. {@link #close()} stops them. Public for the CLI's tests (this module's test jar).
 */
public final class LocalRedisCluster implements AutoCloseable {
    private final List<RedisServerProcess> nodes = new ArrayList<>();

    private LocalRedisCluster() {
    }

    /** Starts {@code masters} nodes, each on a port free when it starts (chosen one by one, so never twice). */
    public static LocalRedisCluster start(int masters) {
        LocalRedisCluster cluster = new LocalRedisCluster();
        try {
            List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
            for (int i = 0; i < masters; i++) {
                int port = RedisServerProcess.freePort();
                cluster.nodes.add(RedisServerProcess.start(port, "--cluster-enabled", "yes",
                        "--cluster-config-file", "nodes-" + port + ".conf", "--cluster-node-timeout", "5000"));
                create.add("127.0.0.1:" + port);
            }
            create.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
            String output = RedisServerProcess.run(create, Duration.ofSeconds(60));
            if (!output.contains("All 16384 slots covered")) {
                throw new IllegalStateException("redis-cli --cluster create failed: " + output);
            }
            cluster.awaitOk(Duration.ofSeconds(30));
            return cluster;
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    /** The seed list as {@code SESSION_REDIS} takes it: {@code redis://127.0.0.1:P1,redis://127.0.0.1:P2,…}. */
    public String uri() {
        return String.join(",", nodes.stream().map(n -> "redis://127.0.0.1:" + n.port()).toList());
    }

    public List<RedisServerProcess> nodes() {
        return nodes;
    }

    private void awaitOk(Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            if (nodes.stream().allMatch(n -> n.cli("cluster", "info").contains("cluster_state:ok"))) {
                return;
            }
            RedisServerProcess.sleep(200);
        }
        throw new IllegalStateException("cluster did not reach cluster_state:ok");
    }

    @Override
    public void close() {
        nodes.forEach(RedisServerProcess::close);
    }
}
