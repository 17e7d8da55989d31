package dev.cloakroom.example.boot;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;

/**
 * Every page behind Spring Security's generated login form (CSRF on, the default), except the health check a load
 * balancer asks for; logout at {@code POST /logout}.
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfiguration {
    @Bean
    SecurityFilterChain web(HttpSecurity http) throws Exception {
        http.authorizeHttpRequests(requests -> requests.requestMatchers("/error", "/actuator/health").permitAll().anyRequest().authenticated())
                .formLogin(form -> form.permitAll())
                .logout(logout -> logout.permitAll());
        return http.build();
    }

    /** One user, {@code alice}, whose password is {@code example.password}: kept in plain text so a leak would show. */
    @Bean
    UserDetailsService users(@Value("${example.password}") String password) {
        return new InMemoryUserDetailsManager(User.withUsername("alice").password("{noop}" + password).roles("USER").build());
    }
}
