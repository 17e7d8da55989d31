package dev.cloakroom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
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
                .hasMessage("SESSION_STORE_TIMEOUT_MS must be a whole number of milliseconds from 1 to 300000: '0'");
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
                .hasMessage("PERMANENT_SESSION_LIFETIME must be a whole number of seconds from 1 to 315360000: '30d'");
        assertThatThrownBy(() -> CloakroomConfig.fromSettings(Settings.of(Map.of("SESSION_CLEANUP_INTERVAL", "-1"))))
                .hasMessage("SESSION_CLEANUP_INTERVAL must be a whole number of seconds from 1 to 86400: '-1'");
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
    void durationSettingWhenBeyondItsMaximumThenRefusedNamingSettingValueAndRange() {
        assertThatThrownBy(() -> CloakroomConfig.fromSettings(Settings.of(Map.of("PERMANENT_SESSION_LIFETIME", "9223372036854775807"))))
                .isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessage("PERMANENT_SESSION_LIFETIME must be a whole number of seconds from 1 to 315360000: '9223372036854775807'");
        assertThatThrownBy(() -> CloakroomConfig.fromSettings(Settings.of(Map.of("SESSION_ABSOLUTE_LIFETIME", "315360001"))))
                .hasMessage("SESSION_ABSOLUTE_LIFETIME must be a whole number of seconds from 1 to 315360000: '315360001'");
        assertThatThrownBy(() -> CloakroomConfig.fromSettings(Settings.of(Map.of("SESSION_CLEANUP_INTERVAL", "86401"))))
                .hasMessage("SESSION_CLEANUP_INTERVAL must be a whole number of seconds from 1 to 86400: '86401'");
        assertThatThrownBy(() -> CloakroomConfig.fromSettings(Settings.of(Map.of("SESSION_STORE_TIMEOUT_MS", "9223372036854775807"))))
                .hasMessage("SESSION_STORE_TIMEOUT_MS must be a whole number of milliseconds from 1 to 300000: '9223372036854775807'");
        assertThatThrownBy(() -> CloakroomConfig.fromSettings(Settings.of(Map.of("SESSION_STORE_RETRY_MS", "300001"))))
                .hasMessage("SESSION_STORE_RETRY_MS must be a whole number of milliseconds from 1 to 300000: '300001'");
        assertThatThrownBy(() -> CloakroomConfig.fromSettings(Settings.of(Map.of("SESSION_MAX_SIZE", "1073741825"))))
                .hasMessage("SESSION_MAX_SIZE must be a whole number from 1 to 1073741824: '1073741825'");
    }

    @Test
    void durationSettingWhenAtItsMaximumThenAccepted() {
        CloakroomConfig config = CloakroomConfig.fromSettings(Settings.of(Map.of(
                "PERMANENT_SESSION_LIFETIME", "315360000",
                "SESSION_ABSOLUTE_LIFETIME", "315360000",
                "SESSION_CLEANUP_INTERVAL", "86400",
                "SESSION_STORE_TIMEOUT_MS", "300000",
                "SESSION_STORE_RETRY_MS", "300000")));

        assertThat(config.idleTimeout()).isEqualTo(CloakroomConfig.MAX_LIFETIME);
        assertThat(config.absoluteTimeout()).contains(CloakroomConfig.MAX_LIFETIME);
        assertThat(config.cleanupInterval()).isEqualTo(CloakroomConfig.MAX_CLEANUP_INTERVAL);
        assertThat(config.storeTimeout()).isEqualTo(CloakroomConfig.MAX_STORE_TIMEOUT);
        assertThat(config.storeRetryInterval()).isEqualTo(CloakroomConfig.MAX_STORE_RETRY_INTERVAL);
    }

    @Test
    void numberSettingWhenOutOfLongRangeThenIllegalArgumentNamingTheSetting() {
        assertThatThrownBy(() -> CloakroomConfig.fromSettings(Settings.of(Map.of("PERMANENT_SESSION_LIFETIME", "99999999999999999999"))))
                .isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessage("PERMANENT_SESSION_LIFETIME must be a whole number of seconds from 1 to 315360000: '99999999999999999999'");
        assertThatThrownBy(() -> Settings.of(Map.of("SESSION_FILE_THRESHOLD", "99999999999999999999")).getLong("SESSION_FILE_THRESHOLD", 0))
                .isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessage("SESSION_FILE_THRESHOLD must be a whole number from -9223372036854775808 to 9223372036854775807: '99999999999999999999'");
        assertThatThrownBy(() -> Settings.of(Map.of("SESSION_STORE_RETRY_MS", "1.5")).getMillis("SESSION_STORE_RETRY_MS", Duration.ofSeconds(1), Duration.ofSeconds(5)))
                .isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessage("SESSION_STORE_RETRY_MS must be a whole number of milliseconds from 1 to 5000: '1.5'");
    }

    @Test
    void builderWhenGivenABadValueThenRefusesAtOnceNamingIt() {
        CloakroomConfig.Builder builder = CloakroomConfig.builder();

        assertThatThrownBy(() -> builder.idleTimeout(Duration.ofSeconds(Long.MAX_VALUE)))
                .hasMessage("idleTimeout must be at most PT87600H (3650 days): PT2562047788015215H30M7S");
        assertThatThrownBy(() -> builder.absoluteTimeout(Duration.ZERO)).hasMessage("absoluteTimeout must be positive: PT0S");
        assertThatThrownBy(() -> builder.cleanupInterval(Duration.ofDays(2))).hasMessage("cleanupInterval must be at most PT24H (1 day): PT48H");
        assertThatThrownBy(() -> builder.sweepTimeBudget(Duration.ofDays(1))).hasMessage("sweepTimeBudget must be at most PT1H: PT24H");
        assertThatThrownBy(() -> builder.storeTimeout(Duration.ofMinutes(6))).hasMessage("storeTimeout must be at most PT5M: PT6M");
        assertThatThrownBy(() -> builder.storeRetryInterval(Duration.ofMillis(-1))).hasMessage("storeRetryInterval must be positive: PT-0.001S");
        assertThatThrownBy(() -> builder.maxSessionBytes(0)).hasMessage("maxSessionBytes must be from 1 to 1073741824: 0");
        assertThatThrownBy(() -> builder.sweepBatchSize(0)).hasMessage("sweepBatchSize must be positive: 0");
        assertThatThrownBy(() -> builder.touchRatio(Double.NaN)).hasMessage("touchRatio must be within [0, 1]: NaN");
        assertThatThrownBy(() -> builder.cookieName("a b")).hasMessage("cookieName must be a cookie token: a b");
        assertThatThrownBy(() -> builder.signingKeys(List.of("short"))).hasMessage("a signing key must have at least 16 characters");
        assertThatThrownBy(() -> builder.idleTimeout(null)).isInstanceOf(NullPointerException.class).hasMessage("idleTimeout");
        assertThat(builder.build().idleTimeout()).as("a refused value leaves the default").isEqualTo(CloakroomConfig.DEFAULT_IDLE_TIMEOUT);
    }

    @Test
    void storeRetryIntervalWhenUnsetThenTheDefaultAndReadFromItsSetting() {
        assertThat(CloakroomConfig.builder().build().storeRetryInterval()).isEqualTo(CloakroomConfig.DEFAULT_STORE_RETRY_INTERVAL)
                .isEqualTo(Duration.ofSeconds(1));
        assertThat(CloakroomConfig.fromSettings(Settings.of(Map.of("SESSION_STORE_RETRY_MS", "250"))).storeRetryInterval())
                .isEqualTo(Duration.ofMillis(250));
    }

    @Test
    void storeSettingWhenOutOfRangeThenRefusedNamingTheSetting() {
        CloakroomConfig config = CloakroomConfig.builder().build();

        assertThatThrownBy(() -> SessionStores.fromSettings(Settings.of(Map.of("SESSION_TYPE", "memory", "SESSION_MAX_SESSIONS", "0")), config))
                .hasMessage("SESSION_MAX_SESSIONS must be a whole number from 1 to 9223372036854775807: '0'");
        assertThatThrownBy(() -> SessionStores.fromSettings(Settings.of(Map.of("SESSION_FILE_THRESHOLD", "-1")), config))
                .hasMessage("SESSION_FILE_THRESHOLD must be a whole number from 0 to 9223372036854775807: '-1'");
    }

    @Test
    void unknownStoreTypeIsRejectedListingTheKnownOnes() {
        CloakroomConfig config = CloakroomConfig.builder().build();
        assertThatThrownBy(() -> SessionStores.fromSettings(Settings.of(Map.of("SESSION_TYPE", "mongodb")), config))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("mongodb").hasMessageContaining("filesystem").hasMessageContaining("memory");
    }
}
