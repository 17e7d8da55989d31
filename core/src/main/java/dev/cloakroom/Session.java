package dev.cloakroom;

import dev.cloakroom.spi.SessionRecord;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * One visitor's session as seen by one request. Obtained from {@link SessionManager#find} or
 * {@link SessionManager#create}, saved by {@link SessionManager#commit}. It tracks which attributes this request put,
 * removed or changed in place, so that only those are written and concurrent requests that change other attributes
 * do not overwrite each other. {@link #update} is the one operation that goes to the store at once: an atomic
 * read-modify-write of one attribute.
 *
 * <p>Thread-safe; meant to live for one request.
 */
public final class Session {
    private final SessionManager manager;
    private final Instant createdAt;
    private final Instant openedAt;
    private String id;
    private SessionKey key;
    private SessionKey renamedFrom;
    private boolean stored;
    private boolean invalidated;
    private Instant lastWrittenAt;
    private Duration maxInactiveInterval;
    private boolean maxInactiveIntervalChanged;
    private long version;
    /** Encoded values as the store has them, as far as this request knows. */
    private final Map<String, String> storedValues;
    /** Live values handed to the application. */
    private final Map<String, Object> values;
    /** Attributes this request read or wrote: the only ones checked for changes at commit. */
    private final Set<String> touched = new HashSet<>();
    /** Set when {@link #update} wrote; taken by commit, which then lets a persistent cookie's Max-Age slide. */
    private boolean writtenByUpdate;

    Session(SessionManager manager, String id, SessionRecord record, Map<String, Object> decoded, Instant openedAt) {
        this.manager = manager;
        this.id = id;
        this.key = record.key();
        this.createdAt = record.createdAt();
        this.openedAt = openedAt;
        this.stored = true;
        this.lastWrittenAt = record.lastAccessedAt();
        this.maxInactiveInterval = record.maxInactiveInterval();
        this.version = record.version();
        this.storedValues = new HashMap<>(record.attributes());
        this.values = new LinkedHashMap<>(decoded);
        forgetDropped(record, decoded);
    }

    Session(SessionManager manager, String id, Duration maxInactiveInterval, Instant now) {
        this.manager = manager;
        this.id = id;
        this.key = SessionKey.of(id);
        this.createdAt = now;
        this.openedAt = now;
        this.lastWrittenAt = now;
        this.maxInactiveInterval = maxInactiveInterval;
        this.storedValues = new HashMap<>();
        this.values = new LinkedHashMap<>();
    }

    /** The raw id, for the cookie only: never log it, never hand it to a store. */
    public synchronized String id() {
        return id;
    }

    /** The hashed key the store knows this session by; safe to log. */
    public synchronized SessionKey key() {
        return key;
    }

    /** True until the session has been stored for the first time. */
    public synchronized boolean isNew() {
        return !stored;
    }

    public Instant createdAt() {
        return createdAt;
    }

    /** When this request opened the session. */
    public Instant lastAccessedAt() {
        return openedAt;
    }

    public synchronized Duration maxInactiveInterval() {
        return maxInactiveInterval;
    }

    /** Changes this session's idle timeout; saved at commit. */
    public synchronized void setMaxInactiveInterval(Duration interval) {
        Objects.requireNonNull(interval, "interval");
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("maxInactiveInterval must be positive: " + interval);
        }
        requireValid();
        if (!interval.equals(maxInactiveInterval)) {
            maxInactiveInterval = interval;
            maxInactiveIntervalChanged = true;
        }
    }

    /** When this session expires if no further request touches it. */
    public synchronized Instant expiresAt() {
        return manager.expiresAt(createdAt, lastWrittenAt, maxInactiveInterval);
    }

    public synchronized Object getAttribute(String name) {
        requireValid();
        Object value = values.get(name);
        if (value != null) {
            touched.add(name);
        }
        return value;
    }

    public synchronized Set<String> attributeNames() {
        requireValid();
        return Collections.unmodifiableSet(new LinkedHashSet<>(values.keySet()));
    }

    /**
     * Puts an attribute; {@code null} removes it. The value is checked at once, so an unsupported type fails here
     * and not at commit.
     *
     * @return the previous value
     * @throws UnsupportedAttributeException if the codec cannot store the value
     */
    public synchronized Object setAttribute(String name, Object value) {
        Objects.requireNonNull(name, "name");
        requireValid();
        if (value == null) {
            return removeAttribute(name);
        }
        manager.codec().encodeAttribute(name, value);
        touched.add(name);
        return values.put(name, value);
    }

    /** @return the removed value, or null */
    public synchronized Object removeAttribute(String name) {
        requireValid();
        touched.add(name);
        return values.remove(name);
    }

    /**
     * Atomically replaces one attribute with {@code fn(current)} in the store, retrying with fresh data when another
     * request changed the session in between, so that no update is lost. {@code fn} may run more than once and must
     * not have side effects; returning {@code null} removes the attribute. {@code fn} sees the stored value, not an
     * unsaved local one. The other changes this request made so far go in the same atomic write (an upload's data
     * and its count are saved together or not at all); on a session not stored yet, the update is local until commit.
     *
     * @return the value written
     * @throws IllegalStateException if the session was invalidated or expired meanwhile
     */
    public <T> T update(String name, UnaryOperator<T> fn) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(fn, "fn");
        return manager.update(this, name, fn);
    }

    /**
     * Ends the session now: the record is deleted and listeners are told.
     *
     * @throws IllegalStateException if the session was invalidated already
     * @throws SessionStoreException if the store fails; the session is then still valid
     */
    public void invalidate() {
        manager.invalidate(this);
    }

    public synchronized boolean isInvalidated() {
        return invalidated;
    }

    /** Gives this session a new id (against session fixation); the data moves with it at commit. */
    public void changeId() {
        manager.changeId(this);
    }

    private void requireValid() {
        if (invalidated) {
            throw new IllegalStateException("session has been invalidated");
        }
    }

    // ---- state access for SessionManager (same package) ----

    SessionKey renamedFrom() { return renamedFrom; }

    boolean isStored() { return stored; }

    long version() { return version; }

    Instant lastWrittenAt() { return lastWrittenAt; }

    boolean maxInactiveIntervalChanged() { return maxInactiveIntervalChanged; }

    Map<String, String> storedValues() { return storedValues; }

    Map<String, Object> values() { return values; }

    Set<String> touched() { return touched; }

    void markInvalidated() {
        invalidated = true;
    }

    /** The store could not delete the record: the session lives on, and invalidating it may be tried again. */
    void invalidationFailed() {
        invalidated = false;
    }

    void assignId(String newId) {
        if (stored && renamedFrom == null) {
            renamedFrom = key;
        }
        id = newId;
        key = SessionKey.of(newId);
    }

    /** Called after a successful write of {@code upserts} and {@code removals}. */
    void written(Map<String, String> upserts, Set<String> removals, Instant at, boolean created) {
        storedValues.keySet().removeAll(removals);
        storedValues.putAll(upserts);
        lastWrittenAt = at;
        version = created ? 1 : version + 1;
        stored = true;
        renamedFrom = null;
        maxInactiveIntervalChanged = false;
        touched.clear();
    }

    /**
     * Called after {@link #update} learned the stored state anew: the stored side is replaced whole; the live values
     * this request changed are kept, the others follow the store.
     */
    void refreshed(SessionRecord record, Map<String, Object> decoded) {
        version = record.version();
        lastWrittenAt = record.lastAccessedAt();
        storedValues.clear();
        storedValues.putAll(record.attributes());
        values.keySet().removeIf(name -> !touched.contains(name) && !record.attributes().containsKey(name));
        decoded.forEach((name, value) -> {
            if (!touched.contains(name)) {
                values.put(name, value);
            }
        });
        forgetDropped(record, decoded);
    }

    /**
     * Attributes the codec dropped (stored, but not rebuildable) are marked removed, so the next commit deletes them
     * and the warning is not repeated on every request; one this request set itself keeps its new value.
     */
    private void forgetDropped(SessionRecord record, Map<String, Object> decoded) {
        for (String name : record.attributes().keySet()) {
            if (!decoded.containsKey(name) && !touched.contains(name)) {
                values.remove(name);
                touched.add(name);
            }
        }
    }

    /** Called when {@link #update} wrote {@code name}: the application now sees the written value. */
    void updated(String name, Object value) {
        if (value == null) {
            values.remove(name);
        } else {
            values.put(name, value);
        }
        writtenByUpdate = true;
    }

    /** Whether {@link #update} wrote since the last call, which clears the mark. */
    boolean takeWrittenByUpdate() {
        boolean mark = writtenByUpdate;
        writtenByUpdate = false;
        return mark;
    }

    @Override
    public String toString() {
        return "Session[" + key + "]";
    }
}
