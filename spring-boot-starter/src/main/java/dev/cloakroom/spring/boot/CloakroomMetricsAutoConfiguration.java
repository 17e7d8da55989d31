package dev.cloakroom.spring.boot;

import dev.cloakroom.SessionManager;
import dev.cloakroom.SessionMetrics;
import dev.cloakroom.micrometer.MicrometerSessionMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Reports the {@link SessionManager}'s sessions and store calls as Micrometer meters ({@link MicrometerSessionMetrics})
 * in Boot's {@link MeterRegistry}, when the application has one (Spring Boot Actuator brings it). An application's own
 * {@link SessionMetrics} bean is used instead.
 */
@AutoConfiguration(before = CloakroomAutoConfiguration.class,
        afterName = "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration")
@ConditionalOnClass({MeterRegistry.class, MicrometerSessionMetrics.class})
@ConditionalOnBean(MeterRegistry.class)
public final class CloakroomMetricsAutoConfiguration {
    @Bean
    @ConditionalOnMissingBean
    SessionMetrics cloakroomSessionMetrics(MeterRegistry registry) {
        return new MicrometerSessionMetrics(registry);
    }
}
