package dev.cloakroom.spring.boot;

import dev.cloakroom.spi.SessionStore;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * The {@code cloakroom} health component: whether the {@link SessionStore} answers. Present when Spring Boot's health
 * support is on the class path (Actuator brings it); {@code management.health.cloakroom.enabled=false} turns it off.
 */
@AutoConfiguration(after = CloakroomAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(SessionStore.class)
public final class CloakroomHealthAutoConfiguration {
    static final String BEAN_NAME = "cloakroomHealthIndicator";

    // On the method, not the class: its condition class is only looked up once the class-path check above passed.
    @Bean(BEAN_NAME)
    @ConditionalOnEnabledHealthIndicator("cloakroom")
    @ConditionalOnMissingBean(name = BEAN_NAME)
    HealthIndicator cloakroomHealthIndicator(SessionStore store) {
        return new CloakroomHealthIndicator(store);
    }
}
