package dev.cloakroom.example.provider;

import dev.cloakroom.spring.boot.CloakroomAutoConfiguration;
import dev.cloakroom.spring.boot.CloakroomHealthAutoConfiguration;
import dev.cloakroom.spring.boot.CloakroomMetricsAutoConfiguration;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;

/**
 * Spring Authorization Server on a free port of {@code localhost} (the app under test is on {@code 127.0.0.1}, so the
 * browser keeps the two hosts' cookies apart), with one user and one client, the example app, allowed the
 * authorization code flow with {@code openid profile} and no consent page. Its own sessions are the container's: the
 * provider is not what is tested.
 */
public final class OidcProvider implements AutoCloseable {
    public static final String USER = "bob";
    public static final String PASSWORD = "provider-password-never-stored";
    /** The app's registration id, as in its redirect URI {@code /login/oauth2/code/local}. */
    public static final String REGISTRATION = "local";
    private static final String CLIENT_ID = "example-app";
    public static final String CLIENT_SECRET = "client-secret-never-stored";

    private final ConfigurableApplicationContext context;
    private final URI issuer;

    private OidcProvider(ConfigurableApplicationContext context) {
        this.context = context;
        this.issuer = URI.create("http://localhost:" + context.getEnvironment().getProperty("local.server.port"));
    }

    public static OidcProvider start() {
        String client = "--spring.security.oauth2.authorizationserver.client.example.";
        return new OidcProvider(new SpringApplicationBuilder(Provider.class).run(
                // not the example's application.properties
                "--spring.config.name=oidc-provider",
                "--server.port=0",
                client + "registration.client-id=" + CLIENT_ID,
                client + "registration.client-secret={noop}" + CLIENT_SECRET,
                client + "registration.client-authentication-methods=client_secret_basic",
                client + "registration.authorization-grant-types=authorization_code",
                // Any port of the loopback address matches (RFC 8252, 7.3), so the app's random port needs no listing.
                client + "registration.redirect-uris=http://127.0.0.1/login/oauth2/code/" + REGISTRATION,
                client + "registration.scopes=openid,profile",
                client + "require-authorization-consent=false"));
    }

    public URI issuer() {
        return issuer;
    }

    /** What the example app needs to offer this provider on its login page, with discovery from the issuer. */
    public Map<String, String> clientProperties() {
        Map<String, String> properties = new LinkedHashMap<>();
        String registration = "spring.security.oauth2.client.registration." + REGISTRATION + ".";
        properties.put(registration + "client-id", CLIENT_ID);
        properties.put(registration + "client-secret", CLIENT_SECRET);
        properties.put(registration + "scope", "openid,profile");
        properties.put("spring.security.oauth2.client.provider." + REGISTRATION + ".issuer-uri", issuer.toString());
        return properties;
    }

    @Override
    public void close() {
        context.close();
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration(
            exclude = {CloakroomAutoConfiguration.class, CloakroomHealthAutoConfiguration.class, CloakroomMetricsAutoConfiguration.class},
            excludeName = "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration")
    static class Provider {
        // Boot's own user (spring.security.user.*) backs off beside the authorization server's JwtDecoder.
        @Bean
        UserDetailsService providerUsers() {
            return new InMemoryUserDetailsManager(User.withUsername(USER).password("{noop}" + PASSWORD).roles("USER").build());
        }
    }
}
