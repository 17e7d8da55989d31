package dev.cloakroom.spring.boot;

import dev.cloakroom.SessionManager;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * The {@code sessions} Actuator endpoint over Cloakroom's principal index. Present when Actuator is on the class path,
 * and served when the endpoint is exposed ({@code management.endpoints.web.exposure.include=sessions}).
 */
@AutoConfiguration(after = CloakroomAutoConfiguration.class)
@ConditionalOnClass(ConditionalOnAvailableEndpoint.class)
@ConditionalOnBean(SessionManager.class)
public final class CloakroomSessionsEndpointAutoConfiguration {
    // On the method, not the class: its condition class is only looked up once the class-path check above passed.
    @Bean
    @ConditionalOnAvailableEndpoint
    @ConditionalOnMissingBean
    CloakroomSessionsEndpoint cloakroomSessionsEndpoint(SessionManager manager) {
        return new CloakroomSessionsEndpoint(manager);
    }
}
