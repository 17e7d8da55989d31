package dev.cloakroom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CloakroomConfigTest {

    @Test
    void defaultsAreTheDocumentedOnes() {
        CloakroomConfig config = CloakroomConfig.fromSettings(Settings.of(Map.of()));

        assertThat(config.idleTimeout()).isEqualTo(Duration.ofSeconds(2_678_400));
        assertThat(config.absoluteTimeout()).isEmpty();
        assertThat(config.permanent()).isTrue();
        assertThat(config.cleanupInterval()).isEqualTo(Duration.ofSeconds(60));
        assertThat(config.storeTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(config.cookieName()).isEqualTo("session");
        assertThat(config.cookieSecure()).isEqualTo(CookieSecure.AUTO);
        assertThat(config.sameSite()).isEqualTo(SameSite.LAX);
        assertThat(config.signingKeys()).isEmpty();
        assertThat(config.sweeping()).isTrue();
        assertThat(config.maxSessionBytes()).isEqualTo(CloakroomConfig.DEFAULT_MAX_SESSION_BYTES);
        assertThat(config.touchRatio()).isEqualTo(CloakroomConfig.DEFAULT_TOUCH_RATIO);
        assertThat(config.trustForwardedProto()).isFalse();
    }

    @Test
    void storeTimeoutSizeCapForwardedProtoAndInsecureCookieAreRead() {
        CloakroomConfig config = CloakroomConfig.fromSettings(Settings.of(Map.of(
                "SESSION_STORE_TIMEOUT_MS", "750",
                "SESSION_MAX_SIZE", "65536",
                "SESSION_TRUST_FORWARDED_PROTO", "yes",
                "SESSION_COOKIE_SECURE", "false")));

        assertThat(config.storeTimeout()).isEqualTo(Duration.ofMillis(750));
        assertThat(config.maxSessionBytes()).isEqualTo(65_536);
        assertThat(config.trustForwardedProto()).isTrue();
        assertThat(config.cookieSecure()).isEqualTo(CookieSecure.NEVER);
        assertThatThrownBy(() -> CloakroomConfig.fromSettings(Settings.of(Map.of("SESSION_STORE_TIMEOUT_MS", "0"))))
                .hasMessage("storeTimeout must be positive: PT0S");
    }

    @Test
    void flaskSessionNamesAreRead() {
        CloakroomConfig config = CloakroomConfig.fromSettings(Settings.of(Map.ofEntries(
                Map.entry("PERMANENT_SESSION_LIFETIME", "60"),
                Map.entry("SESSION_ABSOLUTE_LIFETIME", "3600"),
                Map.entry("SESSION_PERMANENT", "False"),
                Map.entry("SESSION_CLEANUP_INTERVAL", "5"),
                Map.entry("SESSION_COOKIE_NAME", "ticket"),
                Map.entry("SESSION_COOKIE_SECURE", "true"),
                Map.entry("SESSION_COOKIE_SAMESITE", "strict"),
                Map.entry("SESSION_SWEEPER", "off"),
                Map.entry("SESSION_USE_SIGNER", "true"),
                Map.entry("SECRET_KEY", "0123456789abcdef-current"),
                Map.entry("SECRET_KEY_FALLBACKS", "0123456789abcdef-old1, 0123456789abcdef-old2"))));

        assertThat(config.idleTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(config.absoluteTimeout()).contains(Duration.ofHours(1));
        assertThat(config.permanent()).isFalse();
        assertThat(config.cleanupInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.cookieName()).isEqualTo("ticket");
        assertThat(config.cookieSecure()).isEqualTo(CookieSecure.ALWAYS);
        assertThat(config.sameSite()).isEqualTo(SameSite.STRICT);
        assertThat(config.sweeping()).isFalse();
        assertThat(config.signingKeys()).containsExactly("0123456789abcdef-current", "0123456789abcdef-old1", "0123456789abcdef-old2");
        assertThat(config.toString()).doesNotContain("0123456789abcdef");
    }

    @Test
    void badValuesAreRejectedNamingTheSettingAndValue() {
        assertThatThrownBy(() -> CloakroomConfig.fromSettings(Settings.of(Map.of("SESSION_PERMANENT", "maybe"))))
                .hasMessage("SESSION_PERMANENT must be true or false: 'maybe'");
        assertThatThrownBy(() -> CloakroomConfig.fromSettings(Settings.of(Map.of("PERMANENT_SESSION_LIFETIME", "30d"))))
                .hasMessage("PERMANENT_SESSION_LIFETIME must be a whole number: '30d'");
        assertThatThrownBy(() -> CloakroomConfig.fromSettings(Settings.of(Map.of("SESSION_CLEANUP_INTERVAL", "-1"))))
                .hasMessage("cleanupInterval must be positive: PT-1S");
        assertThatThrownBy(() -> CloakroomConfig.fromSettings(Settings.of(Map.of("SESSION_COOKIE_SAMESITE", "sometimes"))))
                .hasMessageStartingWith("SESSION_COOKIE_SAMESITE must be one of");
        assertThatThrownBy(() -> CloakroomConfig.fromSettings(Settings.of(Map.of("SESSION_USE_SIGNER", "true"))))
                .hasMessageContaining("SECRET_KEY");
        assertThatThrownBy(() -> CloakroomConfig.builder().cookieName("a;b").build()).hasMessageContaining("cookieName");
        assertThatThrownBy(() -> CloakroomConfig.builder().sameSite(SameSite.NONE).cookieSecure(CookieSecure.NEVER).build())
                .hasMessageContaining("SameSite=None");
        assertThatThrownBy(() -> CloakroomConfig.builder().touchRatio(1.5).build()).hasMessageContaining("touchRatio");
    }

    @Test
    void unknownStoreTypeIsRejectedListingTheKnownOnes() {
        CloakroomConfig config = CloakroomConfig.builder().build();
        assertThatThrownBy(() -> SessionStores.fromSettings(Settings.of(Map.of("SESSION_TYPE", "mongodb")), config))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("mongodb").hasMessageContaining("filesystem").hasMessageContaining("memory");
    }
}
