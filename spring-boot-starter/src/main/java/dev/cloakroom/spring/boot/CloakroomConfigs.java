package dev.cloakroom.spring.boot;

import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.CookieSecure;
import dev.cloakroom.SameSite;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.core.env.Environment;

/**
 * Builds the {@link CloakroomConfig} from {@code cloakroom.*}, falling back to Boot's {@code server.servlet.session.*}
 * where a property means the same thing, as Spring Session does. Those are read from the environment, not from Boot's
 * {@code ServerProperties}, so that the starter does not need Boot's web server module.
 */
final class CloakroomConfigs {
    /** Boot's default of {@code server.servlet.session.timeout}, which is what an unset timeout means in a Boot app. */
    static final Duration BOOT_SESSION_TIMEOUT = Duration.ofMinutes(30);

    private CloakroomConfigs() {
    }

    static CloakroomConfig from(CloakroomProperties properties, Environment environment) {
        Binder binder = Binder.get(environment);
        CloakroomProperties.Cookie cookie = properties.getCookie();
        CloakroomConfig.Builder config = CloakroomConfig.builder()
                .idleTimeout(properties.getTimeout() != null ? properties.getTimeout() : bootTimeout(binder))
                .storeTimeout(properties.getStoreTimeout())
                .cleanupInterval(properties.getCleanupInterval())
                .sweeping(properties.isSweeper())
                .maxSessionBytes(properties.getMaxSize())
                .permanent(cookie.isPermanent())
                .cookieName(cookie.getName() != null ? cookie.getName()
                        : binder.bind("server.servlet.session.cookie.name", String.class).orElse(CloakroomConfig.DEFAULT_COOKIE_NAME))
                .cookieSecure(cookie.getSecure() != null ? cookie.getSecure()
                        : binder.bind("server.servlet.session.cookie.secure", Boolean.class)
                                .map(secure -> secure ? CookieSecure.ALWAYS : CookieSecure.NEVER).orElse(CookieSecure.AUTO))
                .sameSite(cookie.getSameSite() != null ? cookie.getSameSite()
                        : binder.bind("server.servlet.session.cookie.same-site", String.class)
                                .map(CloakroomConfigs::bootSameSite).orElse(SameSite.LAX));
        if (properties.getAbsoluteTimeout() != null) {
            config.absoluteTimeout(properties.getAbsoluteTimeout());
        }
        return config.build();
    }

    /** Boot binds {@code server.servlet.session.timeout} with seconds as the unit of a bare number ({@code 1800}). */
    private static Duration bootTimeout(Binder binder) {
        return binder.bind("server.servlet.session.timeout", String.class)
                .map(text -> DurationStyle.detectAndParse(text, ChronoUnit.SECONDS))
                .orElse(BOOT_SESSION_TIMEOUT);
    }

    private static SameSite bootSameSite(String value) {
        String name = value.trim().toUpperCase(Locale.ROOT);
        if (name.equals("OMITTED")) {
            throw new IllegalArgumentException("server.servlet.session.cookie.same-site=omitted has no Cloakroom "
                    + "equivalent (its cookie always carries SameSite): set cloakroom.cookie.same-site to strict, lax or none");
        }
        try {
            return SameSite.valueOf(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("server.servlet.session.cookie.same-site must be strict, lax or none: " + value, e);
        }
    }
}
