package dev.cloakroom.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.CookieSecure;
import dev.cloakroom.SameSite;
import dev.cloakroom.SessionCodec;
import dev.cloakroom.SessionManager;
import dev.cloakroom.memory.MemorySessionStore;
import dev.cloakroom.redis.RedisSessionStore;
import dev.cloakroom.servlet.CloakroomFilter;
import dev.cloakroom.spi.SessionStore;
import jakarta.servlet.DispatcherType;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.security.core.session.SessionRegistry;
import org.springframework.security.web.context.HttpSessionSecurityContextRepository;

@Tag("unit")
class CloakroomAutoConfigurationTest {
    private final WebApplicationContextRunner runner = new WebApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(CloakroomAutoConfiguration.class))
            .withPropertyValues("cloakroom.store=memory");

    record Cart(int items) {
    }

    @Test
    void springSecurityWhenPresentThenTheSecurityContextResolverAndTheStoreBackedRegistryAreRegistered() {
        runner.run(context -> {
            assertThat(context).getBean(CloakroomPrincipalResolver.class).isInstanceOf(SecurityContextPrincipalResolver.class);
            assertThat(context).getBean(SessionRegistry.class).isInstanceOf(CloakroomSessionRegistry.class);
        });
    }

    @Test
    void springSecurityWhenAbsentThenNeitherResolverNorRegistry() {
        runner.withClassLoader(new FilteredClassLoader(HttpSessionSecurityContextRepository.class))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).doesNotHaveBean(CloakroomPrincipalResolver.class);
                    assertThat(context).doesNotHaveBean(SessionRegistry.class);
                });
    }

    @Test
    void principalResolverWhenTheAppDeclaresOneThenItIsTheOnlyOne() {
        CloakroomPrincipalResolver own = session -> "everyone";
        runner.withBean(CloakroomPrincipalResolver.class, () -> own)
                .run(context -> assertThat(context).getBean(CloakroomPrincipalResolver.class).isSameAs(own));
    }

    @Test
    void timeoutWhenOnlyBootSessionTimeoutSetThenItsBareNumberIsSeconds() {
        runner.withPropertyValues("server.servlet.session.timeout=1800")
                .run(context -> assertThat(config(context.getBean(SessionManager.class)).idleTimeout()).isEqualTo(Duration.ofSeconds(1800)));
    }

    @Test
    void timeoutWhenBothSetThenCloakroomsWins() {
        runner.withPropertyValues("server.servlet.session.timeout=1800", "cloakroom.timeout=10m", "cloakroom.absolute-timeout=8h")
                .run(context -> {
                    CloakroomConfig config = config(context.getBean(SessionManager.class));
                    assertThat(config.idleTimeout()).isEqualTo(Duration.ofMinutes(10));
                    assertThat(config.absoluteTimeout()).hasValue(Duration.ofHours(8));
                });
    }

    @Test
    void timeoutWhenNothingSetThenBootsThirtyMinutes() {
        runner.run(context -> assertThat(config(context.getBean(SessionManager.class)).idleTimeout()).isEqualTo(Duration.ofMinutes(30)));
    }

    @Test
    void cookieWhenOnlyBootCookiePropertiesSetThenTheyApply() {
        runner.withPropertyValues("server.servlet.session.cookie.name=SID", "server.servlet.session.cookie.secure=true",
                        "server.servlet.session.cookie.same-site=strict")
                .run(context -> {
                    CloakroomConfig config = config(context.getBean(SessionManager.class));
                    assertThat(config.cookieName()).isEqualTo("SID");
                    assertThat(config.cookieSecure()).isEqualTo(CookieSecure.ALWAYS);
                    assertThat(config.sameSite()).isEqualTo(SameSite.STRICT);
                });
    }

    @Test
    void cookieWhenCloakroomPropertiesSetThenTheyWinOverBoots() {
        runner.withPropertyValues("server.servlet.session.cookie.name=SID", "server.servlet.session.cookie.secure=true",
                        "cloakroom.cookie.name=ticket", "cloakroom.cookie.secure=auto", "cloakroom.cookie.same-site=none")
                .run(context -> {
                    CloakroomConfig config = config(context.getBean(SessionManager.class));
                    assertThat(config.cookieName()).isEqualTo("ticket");
                    assertThat(config.cookieSecure()).isEqualTo(CookieSecure.AUTO);
                    assertThat(config.sameSite()).isEqualTo(SameSite.NONE);
                });
    }

    @Test
    void sameSiteWhenBootSaysOmittedThenStartFailsNamingTheProperty() {
        runner.withPropertyValues("server.servlet.session.cookie.same-site=omitted")
                .run(context -> assertThat(context).hasFailed().getFailure()
                        .rootCause().hasMessageContaining("server.servlet.session.cookie.same-site=omitted"));
    }

    @Test
    void filterWhenRegisteredThenBeforeSpringSecurityForRequestAsyncAndErrorDispatches() {
        runner.run(context -> {
            @SuppressWarnings("unchecked")
            FilterRegistrationBean<CloakroomFilter> registration = context.getBean(FilterRegistrationBean.class);
            assertThat(registration.getFilter()).isInstanceOf(CloakroomFilter.class);
            // Spring Security's DelegatingFilterProxy runs at SecurityFilterProperties.DEFAULT_FILTER_ORDER, -100.
            assertThat(registration.getOrder()).isLessThan(-100).isEqualTo(Integer.MIN_VALUE + 50);
            assertThat(registration.determineDispatcherTypes())
                    .containsExactlyInAnyOrder(DispatcherType.REQUEST, DispatcherType.ASYNC, DispatcherType.ERROR);
            assertThat(registration.getUrlPatterns()).containsExactly("/*");
        });
    }

    @Test
    void storeWhenTheAppDeclaresOneThenItIsTheOnlyStore() {
        MemorySessionStore own = new MemorySessionStore();
        runner.withPropertyValues("cloakroom.store=filesystem")
                .withBean(SessionStore.class, () -> own)
                .run(context -> assertThat(context.getBeansOfType(SessionStore.class).values()).containsExactly(own));
    }

    @Test
    void storeWhenRedisChosenWithoutARedisClientThenStartFailsSayingWhatToAdd() {
        runner.withPropertyValues("cloakroom.store=redis")
                .withClassLoader(new FilteredClassLoader("io.lettuce.core"))
                .run(context -> assertThat(context).hasFailed().getFailure()
                        .rootCause().hasMessageContaining("spring-boot-starter-data-redis"));
    }

    @Test
    void storeWhenNameUnknownThenStartFailsListingTheKnownOnes() {
        runner.withPropertyValues("cloakroom.store=mongo")
                .run(context -> assertThat(context).hasFailed().getFailure()
                        .hasStackTraceContaining("cloakroom.store").hasStackTraceContaining("mongo"));
    }

    @Test
    void codecWhenCustomizerDeclaredThenTheAppsTypeIsStorable() {
        runner.withBean(CloakroomCodecCustomizer.class, () -> codec -> codec.register("cart", Cart.class))
                .run(context -> {
                    SessionCodec codec = context.getBean(SessionCodec.class);
                    assertThat(codec.decode(codec.encode(new Cart(3)))).isEqualTo(new Cart(3));
                });
    }

    private static CloakroomConfig config(SessionManager manager) {
        return manager.config();
    }
}
