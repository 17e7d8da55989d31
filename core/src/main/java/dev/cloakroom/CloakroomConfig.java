package dev.cloakroom;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Everything about sessions that is not specific to one store: lifetimes, write throttling, size cap, sweeping and
 * the cookie. Immutable; build it once with {@link #builder()} or read it from Flask-Session-style settings with
 * {@link #fromSettings(Settings)}. Each default is a named constant and is listed in the README's settings table.
 */
public final class CloakroomConfig {
    /** {@code PERMANENT_SESSION_LIFETIME}: 31 days, Flask's default. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofDays(31);
    /**
     * Longest idle or absolute lifetime: 10 years, far beyond any cookie a browser keeps, and far enough from the end of
     * {@link java.time.Instant}'s range that no deadline computed from it can overflow.
     */
    public static final Duration MAX_LIFETIME = Duration.ofDays(3650);
    /** Fraction of the idle timeout after which a read-only request writes a touch. */
    public static final double DEFAULT_TOUCH_RATIO = 0.1;
    /** {@code SESSION_MAX_SIZE}: cap on one session's encoded attributes. */
    public static final long DEFAULT_MAX_SESSION_BYTES = 4L * 1024 * 1024;
    /** Largest cap that may be configured: 1 GiB, well within what one Java string (and Jackson) can hold. */
    public static final long MAX_SESSION_BYTES_CEILING = 1024L * 1024 * 1024;
    /** {@code SESSION_CLEANUP_INTERVAL}. */
    public static final Duration DEFAULT_CLEANUP_INTERVAL = Duration.ofSeconds(60);
    /** Longest interval between sweeps: a day; expired data should not linger longer. */
    public static final Duration MAX_CLEANUP_INTERVAL = Duration.ofDays(1);
    /** Records one sweep batch deletes at most. */
    public static final int DEFAULT_SWEEP_BATCH_SIZE = 500;
    /** Time one sweep run may spend before it yields until the next run. */
    public static final Duration DEFAULT_SWEEP_TIME_BUDGET = Duration.ofSeconds(10);
    /** Longest sweep run: an hour (the sweep lease is held for twice the budget). */
    public static final Duration MAX_SWEEP_TIME_BUDGET = Duration.ofHours(1);
    /** {@code SESSION_STORE_TIMEOUT_MS}: the bound on every store call; every store's builder defaults to it. */
    public static final Duration DEFAULT_STORE_TIMEOUT = Duration.ofSeconds(2);
    /** Longest store timeout: 5 minutes; a request held longer than that is a hang, not a bound. */
    public static final Duration MAX_STORE_TIMEOUT = Duration.ofMinutes(5);
    /**
     * {@code SESSION_STORE_RETRY_MS}: after a store call failed as unavailable, how long calls fail at once before one
     * call is let through to see whether the store is back.
     */
    public static final Duration DEFAULT_STORE_RETRY_INTERVAL = Duration.ofSeconds(1);
    /** Longest retry interval: 5 minutes. */
    public static final Duration MAX_STORE_RETRY_INTERVAL = Duration.ofMinutes(5);
    /** {@code SESSION_COOKIE_NAME}. */
    public static final String DEFAULT_COOKIE_NAME = "session";

    private static final Pattern COOKIE_TOKEN = Pattern.compile("[A-Za-z0-9!#$%&'*+.^_`|~-]+");
    private static final int MIN_SIGNING_KEY_LENGTH = 16;

    private final Duration idleTimeout;
    private final Duration absoluteTimeout;
    private final boolean permanent;
    private final double touchRatio;
    private final long maxSessionBytes;
    private final Duration cleanupInterval;
    private final int sweepBatchSize;
    private final Duration sweepTimeBudget;
    private final Duration storeTimeout;
    private final Duration storeRetryInterval;
    private final String cookieName;
    private final CookieSecure cookieSecure;
    private final SameSite sameSite;
    private final boolean trustForwardedProto;
    private final List<String> signingKeys;
    private final boolean sweeping;

    private CloakroomConfig(Builder b) {
        this.idleTimeout = b.idleTimeout;
        this.absoluteTimeout = b.absoluteTimeout;
        this.permanent = b.permanent;
        this.touchRatio = b.touchRatio;
        this.maxSessionBytes = b.maxSessionBytes;
        this.cleanupInterval = b.cleanupInterval;
        this.sweepBatchSize = b.sweepBatchSize;
        this.sweepTimeBudget = b.sweepTimeBudget;
        this.storeTimeout = b.storeTimeout;
        this.storeRetryInterval = b.storeRetryInterval;
        this.cookieName = b.cookieName;
        this.cookieSecure = b.cookieSecure;
        this.sameSite = b.sameSite;
        this.trustForwardedProto = b.trustForwardedProto;
        this.signingKeys = b.signingKeys;
        this.sweeping = b.sweeping;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Reads {@code PERMANENT_SESSION_LIFETIME}, {@code SESSION_ABSOLUTE_LIFETIME}, {@code SESSION_PERMANENT},
     * {@code SESSION_CLEANUP_INTERVAL}, {@code SESSION_MAX_SIZE}, {@code SESSION_STORE_TIMEOUT_MS},
     * {@code SESSION_STORE_RETRY_MS}, {@code SESSION_COOKIE_NAME}, {@code SESSION_COOKIE_SECURE} ({@code auto},
     * {@code true}, {@code false}), {@code SESSION_COOKIE_SAMESITE}, {@code SESSION_TRUST_FORWARDED_PROTO},
     * {@code SESSION_SWEEPER}, and {@code SESSION_USE_SIGNER} with {@code SECRET_KEY} and the comma-separated
     * {@code SECRET_KEY_FALLBACKS}.
     *
     * @throws IllegalArgumentException naming the setting, its value and what it may be, for a value out of range
     */
    public static CloakroomConfig fromSettings(Settings settings) {
        Builder b = builder()
                .idleTimeout(settings.getSeconds("PERMANENT_SESSION_LIFETIME", DEFAULT_IDLE_TIMEOUT, MAX_LIFETIME))
                .permanent(settings.getBoolean("SESSION_PERMANENT", true))
                .cleanupInterval(settings.getSeconds("SESSION_CLEANUP_INTERVAL", DEFAULT_CLEANUP_INTERVAL, MAX_CLEANUP_INTERVAL))
                .maxSessionBytes(settings.getLong("SESSION_MAX_SIZE", DEFAULT_MAX_SESSION_BYTES, 1, MAX_SESSION_BYTES_CEILING))
                .storeTimeout(settings.getMillis("SESSION_STORE_TIMEOUT_MS", DEFAULT_STORE_TIMEOUT, MAX_STORE_TIMEOUT))
                .storeRetryInterval(settings.getMillis("SESSION_STORE_RETRY_MS", DEFAULT_STORE_RETRY_INTERVAL, MAX_STORE_RETRY_INTERVAL))
                .cookieName(settings.get("SESSION_COOKIE_NAME", DEFAULT_COOKIE_NAME))
                .sameSite(settings.getEnum("SESSION_COOKIE_SAMESITE", SameSite.class, SameSite.LAX))
                .trustForwardedProto(settings.getBoolean("SESSION_TRUST_FORWARDED_PROTO", false))
                .sweeping(settings.getBoolean("SESSION_SWEEPER", true));
        settings.findSeconds("SESSION_ABSOLUTE_LIFETIME", MAX_LIFETIME).ifPresent(b::absoluteTimeout);
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

    /**
     * A read-only request writes a touch once this fraction of the idle timeout has passed since the last write (with a
     * persistent cookie: had passed when the request opened the session, so that the cookie can follow the touch).
     */
    public double touchRatio() { return touchRatio; }

    public long maxSessionBytes() { return maxSessionBytes; }

    public Duration cleanupInterval() { return cleanupInterval; }

    public int sweepBatchSize() { return sweepBatchSize; }

    public Duration sweepTimeBudget() { return sweepTimeBudget; }

    /** The bound stores built from settings apply to every call (connect, command, statement). */
    public Duration storeTimeout() { return storeTimeout; }

    /**
     * How long store calls fail at once after one failed as unavailable (the store did not answer within its bound),
     * before a single call is let through to probe it; threads are not held waiting on a store that is down.
     */
    public Duration storeRetryInterval() { return storeRetryInterval; }

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
                + maxSessionBytes + " bytes, store timeout " + storeTimeout.toMillis() + " ms (retried after "
                + storeRetryInterval.toMillis() + " ms when unavailable), "
                + (sweeping ? "expired sessions swept every ~" + cleanupInterval.toSeconds() + " s"
                        : "no sweeper in this process (SESSION_SWEEPER=false)");
    }

    private static Duration requireWithin(String name, Duration value, Duration max) {
        Objects.requireNonNull(value, name);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive: " + value);
        }
        if (value.compareTo(max) > 0) {
            long days = max.toDays();
            String inDays = max.equals(Duration.ofDays(days)) ? " (" + days + (days == 1 ? " day)" : " days)") : "";
            throw new IllegalArgumentException(name + " must be at most " + max + inDays + ": " + value);
        }
        return value;
    }

    /**
     * Collects values, each checked as it is set: a bad one is refused at once with an {@link IllegalArgumentException}
     * naming it (a {@link NullPointerException} for a missing one), and leaves what was set before.
     * {@link #build()} only checks what concerns two values together.
     */
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
        private Duration storeRetryInterval = DEFAULT_STORE_RETRY_INTERVAL;
        private String cookieName = DEFAULT_COOKIE_NAME;
        private CookieSecure cookieSecure = CookieSecure.AUTO;
        private SameSite sameSite = SameSite.LAX;
        private boolean trustForwardedProto;
        private List<String> signingKeys = List.of();
        private boolean sweeping = true;

        private Builder() {
        }

        /** Idle timeout, positive, at most {@link #MAX_LIFETIME}; default {@link #DEFAULT_IDLE_TIMEOUT} (31 days). */
        public Builder idleTimeout(Duration value) {
            this.idleTimeout = requireWithin("idleTimeout", value, MAX_LIFETIME);
            return this;
        }

        /** Hard limit from creation, positive, at most {@link #MAX_LIFETIME}, or {@code null} for none; default none. */
        public Builder absoluteTimeout(Duration value) {
            this.absoluteTimeout = value == null ? null : requireWithin("absoluteTimeout", value, MAX_LIFETIME);
            return this;
        }

        /** Persistent ({@code Max-Age}) or browser-session cookie; default {@code true}. */
        public Builder permanent(boolean value) {
            this.permanent = value;
            return this;
        }

        /** Within [0, 1]; default {@link #DEFAULT_TOUCH_RATIO} (0.1). */
        public Builder touchRatio(double value) {
            if (!(value >= 0 && value <= 1)) {
                throw new IllegalArgumentException("touchRatio must be within [0, 1]: " + value);
            }
            this.touchRatio = value;
            return this;
        }

        /**
         * Cap in bytes on one session's encoded data, from 1 to {@link #MAX_SESSION_BYTES_CEILING}; default
         * {@link #DEFAULT_MAX_SESSION_BYTES} (4 MiB).
         */
        public Builder maxSessionBytes(long value) {
            if (value < 1 || value > MAX_SESSION_BYTES_CEILING) {
                throw new IllegalArgumentException("maxSessionBytes must be from 1 to " + MAX_SESSION_BYTES_CEILING + ": " + value);
            }
            this.maxSessionBytes = value;
            return this;
        }

        /** Positive, at most {@link #MAX_CLEANUP_INTERVAL}; default {@link #DEFAULT_CLEANUP_INTERVAL} (60 s). */
        public Builder cleanupInterval(Duration value) {
            this.cleanupInterval = requireWithin("cleanupInterval", value, MAX_CLEANUP_INTERVAL);
            return this;
        }

        /** Positive; default {@link #DEFAULT_SWEEP_BATCH_SIZE} (500). */
        public Builder sweepBatchSize(int value) {
            if (value < 1) {
                throw new IllegalArgumentException("sweepBatchSize must be positive: " + value);
            }
            this.sweepBatchSize = value;
            return this;
        }

        /** Positive, at most {@link #MAX_SWEEP_TIME_BUDGET}; default {@link #DEFAULT_SWEEP_TIME_BUDGET} (10 s). */
        public Builder sweepTimeBudget(Duration value) {
            this.sweepTimeBudget = requireWithin("sweepTimeBudget", value, MAX_SWEEP_TIME_BUDGET);
            return this;
        }

        /** Positive, at most {@link #MAX_STORE_TIMEOUT}; default {@link #DEFAULT_STORE_TIMEOUT} (2 s). */
        public Builder storeTimeout(Duration value) {
            this.storeTimeout = requireWithin("storeTimeout", value, MAX_STORE_TIMEOUT);
            return this;
        }

        /**
         * See {@link CloakroomConfig#storeRetryInterval()}; positive, at most {@link #MAX_STORE_RETRY_INTERVAL}; default
         * {@link #DEFAULT_STORE_RETRY_INTERVAL} (1 s).
         */
        public Builder storeRetryInterval(Duration value) {
            this.storeRetryInterval = requireWithin("storeRetryInterval", value, MAX_STORE_RETRY_INTERVAL);
            return this;
        }

        /** A cookie token (RFC 6265); default {@link #DEFAULT_COOKIE_NAME}. */
        public Builder cookieName(String value) {
            if (value == null || !COOKIE_TOKEN.matcher(value).matches()) {
                throw new IllegalArgumentException("cookieName must be a cookie token: " + value);
            }
            this.cookieName = value;
            return this;
        }

        /** Default {@link CookieSecure#AUTO}. */
        public Builder cookieSecure(CookieSecure value) {
            this.cookieSecure = Objects.requireNonNull(value, "cookieSecure");
            return this;
        }

        /** Default {@link SameSite#LAX}; {@link SameSite#NONE} needs a cookie that is not {@link CookieSecure#NEVER}. */
        public Builder sameSite(SameSite value) {
            this.sameSite = Objects.requireNonNull(value, "sameSite");
            return this;
        }

        /** Default {@code false}. */
        public Builder trustForwardedProto(boolean value) {
            this.trustForwardedProto = value;
            return this;
        }

        /** HMAC keys, current first, each at least 16 characters; default none (unsigned cookies). */
        public Builder signingKeys(List<String> value) {
            List<String> keys = List.copyOf(value);
            for (String key : keys) {
                if (key.length() < MIN_SIGNING_KEY_LENGTH) {
                    throw new IllegalArgumentException("a signing key must have at least " + MIN_SIGNING_KEY_LENGTH + " characters");
                }
            }
            this.signingKeys = keys;
            return this;
        }

        /** Default {@code true}. */
        public Builder sweeping(boolean value) {
            this.sweeping = value;
            return this;
        }

        /** @throws IllegalArgumentException for {@link SameSite#NONE} with {@link CookieSecure#NEVER} */
        public CloakroomConfig build() {
            if (sameSite == SameSite.NONE && cookieSecure == CookieSecure.NEVER) {
                throw new IllegalArgumentException("SameSite=None needs a Secure cookie; cookieSecure is NEVER");
            }
            return new CloakroomConfig(this);
        }
    }
}
