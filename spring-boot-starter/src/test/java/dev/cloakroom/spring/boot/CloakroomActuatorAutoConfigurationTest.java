package dev.cloakroom.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionManager;
import dev.cloakroom.SessionMetrics;
import dev.cloakroom.SessionStoreUnavailableException;
import dev.cloakroom.micrometer.MicrometerSessionMetrics;
import dev.cloakroom.spi.RecordPage;
import dev.cloakroom.spi.SessionRecord;
import dev.cloakroom.spi.SessionStore;
import dev.cloakroom.spi.SessionWrite;
import dev.cloakroom.spi.WriteResult;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;

@Tag("unit")
class CloakroomActuatorAutoConfigurationTest {
    private static final String HEALTH = CloakroomHealthAutoConfiguration.BEAN_NAME;

    private final WebApplicationContextRunner runner = new WebApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(CloakroomAutoConfiguration.class,
                    CloakroomMetricsAutoConfiguration.class, CloakroomHealthAutoConfiguration.class))
            .withPropertyValues("cloakroom.store=memory");

    @Test
    void metricsWhenTheAppHasAMeterRegistryThenTheManagerReportsToIt() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        runner.withBean(MeterRegistry.class, () -> registry)
                .run(context -> {
                    assertThat(context.getBean(SessionManager.class).metrics()).isInstanceOf(MicrometerSessionMetrics.class);
                    assertThat(registry.find(MicrometerSessionMetrics.STARTED).counter()).isNotNull();
                });
    }

    @Test
    void metricsWhenNoMeterRegistryThenTheManagerReportsNothing() {
        runner.run(context -> {
            assertThat(context).doesNotHaveBean(SessionMetrics.class);
            assertThat(context.getBean(SessionManager.class).metrics()).isSameAs(SessionMetrics.NO_OP);
        });
    }

    @Test
    void metricsWhenMicrometerIsNotOnTheClassPathThenTheAppStartsWithoutMeters() {
        runner.withClassLoader(new FilteredClassLoader("io.micrometer.core"))
                .run(context -> {
                    assertThat(context).hasNotFailed().doesNotHaveBean(SessionMetrics.class);
                    assertThat(context.getBean(SessionManager.class).metrics()).isSameAs(SessionMetrics.NO_OP);
                });
    }

    @Test
    void metricsWhenCloakroomMicrometerIsNotOnTheClassPathThenTheRegistryGetsNoMeters() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        runner.withBean(MeterRegistry.class, () -> registry)
                .withClassLoader(new FilteredClassLoader(MicrometerSessionMetrics.class))
                .run(context -> {
                    assertThat(context).hasNotFailed().doesNotHaveBean(SessionMetrics.class);
                    assertThat(registry.getMeters()).isEmpty();
                });
    }

    @Test
    void metricsWhenTheAppDeclaresItsOwnThenTheManagerUsesIt() {
        SessionMetrics own = new SessionMetrics() {
        };
        runner.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
                .withBean(SessionMetrics.class, () -> own)
                .run(context -> assertThat(context.getBean(SessionManager.class).metrics()).isSameAs(own));
    }

    @Test
    void healthWhenTheMemoryStoreAnswersThenUpWithItsDescription() {
        runner.run(context -> {
            Health health = context.getBean(HEALTH, HealthIndicator.class).health();
            assertThat(health.getStatus()).isEqualTo(Status.UP);
            assertThat(health.getDetails()).containsEntry("store", context.getBean(SessionStore.class).describe());
        });
    }

    @Test
    void healthWhenTheFilesystemStoreAnswersThenUp(@TempDir Path dir) {
        runner.withPropertyValues("cloakroom.store=filesystem", "cloakroom.filesystem.dir=" + dir)
                .run(context -> {
                    Health health = context.getBean(HEALTH, HealthIndicator.class).health();
                    assertThat(health.getStatus()).isEqualTo(Status.UP);
                    assertThat(health.getDetails().get("store").toString()).contains(dir.toString());
                });
    }

    @Test
    void healthWhenTheStoreThrowsThenDownWithItsMessage() {
        runner.withBean(SessionStore.class, UnreachableStore::new)
                .run(context -> {
                    Health health = context.getBean(HEALTH, HealthIndicator.class).health();
                    assertThat(health.getStatus()).isEqualTo(Status.DOWN);
                    assertThat(health.getDetails())
                            .containsEntry("error", UnreachableStore.MESSAGE)
                            .containsEntry("store", "unreachable test store");
                });
    }

    @Test
    void healthWhenBootsHealthSupportIsNotOnTheClassPathThenTheAppStartsWithoutTheIndicator() {
        runner.withClassLoader(new FilteredClassLoader("org.springframework.boot.health"))
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(HEALTH).hasSingleBean(SessionManager.class));
    }

    @Test
    void healthWhenDisabledByPropertyThenNoIndicator() {
        runner.withPropertyValues("management.health.cloakroom.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean(HEALTH));
    }

    /** Fails every call as a store whose server is down does, at once. */
    private static final class UnreachableStore implements SessionStore {
        static final String MESSAGE = "store down for the test";

        @Override
        public Optional<SessionRecord> load(SessionKey key) {
            throw new SessionStoreUnavailableException(MESSAGE);
        }

        @Override
        public WriteResult write(SessionWrite write) {
            throw new SessionStoreUnavailableException(MESSAGE);
        }

        @Override
        public boolean delete(SessionKey key) {
            throw new SessionStoreUnavailableException(MESSAGE);
        }

        @Override
        public int sweep(Instant now, int limit, Consumer<SessionRecord> deleted) {
            throw new SessionStoreUnavailableException(MESSAGE);
        }

        @Override
        public RecordPage list(String cursor, int limit) {
            throw new SessionStoreUnavailableException(MESSAGE);
        }

        @Override
        public String describe() {
            return "unreachable test store";
        }

        @Override
        public void close() {
        }
    }
}
