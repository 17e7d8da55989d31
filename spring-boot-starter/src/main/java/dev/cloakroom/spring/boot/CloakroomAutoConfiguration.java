package dev.cloakroom.spring.boot;

import dev.cloakroom.SessionCodec;
import dev.cloakroom.SessionManager;
import dev.cloakroom.SessionMetrics;
import dev.cloakroom.file.FileSessionStore;
import dev.cloakroom.jdbc.JdbcSessionStore;
import dev.cloakroom.memory.MemorySessionStore;
import dev.cloakroom.redis.RedisSessionStore;
import dev.cloakroom.servlet.CloakroomFilter;
import dev.cloakroom.servlet.ServletSessionEvents;
import dev.cloakroom.spi.SessionStore;
import dev.cloakroom.spring.SpringCodecModule;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpSessionAttributeListener;
import jakarta.servlet.http.HttpSessionIdListener;
import jakarta.servlet.http.HttpSessionListener;
import java.util.EventListener;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.Environment;
import org.springframework.security.core.session.SessionRegistry;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.util.ClassUtils;

/**
 * Serves {@code HttpSession} from Cloakroom in a servlet Spring Boot application: a {@link SessionCodec}, a
 * {@link SessionStore} chosen by {@code cloakroom.store}, a {@link SessionManager} (closed at shutdown, which closes
 * the store) and the {@link CloakroomFilter} registered before Spring Security's filter chain. Each bean backs off when
 * the application declares its own. The container never creates a session of its own, since every request passes the
 * filter first.
 */
@AutoConfiguration(afterName = {
        "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
        "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration",
        "org.springframework.boot.security.oauth2.client.autoconfigure.OAuth2ClientAutoConfiguration"})
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@EnableConfigurationProperties(CloakroomProperties.class)
public final class CloakroomAutoConfiguration {
    static final String FILTER_NAME = "cloakroomFilter";

    @Bean
    @ConditionalOnMissingBean
    SessionCodec cloakroomSessionCodec(ObjectProvider<CloakroomCodecCustomizer> customizers) {
        SessionCodec.Builder codec = SessionCodec.builder();
        customizers.orderedStream().forEach(customizer -> customizer.customize(codec));
        return codec.build();
    }

    @Bean
    @ConditionalOnMissingBean
    ServletSessionEvents cloakroomSessionEvents(ObjectProvider<HttpSessionListener> sessionListeners,
                                                ObjectProvider<HttpSessionAttributeListener> attributeListeners,
                                                ObjectProvider<HttpSessionIdListener> idListeners) {
        // One bean may implement several of the three; ServletSessionEvents.add files it under each.
        Set<EventListener> listeners = new LinkedHashSet<>();
        sessionListeners.orderedStream().forEach(listeners::add);
        attributeListeners.orderedStream().forEach(listeners::add);
        idListeners.orderedStream().forEach(listeners::add);
        ServletSessionEvents events = new ServletSessionEvents();
        listeners.forEach(events::add);
        return events;
    }

    @Bean
    @ConditionalOnMissingBean
    SessionManager cloakroomSessionManager(ObjectProvider<SessionStore> store, SessionCodec codec, ServletSessionEvents events,
                                           ObjectProvider<SessionMetrics> metrics,
                                           ObjectProvider<CloakroomPrincipalResolver> principalResolver,
                                           CloakroomProperties properties, Environment environment) {
        SessionStore chosen = store.getIfAvailable(() -> {
            throw new IllegalStateException(missingStore(properties.getStore()));
        });
        SessionManager.Builder manager = SessionManager.builder(chosen)
                .config(CloakroomConfigs.from(properties, environment))
                .codec(codec)
                .listener(events);
        metrics.ifAvailable(manager::metrics);
        principalResolver.ifAvailable(manager::principalResolver);
        return manager.build();
    }

    @Bean
    @ConditionalOnMissingBean(name = "cloakroomFilterRegistration")
    FilterRegistrationBean<CloakroomFilter> cloakroomFilterRegistration(SessionManager manager, ServletSessionEvents events,
                                                                         CloakroomProperties properties) {
        FilterRegistrationBean<CloakroomFilter> registration = new FilterRegistrationBean<>(new CloakroomFilter(manager, events));
        registration.setName(FILTER_NAME);
        registration.addUrlPatterns("/*");
        registration.setOrder(properties.getFilter().getOrder());
        registration.setDispatcherTypes(DispatcherType.REQUEST, DispatcherType.ASYNC, DispatcherType.ERROR);
        registration.setAsyncSupported(true);
        return registration;
    }

