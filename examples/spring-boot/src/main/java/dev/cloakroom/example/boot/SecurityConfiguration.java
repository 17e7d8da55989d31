package dev.cloakroom.example.boot;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;

/**
 * Every page behind Spring Security's generated login form (CSRF on, the default), except the health check a load
 * balancer asks for; "remember me" on that form; at most {@code example.maximum-sessions} sessions per user (a login
 * beyond ends the least recently used); logout at {@code POST /logout}. When
 * {@code spring.security.oauth2.client.registration.*} names an OpenID Connect provider, the login page offers it too.
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfiguration {
    @Bean
    SecurityFilterChain web(HttpSecurity http, UserDetailsService users, @Value("${example.remember-me-key}") String rememberMeKey,
                            @Value("${example.maximum-sessions}") int maximumSessions,
                            ObjectProvider<ClientRegistrationRepository> providers) throws Exception {
        http.authorizeHttpRequests(requests -> requests.requestMatchers("/error", "/actuator/health").permitAll().anyRequest().authenticated())
                .formLogin(form -> form.permitAll())
                .rememberMe(rememberMe -> rememberMe.key(rememberMeKey).userDetailsService(users))
                // counted in the store by the starter's SessionRegistry, across instances: a new login ends the oldest
                .sessionManagement(sessions -> sessions.maximumSessions(maximumSessions))
                .logout(logout -> logout.permitAll());
        if (providers.getIfAvailable() != null) {
            http.oauth2Login(Customizer.withDefaults());
        }
        return http.build();
    }

    /** One user, {@code alice}, whose password is {@code example.password}: kept in plain text so a leak would show. */
    @Bean
    UserDetailsService users(@Value("${example.password}") String password) {
        return new InMemoryUserDetailsManager(User.withUsername("alice").password("{noop}" + password).roles("USER").build());
    }
}
