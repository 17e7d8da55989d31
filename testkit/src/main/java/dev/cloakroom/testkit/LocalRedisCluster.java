package dev.cloakroom.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A real Redis Cluster on free loopback ports, started for a test: {@code redis-server --cluster-enabled yes}
 * processes joined with {@code redis-cli --cluster create}, ready once every node reports {@code cluster_state:ok}
 * and every replica is in sync with its master. {@link #close()} stops them.
 */
public final class LocalRedisCluster implements AutoCloseable {
    /**
     * How long a node may be silent before its peers count it as failed: what a failover waits for first. A test may
     * give {@code --cluster-node-timeout} among the server arguments instead (the last one given counts).
     */
    public static final Duration NODE_TIMEOUT = Duration.ofSeconds(5);

    private final List<RedisServerProcess> nodes = new ArrayList<>();
    private final List<String> serverArgs = new ArrayList<>();

    private LocalRedisCluster() {
    }

    /** Starts {@code masters} masters and no replicas. */
    public static LocalRedisCluster start(int masters) {
        return start(masters, 0);
    }

    /**
     * Starts {@code masters} masters with {@code replicasPerMaster} replicas each, each node on a port free when it
     * starts (chosen one by one, so never twice), each given {@code serverArgs} too (such as
     * {@code --cluster-require-full-coverage no}).
     */
    public static LocalRedisCluster start(int masters, int replicasPerMaster, String... serverArgs) {
        LocalRedisCluster cluster = new LocalRedisCluster();
        cluster.serverArgs.addAll(List.of(serverArgs));
        try {
            List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
            for (int i = 0; i < masters * (1 + replicasPerMaster); i++) {
                create.add("127.0.0.1:" + cluster.startNode().port());
            }
            create.addAll(List.of("--cluster-replicas", Integer.toString(replicasPerMaster), "--cluster-yes"));
            String output = RedisServerProcess.run(create, Duration.ofSeconds(60));
            if (!output.contains("All 16384 slots covered")) {
                throw new IllegalStateException("redis-cli --cluster create failed: " + output);
            }
            cluster.awaitOk(cluster.nodes, Duration.ofSeconds(30));
            cluster.awaitReplicasInSync(Duration.ofSeconds(30));
            return cluster;
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    private RedisServerProcess startNode() {
        int port = RedisServerProcess.freePort();
        List<String> args = new ArrayList<>(List.of("--cluster-enabled", "yes",
                "--cluster-config-file", "nodes-" + port + ".conf",
                "--cluster-node-timeout", Long.toString(NODE_TIMEOUT.toMillis())));
        args.addAll(serverArgs);
        RedisServerProcess node = RedisServerProcess.start(port, args.toArray(String[]::new));
        nodes.add(node);
        return node;
    }

    /** Starts a new node and joins it as a replica of {@code master}; returns once it is in sync. */
    public RedisServerProcess addReplica(RedisServerProcess master) {
        RedisServerProcess replica = startNode();
        String masterId = master.cli("cluster", "myid").trim();
        String output = RedisServerProcess.run(List.of("redis-cli", "--cluster", "add-node",
                "127.0.0.1:" + replica.port(), "127.0.0.1:" + master.port(), "--cluster-slave",
                "--cluster-master-id", masterId), Duration.ofSeconds(60));
        if (!output.contains("[OK] New node added correctly")) {
            throw new IllegalStateException("redis-cli --cluster add-node failed: " + output);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!replica.cli("info", "replication").contains("master_link_status:up")) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the new replica of port " + master.port() + " did not get in sync");
            }
            RedisServerProcess.sleep(100);
        }
        return replica;
    }

    /** The seed list as {@code SESSION_REDIS} takes it: {@code redis://127.0.0.1:P1,redis://127.0.0.1:P2,…}. */
    public String uri() {
        return String.join(",", nodes.stream().map(n -> "redis://127.0.0.1:" + n.port()).toList());
    }

    /** Every node, masters and replicas, in the order they were started. */
    public List<RedisServerProcess> nodes() {
        return nodes;
    }

    /** The nodes that are masters now (a failover changes the answer). */
    public List<RedisServerProcess> masters() {
        return nodes.stream().filter(n -> n.isAlive() && role(n).equals("master")).toList();
    }

    /** The live replicas of {@code master}, as {@code INFO replication} on each replica names its master's port. */
    public List<RedisServerProcess> replicasOf(RedisServerProcess master) {
        return nodes.stream().filter(n -> n != master && n.isAlive()
                && n.cli("info", "replication").contains("master_port:" + master.port() + "\r")).toList();
    }

    /**
     * After {@code dead} was killed: waits until one of its replicas serves as master, with {@code cluster_state:ok};
     * returns it. The other nodes may learn of the promotion a moment later.
     */
    public RedisServerProcess awaitFailover(RedisServerProcess dead, List<RedisServerProcess> itsReplicas, Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            for (RedisServerProcess replica : itsReplicas) {
                if (role(replica).equals("master") && replica.cli("cluster", "info").contains("cluster_state:ok")) {
                    return replica;
                }
            }
            RedisServerProcess.sleep(20);
        }
        throw new IllegalStateException("no replica of port " + dead.port() + " became master within " + limit);
    }

    private static String role(RedisServerProcess node) {
        String answer = node.cli("role").trim();
        int newline = answer.indexOf('\n');
        return newline < 0 ? answer : answer.substring(0, newline).trim();
    }

    private void awaitOk(List<RedisServerProcess> among, Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            if (among.stream().allMatch(n -> n.cli("cluster", "info").contains("cluster_state:ok"))) {
                return;
            }
            RedisServerProcess.sleep(200);
        }
        throw new IllegalStateException("cluster did not reach cluster_state:ok");
    }

    private void awaitReplicasInSync(Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            if (nodes.stream().filter(n -> role(n).equals("slave"))
                    .allMatch(n -> n.cli("info", "replication").contains("master_link_status:up"))) {
                return;
            }
            RedisServerProcess.sleep(200);
        }
        throw new IllegalStateException("the replicas did not reach master_link_status:up");
    }

    @Override
    public void close() {
        nodes.forEach(RedisServerProcess::close);
    }
}
