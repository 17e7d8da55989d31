package dev.cloakroom;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything about sessions that is not specific to one store: lifetimes, write throttling, size cap, sweeping and
 * the cookie. Immutable; build it once with {@link #builder()} or read it from Flask-Session-style settings with
 * {@link #fromSettings(Settings)}. Each default is a named constant and is listed in the README's settings table.
 */
public final class CloakroomConfig {
    /** {@code PERMANENT_SESSION_LIFETIME}: 31 days, Flask's default. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofDays(31);
    /** Fraction of the idle timeout after which a read-only request writes a touch. */
    public static final double DEFAULT_TOUCH_RATIO = 0.1;
    /** Cap on one session's encoded attributes. */
    public static final long DEFAULT_MAX_SESSION_BYTES = 4L * 1024 * 1024;
    /** {@code SESSION_CLEANUP_INTERVAL}. */
    public static final Duration DEFAULT_CLEANUP_INTERVAL = Duration.ofSeconds(60);
    /** Records one sweep batch deletes at most. */
    public static final int DEFAULT_SWEEP_BATCH_SIZE = 500;
    /** Time one sweep run may spend before it yields until the next run. */
    public static final Duration DEFAULT_SWEEP_TIME_BUDGET = Duration.ofSeconds(10);
    /** Bound on every store call. */
    public static final Duration DEFAULT_STORE_TIMEOUT = Duration.ofSeconds(2);
    /** {@code SESSION_COOKIE_NAME}. */
    public static final String DEFAULT_COOKIE_NAME = "session";

    private final Duration idleTimeout;
    private final Duration absoluteTimeout;
    private final boolean permanent;
    private final double touchRatio;
    private final long maxSessionBytes;
    private final Duration cleanupInterval;
    private final int sweepBatchSize;
    private final Duration sweepTimeBudget;
    private final Duration storeTimeout;
    private final String cookieName;
    private final CookieSecure cookieSecure;
    private final SameSite sameSite;
    private final boolean trustForwardedProto;
    private final List<String> signingKeys;
    private final boolean sweeping;

    private CloakroomConfig(Builder b) {
        this.idleTimeout = requirePositive("idleTimeout", b.idleTimeout);
        this.absoluteTimeout = b.absoluteTimeout == null ? null : requirePositive("absoluteTimeout", b.absoluteTimeout);
        this.permanent = b.permanent;
        if (!(b.touchRatio >= 0 && b.touchRatio <= 1)) {
            throw new IllegalArgumentException("touchRatio must be within [0, 1]: " + b.touchRatio);
        }
        this.touchRatio = b.touchRatio;
        if (b.maxSessionBytes < 1) {
            throw new IllegalArgumentException("maxSessionBytes must be positive: " + b.maxSessionBytes);
        }
        this.maxSessionBytes = b.maxSessionBytes;
        this.cleanupInterval = requirePositive("cleanupInterval", b.cleanupInterval);
        if (b.sweepBatchSize < 1) {
            throw new IllegalArgumentException("sweepBatchSize must be positive: " + b.sweepBatchSize);
        }
        this.sweepBatchSize = b.sweepBatchSize;
        this.sweepTimeBudget = requirePositive("sweepTimeBudget", b.sweepTimeBudget);
        this.storeTimeout = requirePositive("storeTimeout", b.storeTimeout);
        if (b.cookieName == null || !b.cookieName.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]+")) {
            throw new IllegalArgumentException("cookieName must be a cookie token: " + b.cookieName);
        }
        this.cookieName = b.cookieName;
        this.cookieSecure = Objects.requireNonNull(b.cookieSecure, "cookieSecure");
        this.sameSite = Objects.requireNonNull(b.sameSite, "sameSite");
        if (sameSite == SameSite.NONE && cookieSecure == CookieSecure.NEVER) {
            throw new IllegalArgumentException("SameSite=None needs a Secure cookie; cookieSecure is NEVER");
        }
        this.trustForwardedProto = b.trustForwardedProto;
        for (String key : b.signingKeys) {
            if (key == null || key.length() < 16) {
                throw new IllegalArgumentException("a signing key must have at least 16 characters");
            }
        }
        this.signingKeys = List.copyOf(b.signingKeys);
        this.sweeping = b.sweeping;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Reads {@code PERMANENT_SESSION_LIFETIME}, {@code SESSION_ABSOLUTE_LIFETIME}, {@code SESSION_PERMANENT},
     * {@code SESSION_CLEANUP_INTERVAL}, {@code SESSION_MAX_SIZE}, {@code SESSION_STORE_TIMEOUT_MS},
     * {@code SESSION_COOKIE_NAME}, {@code SESSION_COOKIE_SECURE} ({@code auto}, {@code true}, {@code false}),
     * {@code SESSION_COOKIE_SAMESITE}, {@code SESSION_TRUST_FORWARDED_PROTO}, {@code SESSION_SWEEPER}, and
     * {@code SESSION_USE_SIGNER} with
     * {@code SECRET_KEY} and the comma-separated {@code SECRET_KEY_FALLBACKS}.
     */
    public static CloakroomConfig fromSettings(Settings settings) {
        Builder b = builder()
                .idleTimeout(settings.getSeconds("PERMANENT_SESSION_LIFETIME", DEFAULT_IDLE_TIMEOUT))
                .permanent(settings.getBoolean("SESSION_PERMANENT", true))
                .cleanupInterval(settings.getSeconds("SESSION_CLEANUP_INTERVAL", DEFAULT_CLEANUP_INTERVAL))
                .maxSessionBytes(settings.getLong("SESSION_MAX_SIZE", DEFAULT_MAX_SESSION_BYTES))
                .storeTimeout(Duration.ofMillis(settings.getLong("SESSION_STORE_TIMEOUT_MS", DEFAULT_STORE_TIMEOUT.toMillis())))
                .cookieName(settings.get("SESSION_COOKIE_NAME", DEFAULT_COOKIE_NAME))
                .sameSite(settings.getEnum("SESSION_COOKIE_SAMESITE", SameSite.class, SameSite.LAX))
                .trustForwardedProto(settings.getBoolean("SESSION_TRUST_FORWARDED_PROTO", false))
                .sweeping(settings.getBoolean("SESSION_SWEEPER", true));
        settings.findSeconds("SESSION_ABSOLUTE_LIFETIME").ifPresent(b::absoluteTimeout);
        String secure = settings.get("SESSION_COOKIE_SECURE", "auto");
        b.cookieSecure(secure.equalsIgnoreCase("auto") ? CookieSecure.AUTO
                : settings.getBoolean("SESSION_COOKIE_SECURE", false) ? CookieSecure.ALWAYS : CookieSecure.NEVER);
        if (settings.getBoolean("SESSION_USE_SIGNER", false)) {
            String secret = settings.find("SECRET_KEY").orElseThrow(() ->
                    new IllegalArgumentException("SESSION_USE_SIGNER is on but SECRET_KEY is not set"));
            var keys = new ArrayList<String>();
            keys.add(secret);
            settings.find("SECRET_KEY_FALLBACKS").ifPresent(list -> {
                for (String key : list.split(",")) {
                    if (!key.isBlank()) keys.add(key.trim());
                }
            });
            b.signingKeys(keys);
        }
        return b.build();
    }

    /** Idle timeout: a session not used for this long has expired. Sliding. */
    public Duration idleTimeout() { return idleTimeout; }

    /** Hard limit counted from creation, if any. */
    public Optional<Duration> absoluteTimeout() { return Optional.ofNullable(absoluteTimeout); }

    /** Persistent cookie with {@code Max-Age} (true) or a browser-session cookie (false); server expiry applies either way. */
    public boolean permanent() { return permanent; }

    /** A read-only request writes a touch once this fraction of the idle timeout has passed since the last write. */
    public double touchRatio() { return touchRatio; }

    public long maxSessionBytes() { return maxSessionBytes; }

    public Duration cleanupInterval() { return cleanupInterval; }

    public int sweepBatchSize() { return sweepBatchSize; }

    public Duration sweepTimeBudget() { return sweepTimeBudget; }

    /** The bound stores built from settings apply to every call (connect, command, statement). */
    public Duration storeTimeout() { return storeTimeout; }

    public String cookieName() { return cookieName; }

    public CookieSecure cookieSecure() { return cookieSecure; }

    public SameSite sameSite() { return sameSite; }

    /** Whether {@code X-Forwarded-Proto: https} from a proxy counts as HTTPS for {@link CookieSecure#AUTO}. */
    public boolean trustForwardedProto() { return trustForwardedProto; }

    /** HMAC keys for signed cookies, current first; empty when cookies are not signed. */
    public List<String> signingKeys() { return signingKeys; }

    /** Whether a {@link SessionManager} runs the sweeper in this process (false when a cron job sweeps instead). */
    public boolean sweeping() { return sweeping; }

    /** The effective settings in words, for the start-up log; signing keys are only counted. */
    @Override
    public String toString() {
        return "idle lifetime " + idleTimeout.toSeconds() + " s (sliding), absolute lifetime "
                + (absoluteTimeout == null ? "off" : absoluteTimeout.toSeconds() + " s") + ", "
                + (permanent ? "persistent (Max-Age)" : "browser-session") + " cookie '" + cookieName + "' (Secure "
                + cookieSecure.name().toLowerCase(Locale.ROOT) + ", SameSite=" + sameSite.attributeValue() + ", "
                + (signingKeys.isEmpty() ? "unsigned" : "signed, " + signingKeys.size() + " key(s)") + "), sessions up to "
                + maxSessionBytes + " bytes, store timeout " + storeTimeout.toMillis() + " ms, "
                + (sweeping ? "expired sessions swept every ~" + cleanupInterval.toSeconds() + " s"
                        : "no sweeper in this process (SESSION_SWEEPER=false)");
    }

    private static Duration requirePositive(String name, Duration value) {
        Objects.requireNonNull(value, name);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive: " + value);
        }
        return value;
    }

    /** Collects values; {@link #build()} validates them all. */
    public static final class Builder {
        private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
        private Duration absoluteTimeout;
        private boolean permanent = true;
        private double touchRatio = DEFAULT_TOUCH_RATIO;
        private long maxSessionBytes = DEFAULT_MAX_SESSION_BYTES;
        private Duration cleanupInterval = DEFAULT_CLEANUP_INTERVAL;
        private int sweepBatchSize = DEFAULT_SWEEP_BATCH_SIZE;
        private Duration sweepTimeBudget = DEFAULT_SWEEP_TIME_BUDGET;
        private Duration storeTimeout = DEFAULT_STORE_TIMEOUT;
        private String cookieName = DEFAULT_COOKIE_NAME;
        private CookieSecure cookieSecure = CookieSecure.AUTO;
        private SameSite sameSite = SameSite.LAX;
        private boolean trustForwardedProto;
        private List<String> signingKeys = List.of();
        private boolean sweeping = true;

        private Builder() {
        }

        public Builder idleTimeout(Duration value) { this.idleTimeout = value; return this; }
        public Builder absoluteTimeout(Duration value) { this.absoluteTimeout = value; return this; }
        public Builder permanent(boolean value) { this.permanent = value; return this; }
        public Builder touchRatio(double value) { this.touchRatio = value; return this; }
        public Builder maxSessionBytes(long value) { this.maxSessionBytes = value; return this; }
        public Builder cleanupInterval(Duration value) { this.cleanupInterval = value; return this; }
        public Builder sweepBatchSize(int value) { this.sweepBatchSize = value; return this; }
        public Builder sweepTimeBudget(Duration value) { this.sweepTimeBudget = value; return this; }
        public Builder storeTimeout(Duration value) { this.storeTimeout = value; return this; }
        public Builder cookieName(String value) { this.cookieName = value; return this; }
        public Builder cookieSecure(CookieSecure value) { this.cookieSecure = value; return this; }
        public Builder sameSite(SameSite value) { this.sameSite = value; return this; }
        public Builder trustForwardedProto(boolean value) { this.trustForwardedProto = value; return this; }
        public Builder signingKeys(List<String> value) { this.signingKeys = List.copyOf(value); return this; }
        public Builder sweeping(boolean value) { this.sweeping = value; return this; }

        public CloakroomConfig build() {
            return new CloakroomConfig(this);
        }
    }
}
