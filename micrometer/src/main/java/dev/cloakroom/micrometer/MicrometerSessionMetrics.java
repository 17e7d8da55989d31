package dev.cloakroom.micrometer;

import dev.cloakroom.SessionManager;
import dev.cloakroom.SessionMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Records what a {@link SessionManager} reports as Micrometer meters, named by Micrometer's conventions (dotted,
 * lower case; a Prometheus registry shows {@code cloakroom.sessions.loaded} as
 * {@code cloakroom_sessions_loaded_total}):
 *
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>meter</th><th>type</th><th>tags</th><th>counts</th></tr>
 *   <tr><td>{@value #STARTED}</td><td>counter</td><td></td><td>new sessions stored for the first time</td></tr>
 *   <tr><td>{@value #LOADED}</td><td>counter</td><td></td><td>live sessions found for a presented id</td></tr>
 *   <tr><td>{@value #SAVED}</td><td>counter</td><td></td><td>writes of changed attributes (commit or update)</td></tr>
 *   <tr><td>{@value #TOUCHED}</td><td>counter</td><td></td><td>writes that only moved an unchanged session's deadline</td></tr>
 *   <tr><td>{@value #ID_CHANGED}</td><td>counter</td><td></td><td>sessions moved to a new id</td></tr>
 *   <tr><td>{@value #INVALIDATED}</td><td>counter</td><td></td><td>sessions the application invalidated</td></tr>
 *   <tr><td>{@value #EXPIRED}</td><td>counter</td><td></td><td>expired sessions the sweeper deleted</td></tr>
 *   <tr><td>{@value #UPDATE_CONFLICTS}</td><td>counter</td><td></td><td>conflicting writes of {@code update}, each retried</td></tr>
 *   <tr><td>{@value #UPDATE_FAILURES}</td><td>counter</td><td></td><td>updates given up after the store timeout</td></tr>
 *   <tr><td>{@value #IDS_REJECTED}</td><td>counter</td><td>{@code reason}: {@code malformed}, {@code unknown},
 *       {@code bad-signature}</td><td>presented ids not adopted</td></tr>
 *   <tr><td>{@value #STORE_CALLS}</td><td>timer</td><td>{@code operation}: {@code load}, {@code write},
 *       {@code move}, {@code delete}, {@code sweep}, {@code list}, {@code sweep-lease},
 *       {@code find-by-principal}</td><td>every call that reached the store, answered or failed</td></tr>
 *   <tr><td>{@value #STORE_ERRORS}</td><td>counter</td><td>{@code operation} as above; {@code kind}:
 *       {@code unavailable}, {@code circuit-open}, {@code other}</td><td>failed store calls</td></tr>
 * </table>
 *
 * <p>Every meter is registered at construction, so that a scrape shows zeros rather than nothing before the first
 * event. Register it with {@code SessionManager.builder(store).metrics(new MicrometerSessionMetrics(registry))}.
 */
public final class MicrometerSessionMetrics implements SessionMetrics {
    /**
     * Not {@code cloakroom.sessions.created}: Prometheus reserves the {@code _created} suffix for a counter's creation
     * time, and its client would publish that name as {@code cloakroom_sessions_total}.
     */
    public static final String STARTED = "cloakroom.sessions.started";
    public static final String LOADED = "cloakroom.sessions.loaded";
    public static final String SAVED = "cloakroom.sessions.saved";
    public static final String TOUCHED = "cloakroom.sessions.touched";
    public static final String ID_CHANGED = "cloakroom.sessions.id.changed";
    public static final String INVALIDATED = "cloakroom.sessions.invalidated";
    public static final String EXPIRED = "cloakroom.sessions.expired";
    public static final String UPDATE_CONFLICTS = "cloakroom.sessions.update.conflicts";
    public static final String UPDATE_FAILURES = "cloakroom.sessions.update.failures";
    public static final String IDS_REJECTED = "cloakroom.ids.rejected";
    public static final String STORE_CALLS = "cloakroom.store.calls";
    public static final String STORE_ERRORS = "cloakroom.store.errors";

    private final Counter created;
    private final Counter loaded;
    private final Counter saved;
    private final Counter touched;
    private final Counter idChanged;
    private final Counter invalidated;
    private final Counter expired;
    private final Counter updateConflicts;
    private final Counter updateFailures;
    private final Map<RejectedId, Counter> rejected = new EnumMap<>(RejectedId.class);
    private final Map<StoreOperation, Timer> calls = new EnumMap<>(StoreOperation.class);
    private final Map<StoreOperation, Map<StoreError, Counter>> errors = new EnumMap<>(StoreOperation.class);

    public MicrometerSessionMetrics(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        created = counter(registry, STARTED, "New sessions stored for the first time");
        loaded = counter(registry, LOADED, "Live sessions found for a presented id");
        saved = counter(registry, SAVED, "Writes of a stored session's changed attributes");
        touched = counter(registry, TOUCHED, "Writes that only moved an unchanged session's deadline");
        idChanged = counter(registry, ID_CHANGED, "Sessions moved to a new id");
        invalidated = counter(registry, INVALIDATED, "Sessions the application invalidated");
        expired = counter(registry, EXPIRED, "Expired sessions the sweeper deleted");
        updateConflicts = counter(registry, UPDATE_CONFLICTS, "Conflicting writes of Session.update, each retried");
        updateFailures = counter(registry, UPDATE_FAILURES, "Session.update calls given up after the store timeout");
        for (RejectedId reason : RejectedId.values()) {
            rejected.put(reason, Counter.builder(IDS_REJECTED).description("Presented session ids not adopted")
                    .tag("reason", tagValue(reason)).register(registry));
        }
        for (StoreOperation operation : StoreOperation.values()) {
            calls.put(operation, Timer.builder(STORE_CALLS).description("Calls that reached the session store")
                    .tag("operation", tagValue(operation)).register(registry));
            Map<StoreError, Counter> byKind = new EnumMap<>(StoreError.class);
            for (StoreError kind : StoreError.values()) {
                byKind.put(kind, Counter.builder(STORE_ERRORS).description("Failed session store calls")
                        .tag("operation", tagValue(operation)).tag("kind", tagValue(kind)).register(registry));
            }
            errors.put(operation, byKind);
        }
    }

    private static Counter counter(MeterRegistry registry, String name, String description) {
        return Counter.builder(name).description(description).register(registry);
    }

    /** {@code BAD_SIGNATURE} as {@code bad-signature}: tag values in the lower-case, hyphenated style of the names. */
    static String tagValue(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    @Override
    public void sessionCreated() {
        created.increment();
    }

    @Override
    public void sessionLoaded() {
        loaded.increment();
    }

    @Override
    public void sessionSaved() {
        saved.increment();
    }

    @Override
    public void sessionTouched() {
        touched.increment();
    }

    @Override
    public void sessionIdChanged() {
        idChanged.increment();
    }

    @Override
    public void sessionInvalidated() {
        invalidated.increment();
    }

    @Override
    public void updateConflict() {
        updateConflicts.increment();
    }

    @Override
    public void updateGaveUp() {
        updateFailures.increment();
    }

    @Override
    public void sessionExpired() {
        expired.increment();
    }

    @Override
    public void idRejected(RejectedId reason) {
        rejected.get(reason).increment();
    }

    @Override
    public void storeCall(StoreOperation operation, Duration elapsed) {
        calls.get(operation).record(elapsed);
    }

    @Override
    public void storeError(StoreOperation operation, StoreError error) {
        errors.get(operation).get(error).increment();
    }
}
