package dev.cloakroom.redis;

import io.lettuce.core.RedisURI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Where a store built from settings connects: one Redis (plain, TLS or through Sentinel) or the seed nodes of a
 * cluster, parsed from {@code SESSION_REDIS}. Passwords never reach a log line: {@link #masked()} hides them.
 */
record RedisTarget(List<RedisURI> uris, boolean sentinel, String masked) {

    static RedisTarget parse(String spec) {
        Objects.requireNonNull(spec, "uri");
        String trimmed = spec.trim();
        String masked = mask(trimmed);
        if (trimmed.isEmpty()) {
            throw new IllegalArgumentException("Redis URI is empty");
        }
        try {
            // A Sentinel URI lists its sentinels with commas itself; Lettuce reads it whole.
            if (trimmed.toLowerCase(Locale.ROOT).startsWith("redis-sentinel")) {
                return new RedisTarget(List.of(RedisURI.create(trimmed)), true, masked);
            }
            List<RedisURI> uris = new ArrayList<>();
            for (String part : trimmed.split(",")) {
                String node = part.trim();
                if (node.isEmpty()) {
                    continue;
                }
                if (!node.contains("://")) {
                    node = "redis://" + node;
                }
                String scheme = node.substring(0, node.indexOf("://")).toLowerCase(Locale.ROOT);
                if (!scheme.equals("redis") && !scheme.equals("rediss")) {
                    throw new IllegalArgumentException("scheme must be redis, rediss or redis-sentinel");
                }
                uris.add(RedisURI.create(node));
            }
            if (uris.isEmpty()) {
                throw new IllegalArgumentException("no node given");
            }
            return new RedisTarget(List.copyOf(uris), false, masked);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a Redis URI (redis://host:port, rediss://, redis-sentinel:// or a "
                    + "comma list of cluster nodes): '" + masked + "': " + mask(String.valueOf(e.getMessage())), e);
        }
    }

    /** The text with any {@code user:password@} replaced by {@code ***@}. */
    static String mask(String text) {
        return text.replaceAll("(?<=://)[^@/,]*@", "***@");
    }
}
