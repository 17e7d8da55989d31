package dev.cloakroom;

import dev.cloakroom.spi.SessionRecord;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
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
    /** Whether a record exists: under {@link #key}, or under {@link #renamedFrom} until commit moves it. */
    private boolean hasRecord;
    private boolean invalidated;
    private Instant lastWrittenAt;
    private Duration maxInactiveInterval;
    private boolean maxInactiveIntervalChanged;
    private long version;
    /** The signed-in user's name, or null; written at commit only if this request changed it. */
    private String principal;
    private boolean principalChanged;
    /** Encoded values as the store has them, as far as this request knows: what {@link #update} starts from. */
    private final Map<String, String> stored;
    /** The encoding of each live value as this request got it: what an in-place change is found against. */
    private final Map<String, String> loaded;
    /** Live values handed to the application. */
    private final Map<String, Object> values;
    /**
     * Attributes this request set or removed since its last write: written at commit whatever the store holds, as
     * another request may have changed them since this one loaded them.
     */
    private final Set<String> assigned = new HashSet<>();
    /** Attributes handed to the application and not assigned: written only if changed in place. */
    private final Set<String> read = new HashSet<>();
    /** Set when {@link #update} wrote; taken by commit, which then reports the session saved. */
    private boolean writtenByUpdate;

    Session(SessionManager manager, String id, SessionRecord record, Map<String, Object> decoded, Instant openedAt) {
        this.manager = manager;
        this.id = id;
        this.key = record.key();
        this.createdAt = record.createdAt();
        this.openedAt = openedAt;
        this.stored = new HashMap<>(record.attributes());
        this.loaded = new HashMap<>(record.attributes());
        this.values = new LinkedHashMap<>(decoded);
        this.hasRecord = true;
        this.lastWrittenAt = record.lastAccessedAt();
        this.maxInactiveInterval = record.maxInactiveInterval();
        this.version = record.version();
        this.principal = record.principal();
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
        this.stored = new HashMap<>();
        this.loaded = new HashMap<>();
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
        return !hasRecord;
    }

    /**
     * Whether the store holds this session under its current {@link #id()}, as far as this request knows: false before
     * its first commit stores it, after {@link #changeId()} until a commit moves it, and once it is invalidated or found
     * ended. True after a commit that stored it or moved it, even one that then threw {@link
     * UnsupportedAttributeException}: a web layer sends the cookie for {@link #id()} when this is true and the browser
     * does not hold that id yet.
     */
    public synchronized boolean isStored() {
        return hasRecord && renamedFrom == null && !invalidated;
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
        if (interval.isNegative() || interval.isZero() || interval.compareTo(CloakroomConfig.MAX_LIFETIME) > 0) {
            throw new IllegalArgumentException("maxInactiveInterval must be positive and at most "
                    + CloakroomConfig.MAX_LIFETIME + ": " + interval);
        }
        requireValid();
        if (!interval.equals(maxInactiveInterval)) {
            maxInactiveInterval = interval;
            maxInactiveIntervalChanged = true;
        }
    }

    /**
     * The name of the user signed in with this session, as the application (or {@link
     * SessionManager.Builder#principalResolver}) set it; empty for an anonymous session. The store indexes sessions by
     * it: {@link SessionManager#sessionsOf}, {@link SessionManager#revokeAll}.
     */
    public synchronized Optional<String> principal() {
        return Optional.ofNullable(principal);
    }

    /**
     * Sets the name of the user signed in with this session; {@code null} clears it. Saved at the next commit, in the
     * same atomic write as the attributes (a session with a principal is stored even if it holds no attribute). The
     * name is stored as given, in plain form: it is what an operator looks a user's sessions up by.
     *
     * @throws IllegalArgumentException if the name is blank, longer than {@value #MAX_PRINCIPAL_BYTES} bytes in UTF-8,
     *         or holds a control character or a lone surrogate; nothing changes then
     * @throws IllegalStateException if the session was invalidated
     */
    public synchronized void setPrincipal(String name) {
        if (name != null) {
            requireValidPrincipal(name);
        }
        requireValid();
        if (!Objects.equals(name, principal)) {
            principal = name;
            principalChanged = true;
        }
    }

    /** The most UTF-8 bytes a {@link #setPrincipal principal} may have. */
    public static final int MAX_PRINCIPAL_BYTES = 256;

    /**
     * Checks a principal name as {@link #setPrincipal} does.
     *
     * @return the name
     * @throws IllegalArgumentException with a message that says what is wrong (never the whole name, which may be long)
     */
    public static String requireValidPrincipal(String name) {
        Objects.requireNonNull(name, "principal");
        if (name.isBlank()) {
            throw new IllegalArgumentException("a principal name must not be blank");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (Character.isISOControl(c)) {
                throw new IllegalArgumentException("a principal name must not hold control characters: U+"
                        + String.format("%04X", (int) c) + " at index " + i);
            }
            if (Character.isHighSurrogate(c) && i + 1 < name.length() && Character.isLowSurrogate(name.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException("a principal name must be well-formed Unicode: lone surrogate U+"
                        + String.format("%04X", (int) c) + " at index " + i);
            }
        }
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_PRINCIPAL_BYTES) {
            throw new IllegalArgumentException("a principal name must be at most " + MAX_PRINCIPAL_BYTES
                    + " bytes in UTF-8: this one has " + bytes);
        }
        return name;
    }

    /** When this session expires if no further request touches it. */
    public synchronized Instant expiresAt() {
        return manager.expiresAt(createdAt, lastWrittenAt, maxInactiveInterval);
    }

    public synchronized Object getAttribute(String name) {
        requireValid();
        Object value = values.get(name);
        if (value != null && !assigned.contains(name)) {
            read.add(name);
        }
        return value;
    }

    public synchronized Set<String> attributeNames() {
        requireValid();
        return Collections.unmodifiableSet(new LinkedHashSet<>(values.keySet()));
    }

    /**
     * Puts an attribute; {@code null} removes it. It is written at commit even if it equals what this request loaded,
     * since another request may have changed it meanwhile. The value is checked at once, so an unsupported type, or
     * text that is not well-formed Unicode, fails here and not at commit.
     *
     * @return the previous value
     * @throws UnsupportedAttributeException if the codec cannot store the name or the value; nothing changes then
     */
    public synchronized Object setAttribute(String name, Object value) {
        Objects.requireNonNull(name, "name");
        requireValid();
        if (value == null) {
            return removeAttribute(name);
        }
        manager.codec().encodeAttribute(name, value);
        assigned.add(name);
        read.remove(name);
        return values.put(name, value);
    }

    /**
     * Removes an attribute; written at commit even if this request did not see it, since another request may have
     * added it meanwhile.
     *
     * @return the removed value, or null
     */
    public synchronized Object removeAttribute(String name) {
        Objects.requireNonNull(name, "name");
        requireValid();
        assigned.add(name);
        read.remove(name);
        return values.remove(name);
    }

    /**
     * Atomically replaces one attribute with {@code fn(current)} in the store, retrying with fresh data when another
     * request changed the session in between, so that no update is lost. {@code fn} may run more than once and must
     * not have side effects; returning {@code null} removes the attribute. {@code fn} sees the stored value, not an
     * unsaved local one ({@code null} for one the codec can no longer rebuild). The other changes this request made so
     * far go in the same atomic write (an upload's data and its count are saved together or not at all); on a session
     * not stored yet, the update is local until commit.
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
     * Ends the session now: the record is deleted and, if this call deleted it, listeners are told. When several
     * requests end one session at once (two tabs logging out), exactly one call returns true and tells the
     * listeners; the others find it ended already. Either way this session is invalidated afterwards.
     *
     * @return true if this call ended the session (also for one that was never stored), false if it had ended
     *         elsewhere already: invalidated by another request, or expired and swept
     * @throws IllegalStateException if this session was invalidated already
     * @throws SessionStoreException if the store fails; the session is then still valid
     */
    public boolean invalidate() {
        return manager.invalidate(this);
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

    SessionKey renamedFrom() { return renamedFrom; }

    boolean hasRecord() { return hasRecord; }

    long version() { return version; }

    Instant lastWrittenAt() { return lastWrittenAt; }

    boolean maxInactiveIntervalChanged() { return maxInactiveIntervalChanged; }

    boolean principalChanged() { return principalChanged; }

    /** The principal as this request holds it, whether changed or not. */
    String principalOrNull() { return principal; }

    boolean hasAttributes() { return !values.isEmpty(); }

    /** A copy of the live attributes, for listeners. */
    Map<String, Object> attributes() { return Map.copyOf(values); }

    /** The encoded value of {@code name} as the store has it, as far as this request knows; null if absent. */
    String storedValue(String name) { return stored.get(name); }

    /** The size the stored record would have with {@code changes} applied, as this request knows it. */
    long sizeWith(AttributeChanges changes) { return changes.sizeAppliedTo(stored); }

    /**
     * What a write must carry now: every attribute this request set or removed, and the ones it only read that were
     * changed in place (their encoding no longer equals the loaded one). An attribute changed in place to something the
     * codec refuses is left out and reported in {@link AttributeChanges#rejected()}.
     */
    AttributeChanges pendingChanges(SessionCodec codec) {
        Map<String, String> upserts = new HashMap<>();
        Set<String> removals = new HashSet<>();
        Map<String, String> rejected = new HashMap<>();
        for (String name : assigned) {
            Object value = values.get(name);
            if (value == null) {
                removals.add(name);
            } else {
                String encoded = encodeOrReject(codec, name, value, rejected);
                if (encoded != null) {
                    upserts.put(name, encoded);
                }
            }
        }
        for (String name : read) {
            String encoded = encodeOrReject(codec, name, values.get(name), rejected);
            if (encoded != null && !encoded.equals(loaded.get(name))) {
                upserts.put(name, encoded);
            }
        }
        return new AttributeChanges(upserts, removals, rejected);
    }

    /** The encoding of {@code value}, or null with the reason added to {@code rejected}. */
    private static String encodeOrReject(SessionCodec codec, String name, Object value, Map<String, String> rejected) {
        try {
            return codec.encodeAttribute(name, value);
        } catch (UnsupportedAttributeException e) {
            rejected.put(name, e.getMessage());
            return null;
        }
    }

    void markInvalidated() {
        invalidated = true;
    }

    /** The store could not delete the record: the session lives on, and invalidating it may be tried again. */
    void invalidationFailed() {
        invalidated = false;
    }

    void assignId(String newId) {
        if (hasRecord && renamedFrom == null) {
            renamedFrom = key;
        }
        id = newId;
        key = SessionKey.of(newId);
    }

    /**
     * Called after {@code changes} were written (created, merged or moved), at {@code at}. Values written stay watched
     * for in-place changes; the attributes left out as rejected stay pending.
     */
    void written(AttributeChanges changes, Instant at, boolean created) {
        stored.keySet().removeAll(changes.removals());
        stored.putAll(changes.upserts());
        loaded.keySet().removeAll(changes.removals());
        loaded.putAll(changes.upserts());
        assigned.removeAll(changes.removals());
        read.removeAll(changes.removals());
        assigned.removeAll(changes.upserts().keySet());
        read.addAll(changes.upserts().keySet());
        lastWrittenAt = at;
        version = created ? 1 : version + 1;
        hasRecord = true;
        renamedFrom = null;
        maxInactiveIntervalChanged = false;
        principalChanged = false;
    }

    /**
     * Called after {@link #update} learned the stored state anew: the stored side is replaced whole; the attributes
     * this request set, removed or read keep their live values (the application may hold and change what it read),
     * the others follow the store.
     */
    void refreshed(SessionRecord record, Map<String, Object> decoded) {
        version = record.version();
        if (!principalChanged) {
            principal = record.principal();
        }
        lastWrittenAt = record.lastAccessedAt();
        stored.clear();
        stored.putAll(record.attributes());
        values.keySet().removeIf(name -> !isWatched(name) && !record.attributes().containsKey(name));
        loaded.keySet().removeIf(name -> !isWatched(name));
        decoded.forEach((name, value) -> {
            if (!isWatched(name)) {
                values.put(name, value);
                loaded.put(name, record.attributes().get(name));
            }
        });
        forgetDropped(record, decoded);
    }

    /**
     * Attributes the codec dropped (stored, but not rebuildable) are marked removed, so the next commit deletes them
     * and the warning is not repeated on every request; one this request set, removed or read keeps its live value.
     */
    private void forgetDropped(SessionRecord record, Map<String, Object> decoded) {
        for (String name : record.attributes().keySet()) {
            if (!decoded.containsKey(name) && !isWatched(name)) {
                values.remove(name);
                loaded.remove(name);
                assigned.add(name);
            }
        }
    }

    private boolean isWatched(String name) {
        return assigned.contains(name) || read.contains(name);
    }

    /**
     * Called when {@link #update} wrote {@code name} with the rest. The application now holds {@code value}, the very
     * object {@code update} returned, so that is the live value: a change it makes to it in place is found against the
     * encoding just written, as for any value set or read.
     */
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
