package dev.cloakroom.redis;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.Settings;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** {@code waitForReplicas} and its settings are refused when wrong, before any connection is tried. */
@Tag("unit")
class RedisWaitForReplicasSettingTest {

    @Test
    void waitForReplicasWhenOutOfRangeThenRejectedAtOnce() {
        RedisSessionStore.Builder builder = RedisSessionStore.builder("redis://127.0.0.1:1");
        assertThatThrownBy(() -> builder.waitForReplicas(-1, Duration.ofMillis(100)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("waitForReplicas must be 0 (off) to 16: -1");
        assertThatThrownBy(() -> builder.waitForReplicas(17, Duration.ofMillis(100)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("waitForReplicas must be 0 (off) to 16: 17");
        assertThatThrownBy(() -> builder.waitForReplicas(1, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("waitForReplicas timeout must be positive: PT0S");
    }

    @Test
    void buildWhenWaitNotShorterThanCommandTimeoutThenRejected() {
        RedisSessionStore.Builder builder = RedisSessionStore.builder("redis://127.0.0.1:1")
                .commandTimeout(Duration.ofSeconds(1)).waitForReplicas(1, Duration.ofSeconds(1));
        assertThatThrownBy(builder::build).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("waitForReplicas timeout must be shorter than the command timeout (PT1S): PT1S");
    }

    @Test
    void settingsWhenWaitReplicasOrTimeoutInvalidThenRejectedWithTheName() {
        RedisSessionStoreProvider provider = new RedisSessionStoreProvider();
        CloakroomConfig config = CloakroomConfig.builder().build();
        assertThatThrownBy(() -> provider.create(Settings.of(Map.of("SESSION_REDIS_WAIT_REPLICAS", "one")), config))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("SESSION_REDIS_WAIT_REPLICAS");
        assertThatThrownBy(() -> provider.create(Settings.of(Map.of("SESSION_REDIS_WAIT_REPLICAS", "17")), config))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("SESSION_REDIS_WAIT_REPLICAS");
        assertThatThrownBy(() -> provider.create(Settings.of(Map.of("SESSION_REDIS_WAIT_REPLICAS", "1",
                "SESSION_REDIS_WAIT_TIMEOUT_MS", "2000")), config))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("SESSION_REDIS_WAIT_TIMEOUT_MS");
    }
}
