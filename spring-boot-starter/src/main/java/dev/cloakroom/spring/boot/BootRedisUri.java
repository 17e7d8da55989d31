package dev.cloakroom.spring.boot;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.stream.Collectors;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.boot.data.redis.autoconfigure.DataRedisConnectionDetails;

/**
 * The Redis URI of Boot's {@link DataRedisConnectionDetails} ({@code spring.data.redis.*}, or a service connection),
 * in the form {@code RedisSessionStore.builder(String)} reads. Loaded only when Boot's Redis module is present.
 */
final class BootRedisUri {
    private BootRedisUri() {
    }

    static Optional<String> of(BeanFactory beans) {
        return Optional.ofNullable(beans.getBeanProvider(DataRedisConnectionDetails.class).getIfAvailable()).map(BootRedisUri::of);
    }

    /**
     * Checked in Boot's own order: Sentinel, cluster, then standalone. An SSL bundle turns on TLS ({@code rediss://})
     * with the JVM's trust store: the bundle's own key and trust material is not carried over.
     *
     * @throws IllegalStateException for a master/replica setup, which the store cannot connect to
     */
    static String of(DataRedisConnectionDetails details) {
        String credentials = credentials(details.getUsername(), details.getPassword());
        String scheme = details.getSslBundle() != null ? "rediss://" : "redis://";
        DataRedisConnectionDetails.Sentinel sentinel = details.getSentinel();
        if (sentinel != null) {
            // The sentinels' own credentials (spring.data.redis.sentinel.password) are not passed: Lettuce's URI has one set.
            return "redis-sentinel://" + credentials + sentinel.getNodes().stream().map(BootRedisUri::hostPort)
                    .collect(Collectors.joining(",")) + "/" + sentinel.getDatabase() + "#" + sentinel.getMaster();
        }
        DataRedisConnectionDetails.Cluster cluster = details.getCluster();
        if (cluster != null) {
            return cluster.getNodes().stream().map(node -> scheme + credentials + hostPort(node)).collect(Collectors.joining(","));
        }
        if (details.getMasterReplica() != null) {
            throw new IllegalStateException("cloakroom.store=redis cannot use Boot's master/replica Redis setup "
                    + "(spring.data.redis.masterreplica): set cloakroom.redis.url to the master");
        }
        DataRedisConnectionDetails.Standalone standalone = details.getStandalone();
        return scheme + credentials + standalone.getHost() + ":" + standalone.getPort() + "/" + standalone.getDatabase();
    }

    private static String credentials(String username, String password) {
        if (password == null || password.isEmpty()) {
            return "";
        }
        // Lettuce splits the decoded user info at its first ':', so a password alone needs an empty user name before it.
        return (username == null || username.isEmpty() ? "" : encode(username)) + ":" + encode(password) + "@";
    }

    private static String hostPort(DataRedisConnectionDetails.Node node) {
        return node.host() + ":" + node.port();
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
