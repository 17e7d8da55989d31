package dev.cloakroom.redis;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.api.sync.RedisServerCommands;
import java.util.Optional;

/**
 * One node's {@code maxmemory-policy}, for an operator's check ({@link RedisSessionStore#maxMemoryPolicies()}): each
 * master of a cluster, named {@code host:port}, or the one server. {@code policy} is empty when the node refuses
 * {@code CONFIG GET}, as managed services often do; {@code unreachable} says why a node did not answer.
 */
public record NodeMemoryPolicy(String node, Optional<String> policy, Optional<String> unreachable) {

    /** What {@code node} answers; a refused {@code CONFIG} is an unknown policy, not a failure. */
    static NodeMemoryPolicy read(String node, RedisServerCommands<String, String> commands) {
        try {
            return new NodeMemoryPolicy(node, Optional.ofNullable(commands.configGet("maxmemory-policy").get("maxmemory-policy")),
                    Optional.empty());
        } catch (RedisCommandExecutionException e) {
            return new NodeMemoryPolicy(node, Optional.empty(), Optional.empty());
        }
    }
}
