package dev.cloakroom.example.boot;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterAll;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.redis.connection.DataType;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The example on Redis, reached through Boot's own {@code spring.data.redis.*} (no {@code cloakroom.redis.url}), with
 * keys under a prefix of its own. The app uses Spring Data Redis too, so the store runs on the Lettuce Boot manages.
 */
@Tag("server")
class RedisLoginTest extends LoginOverHttpContract {
    private static final String PREFIX = "boot-starter-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()) + ":";
    private static final Map<String, String> PROPERTIES = Map.of(
            "cloakroom.store", "redis",
            "cloakroom.redis.key-prefix", PREFIX,
            "spring.data.redis.host", "127.0.0.1",
            "spring.data.redis.port", "6379");

    @Autowired
    StringRedisTemplate redis;

    @DynamicPropertySource
    static void store(DynamicPropertyRegistry registry) {
        PROPERTIES.forEach((name, value) -> registry.add(name, () -> value));
    }

    @Override
    Map<String, String> storeProperties() {
        return PROPERTIES;
    }

    @Override
    List<String> storedText() {
        List<String> texts = new ArrayList<>();
        for (String key : redis.keys(PREFIX + "*")) {
            texts.add(key);
            DataType type = redis.type(key);
            switch (type) {
                case STRING -> texts.add(redis.opsForValue().get(key));
                case HASH -> redis.opsForHash().entries(key).forEach((field, value) -> {
                    texts.add(String.valueOf(field));
                    texts.add(String.valueOf(value));
                });
                case SET -> texts.addAll(redis.opsForSet().members(key));
                case ZSET -> texts.addAll(redis.opsForZSet().range(key, 0, -1));
                case LIST -> texts.addAll(redis.opsForList().range(key, 0, -1));
                default -> throw new AssertionError("unexpected Redis type " + type + " at " + key);
            }
        }
        return texts;
    }

    @AfterAll
    static void removeKeys() {
        RedisClient client = RedisClient.create("redis://127.0.0.1:6379");
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            List<String> keys = connection.sync().keys(PREFIX + "*");
            if (!keys.isEmpty()) {
                connection.sync().del(keys.toArray(String[]::new));
            }
        } finally {
            client.shutdown();
        }
    }
}