    private static String missingStore(CloakroomProperties.StoreType type) {
        if (type == CloakroomProperties.StoreType.REDIS) {
            return "cloakroom.store=redis needs a Redis client on the class path: add"
                    + " org.springframework.boot:spring-boot-starter-data-redis (or io.lettuce:lettuce-core)";
        }
        return "no SessionStore for cloakroom.store=" + type.name().toLowerCase(Locale.ROOT);
    }

    // The manager closes the store it was given: the store beans have no destroy method of their own.

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnProperty(name = "cloakroom.store", havingValue = "filesystem", matchIfMissing = true)
    static class FilesystemStoreConfiguration {
        @Bean(destroyMethod = "")
        @ConditionalOnMissingBean
        SessionStore cloakroomSessionStore(CloakroomProperties properties) {
            return FileSessionStore.builder(properties.getFilesystem().getDir())
                    .lockTimeout(properties.getStoreTimeout())
                    .build();
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnProperty(name = "cloakroom.store", havingValue = "memory")
    static class MemoryStoreConfiguration {
        @Bean(destroyMethod = "")
        @ConditionalOnMissingBean
        SessionStore cloakroomSessionStore() {
            return new MemorySessionStore();
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnProperty(name = "cloakroom.store", havingValue = "jdbc")
    static class JdbcStoreConfiguration {
        @Bean(destroyMethod = "")
        @ConditionalOnMissingBean
        SessionStore cloakroomSessionStore(ObjectProvider<DataSource> dataSource, CloakroomProperties properties) {
            DataSource boots = dataSource.getIfAvailable(() -> {
                throw new IllegalStateException("cloakroom.store=jdbc keeps sessions in Boot's DataSource, and there is "
                        + "none: add spring-boot-starter-jdbc and the JDBC driver, and set spring.datasource.url");
            });
            return JdbcSessionStore.builder()
                    .dataSource(boots)
                    .table(properties.getJdbc().getTable())
                    .schemaMode(properties.getJdbc().getSchema())
                    .timeout(properties.getStoreTimeout())
                    .build();
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnProperty(name = "cloakroom.store", havingValue = "redis")
    @ConditionalOnClass(name = RedisStoreConfiguration.LETTUCE)
    static class RedisStoreConfiguration {
        static final String LETTUCE = "io.lettuce.core.RedisClient";
        private static final String BOOT_REDIS = "org.springframework.boot.data.redis.autoconfigure.DataRedisConnectionDetails";

        @Bean(destroyMethod = "")
        @ConditionalOnMissingBean
        SessionStore cloakroomSessionStore(CloakroomProperties properties, ApplicationContext context) {
            String url = properties.getRedis().getUrl();
            if (url == null || url.isBlank()) {
                url = ClassUtils.isPresent(BOOT_REDIS, context.getClassLoader())
                        ? BootRedisUri.of(context).orElse(RedisSessionStore.DEFAULT_URI)
                        : RedisSessionStore.DEFAULT_URI;
            }
            return RedisSessionStore.builder(url)
                    .keyPrefix(properties.getRedis().getKeyPrefix())
                    .commandTimeout(properties.getStoreTimeout())
                    .connectTimeout(properties.getStoreTimeout())
                    .build();
        }
    }

    /**
     * Sessions indexed by the Spring Security user signed in with them, and {@code maximumSessions(n)} counted in the
     * store: Spring Security takes a {@link SessionRegistry} bean when there is one.
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = SpringSecurityConfiguration.SECURITY_CONTEXT_REPOSITORY)
    static class SpringSecurityConfiguration {
        static final String SECURITY_CONTEXT_REPOSITORY = "org.springframework.security.web.context.HttpSessionSecurityContextRepository";

        @Bean
        @ConditionalOnMissingBean
        CloakroomPrincipalResolver cloakroomPrincipalResolver() {
            return new SecurityContextPrincipalResolver();
        }

        @Bean
        @ConditionalOnMissingBean
        SessionRegistry cloakroomSessionRegistry(SessionManager manager) {
            return new CloakroomSessionRegistry(manager);
        }
    }

    /** Stores authorized OAuth2 clients by registration id, rebuilt from the app's registrations (no client secret stored). */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(ClientRegistrationRepository.class)
    static class ClientRegistrationsConfiguration {
        @Bean
        @Order(Ordered.HIGHEST_PRECEDENCE)
        CloakroomCodecCustomizer cloakroomClientRegistrations(ObjectProvider<ClientRegistrationRepository> repository) {
            return codec -> repository.ifAvailable(found -> codec.install(SpringCodecModule.withClientRegistrations(found)));
        }
    }
}
