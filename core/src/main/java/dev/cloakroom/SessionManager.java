package dev.cloakroom;

import dev.cloakroom.spi.SessionRecord;
import dev.cloakroom.spi.SessionStore;
import dev.cloakroom.spi.SessionWrite;
import dev.cloakroom.spi.WriteResult;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * All session policy, in one place: which ids are adopted, when a session has expired, what gets written and when,
 * how ids rotate. Stores only do I/O.
 *
 * <ul>
 *   <li>{@link #find} checks the id's syntax before any I/O, loads with one store call, and treats an expired or
 *       undecodable record as absent (an id is never adopted unless the server issued it and it is alive).</li>
 *   <li>{@link #commit} writes nothing for a session that never held data, nothing when nothing changed, a touch only
 *       once {@link CloakroomConfig#touchRatio()} of the idle timeout has passed, and otherwise one atomic delta.</li>
 * </ul>
 * Build one per application with {@link #builder(SessionStore)}; {@link #close()} stops its sweeper and closes the store.
 */
public final class SessionManager implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SessionManager.class);
    private static final int MAX_UPDATE_ATTEMPTS = 256;

    private final SessionStore store;
    private final CloakroomConfig config;
    private final SessionCodec codec;
    private final InstantSource clock;
    private final List<SessionListener> listeners;
    private final SessionIds ids = new SessionIds();
    private final Sweeper sweeper;

    private SessionManager(Builder b) {
        this.store = b.store;
        this.config = b.config;
        this.codec = b.codec;
        this.clock = b.clock;
        this.listeners = List.copyOf(b.listeners);
        this.sweeper = new Sweeper(store, codec, listeners, config, clock);
        boolean sweeping = b.sweeping != null ? b.sweeping : config.sweeping();
        if (sweeping) {
            sweeper.start();
        }
        LOG.info("Cloakroom sessions in {}; {}{}", store.describe(), config, sweeping == config.sweeping() ? ""
                : sweeping ? "; the application runs the sweeper here anyway" : "; the application turned the sweeper off here");
    }

    public static Builder builder(SessionStore store) {
        return new Builder(store);
    }

    public CloakroomConfig config() {
        return config;
    }

    public SessionCodec codec() {
        return codec;
    }

    /** The sweeper of this manager's store; {@link Sweeper#runOnce()} also serves a cron job. */
    public Sweeper sweeper() {
        return sweeper;
    }

    /**
     * The live session with this raw id, or empty: for a malformed id (without any store I/O), an unknown one, an
     * expired one, or one whose record could not be decoded (that record is removed, with one warning).
     *
     * @throws SessionStoreException if the store fails or times out
     */
    public Optional<Session> find(String rawId) {
        if (!SessionIds.isWellFormed(rawId)) {
            return Optional.empty();
        }
        SessionKey key = SessionKey.of(rawId);
        Optional<SessionRecord> loaded = store.load(key);
        if (loaded.isEmpty()) {
            return Optional.empty();
        }
        SessionRecord record = loaded.get();
        Instant now = clock.instant();
        if (!isLive(record, now)) {
            return Optional.empty();
        }
        Optional<Map<String, Object>> decoded = decodeOrDiscard(record);
        return decoded.map(values -> new Session(this, rawId, record, values, now));
    }

    /** A new session with a fresh id; nothing is stored until it holds data and is committed. */
    public Session create() {
        return new Session(this, ids.next(), config.idleTimeout(), clock.instant());
    }

    /**
     * Saves what this request changed, in at most one atomic store write (three calls when the id changed: see
     * {@link #commitRenamed}).
     *
     * @return what to do with the cookie
     * @throws SessionTooLargeException if the session would exceed {@link CloakroomConfig#maxSessionBytes()}; nothing is written
     * @throws SessionStoreException if the store fails or times out; nothing is known to be written
     */
    public CookieUpdate commit(Session session) {
        synchronized (session) {
            if (session.isInvalidated()) {
                return CookieUpdate.CLEAR;
            }
            Instant now = clock.instant();
            boolean writtenByUpdate = session.takeWrittenByUpdate();
            Map<String, String> upserts = new HashMap<>();
            Set<String> removals = new HashSet<>();
            collectChanges(session, upserts, removals);

            if (!session.isStored()) {
                if (session.values().isEmpty()) {
                    return CookieUpdate.NONE;
                }
                create(session, session.key(), upserts, now);
                listeners.forEach(l -> notifyCreated(l, session.key()));
                return CookieUpdate.SET;
            }
            if (session.renamedFrom() != null) {
                return commitRenamed(session, upserts, removals, now);
            }
            boolean touchDue = !Duration.between(session.lastWrittenAt(), now).minus(touchInterval(session)).isNegative();
            if (upserts.isEmpty() && removals.isEmpty() && !session.maxInactiveIntervalChanged() && !touchDue) {
                // update() may have written already: a persistent cookie's Max-Age slides with that write too
                return writtenByUpdate && config.permanent() ? CookieUpdate.SET : CookieUpdate.NONE;
            }
            if (!upserts.isEmpty()) {
                checkSize(session.storedValues(), upserts, removals);
            }
            WriteResult result = store.write(writeOf(session, session.key(), false, upserts, removals, SessionWrite.ANY_VERSION, now));
            switch (result) {
                case WRITTEN:
                    session.written(upserts, removals, now, false);
                    return config.permanent() ? CookieUpdate.SET : CookieUpdate.NONE;
                case GONE:
                    LOG.debug("{} ended while a request was using it; its changes were not saved", session.key());
                    session.markInvalidated();
                    return CookieUpdate.CLEAR;
                default:
                    throw new SessionStoreException("store answered " + result + " to an unconditional write of " + session.key());
            }
        }
    }

    /**
     * Moves the session to its new key: the record as stored now (so that what other requests saved meanwhile comes
     * along) merged with this request's changes is created under the new key, then the old record is removed. A
     * session that ended meanwhile is not brought back under the new key: the load finds it gone or expired, or, if
     * another request removed it between the load and the removal, the removal finds nothing and the new record is
     * taken back.
     */
    private CookieUpdate commitRenamed(Session session, Map<String, String> upserts, Set<String> removals, Instant now) {
        SessionKey oldKey = session.renamedFrom();
        Optional<SessionRecord> stored = store.load(oldKey);
        if (stored.isEmpty() || !isLive(stored.get(), now)) {
            LOG.debug("{} ended before its id could be changed; it is not recreated", oldKey);
            session.markInvalidated();
            return CookieUpdate.CLEAR;
        }
        Map<String, String> all = new HashMap<>(stored.get().attributes());
        all.keySet().removeAll(removals);
        all.putAll(upserts);
        create(session, session.key(), all, now);
        if (!store.delete(oldKey)) {
            LOG.debug("{} ended while its id was being changed; {} is removed again", oldKey, session.key());
            store.delete(session.key());
            session.markInvalidated();
            return CookieUpdate.CLEAR;
        }
        return CookieUpdate.SET;
    }

    private void create(Session session, SessionKey key, Map<String, String> attributes, Instant now) {
        checkSize(Map.of(), attributes, Set.of());
        WriteResult result = store.write(writeOf(session, key, true, attributes, Set.of(), SessionWrite.ANY_VERSION, now));
        if (result != WriteResult.WRITTEN) {
            throw new SessionStoreException("store answered " + result + " to the creation of " + key);
        }
        Map<String, String> replaced = new HashMap<>(attributes);
        session.storedValues().clear();
        session.written(replaced, Set.of(), now, true);
    }

    <T> T update(Session session, String name, UnaryOperator<T> fn) {
        for (int attempt = 1; attempt <= MAX_UPDATE_ATTEMPTS; attempt++) {
            // The session lock is held across the write, as in commit: another thread of the same request cannot
            // slip a change in between collecting the pending changes and marking them written.
            synchronized (session) {
                if (session.isInvalidated()) {
                    throw new IllegalStateException("session has been invalidated");
                }
                if (!session.isStored() || session.renamedFrom() != null) {
                    // Not stored under its current id yet: nothing else can see it, so commit saves the change. Decided
                    // under the same lock as the write below, so a concurrent changeId cannot send it to an unknown key.
                    @SuppressWarnings("unchecked")
                    T local = fn.apply((T) session.values().get(name));
                    session.setAttribute(name, local);
                    return local;
                }
                Instant now = clock.instant();
                @SuppressWarnings("unchecked")
                T current = (T) codec.decodeOrNull(session.storedValues().get(name));
                T next = fn.apply(current);
                String encoded = next == null ? null : codec.encodeAttribute(name, next);
                // The request's other changes go in the same atomic write, so that an upload's data and its count
                // are saved together or not at all, and commit has nothing left to write.
                Map<String, String> upserts = new HashMap<>();
                Set<String> removals = new HashSet<>();
                session.touched().remove(name);
                collectChanges(session, upserts, removals);
                if (encoded != null) {
                    upserts.put(name, encoded);
                } else if (session.storedValues().containsKey(name)) {
                    removals.add(name);
                }
                checkSize(session.storedValues(), upserts, removals);
                WriteResult result = store.write(writeOf(session, session.key(), false, upserts, removals, session.version(), now));
                switch (result) {
                    case WRITTEN:
                        session.written(upserts, removals, now, false);
                        session.updated(name, encoded == null ? null : codec.decode(encoded));
                        return next;
                    case GONE:
                        session.markInvalidated();
                        throw new IllegalStateException("session ended while it was being updated");
                    default:
                        Optional<SessionRecord> fresh = store.load(session.key());
                        if (fresh.isEmpty() || !isLive(fresh.get(), now)) {
                            session.markInvalidated();
                            throw new IllegalStateException("session ended while it was being updated");
                        }
                        Optional<Map<String, Object>> decoded = decodeOrDiscard(fresh.get());
                        if (decoded.isEmpty()) {
                            session.markInvalidated();
                            throw new IllegalStateException("session record became undecodable and was removed");
                        }
                        session.refreshed(fresh.get(), decoded.get());
                }
            }
            backOff(attempt);
        }
        throw new SessionStoreException("gave up updating '" + name + "' of " + session.key() + " after "
                + MAX_UPDATE_ATTEMPTS + " conflicting attempts");
    }

    void invalidate(Session session) {
        Map<String, Object> attributes;
        SessionKey key;
        synchronized (session) {
            if (session.isInvalidated()) {
                throw new IllegalStateException("session has been invalidated already");
            }
            session.markInvalidated();
            attributes = Map.copyOf(withoutNullValues(session.values()));
            key = session.renamedFrom() != null ? session.renamedFrom() : session.key();
            if (!session.isStored()) {
                return;
            }
        }
        boolean removed;
        try {
            removed = store.delete(key);
        } catch (RuntimeException e) {
            // The record is still there: a session reported over while it lives would let its cookie work on.
            synchronized (session) {
                session.invalidationFailed();
            }
            throw e;
        }
        // Only the call that removed the record reports it: another request, or the sweeper, may have done so already.
        if (removed) {
            listeners.forEach(l -> notifyDestroyed(l, key, attributes, SessionListener.Reason.INVALIDATED));
        }
    }

    void changeId(Session session) {
        synchronized (session) {
            if (session.isInvalidated()) {
                throw new IllegalStateException("session has been invalidated");
            }
            session.assignId(ids.next());
        }
    }

    Instant expiresAt(Instant createdAt, Instant lastAccessedAt, Duration maxInactiveInterval) {
        Instant idleDeadline = lastAccessedAt.plus(maxInactiveInterval);
        return config.absoluteTimeout()
                .map(absolute -> createdAt.plus(absolute))
                .filter(absoluteDeadline -> absoluteDeadline.isBefore(idleDeadline))
                .orElse(idleDeadline);
    }

    /** A write of {@code session} as accessed at {@code now}: its deadline moves, its creation time never does. */
    private SessionWrite writeOf(Session session, SessionKey key, boolean create, Map<String, String> upserts,
                                 Set<String> removals, long expectedVersion, Instant now) {
        return new SessionWrite(key, create, upserts, removals, session.createdAt(), now, session.maxInactiveInterval(),
                expiresAt(session.createdAt(), now, session.maxInactiveInterval()), expectedVersion, now, config.maxSessionBytes());
    }

    /** By its stored deadline, and by the absolute lifetime as configured now (it may have been lowered since). */
    private boolean isLive(SessionRecord record, Instant now) {
        return !record.isExpiredAt(now)
                && expiresAt(record.createdAt(), record.lastAccessedAt(), record.maxInactiveInterval()).isAfter(now);
    }

    private Duration touchInterval(Session session) {
        return Duration.ofMillis((long) (session.maxInactiveInterval().toMillis() * config.touchRatio()));
    }

    /** Attributes this request touched whose encoding differs from what is stored, and those it removed. */
    private void collectChanges(Session session, Map<String, String> upserts, Set<String> removals) {
        for (String name : session.touched()) {
            Object value = session.values().get(name);
            String before = session.storedValues().get(name);
            if (value == null) {
                if (before != null) {
                    removals.add(name);
                }
            } else {
                String after = codec.encodeAttribute(name, value);
                if (!after.equals(before)) {
                    upserts.put(name, after);
                }
            }
        }
    }

    private void checkSize(Map<String, String> stored, Map<String, String> upserts, Set<String> removals) {
        long size = 0;
        for (Map.Entry<String, String> entry : stored.entrySet()) {
            if (!upserts.containsKey(entry.getKey()) && !removals.contains(entry.getKey())) {
                size += sizeOf(entry.getKey(), entry.getValue());
            }
        }
        for (Map.Entry<String, String> entry : upserts.entrySet()) {
            size += sizeOf(entry.getKey(), entry.getValue());
        }
        if (size > config.maxSessionBytes()) {
            throw new SessionTooLargeException(size, config.maxSessionBytes());
        }
    }

    private static long sizeOf(String name, String encoded) {
        return name.getBytes(StandardCharsets.UTF_8).length + (long) encoded.getBytes(StandardCharsets.UTF_8).length;
    }

    /** Decodes every attribute; a record that fails is deleted (one warning) and reported absent. */
    private Optional<Map<String, Object>> decodeOrDiscard(SessionRecord record) {
        try {
            return Optional.of(codec.decodeAll(record.key(), record.attributes()));
        } catch (SessionDecodingException e) {
            LOG.warn("{} could not be decoded and was removed; its visitor gets a new session: {}", record.key(), e.getMessage());
            try {
                store.delete(record.key());
            } catch (SessionStoreException deleteFailure) {
                LOG.warn("removing undecodable {} failed; the sweeper will remove it when it expires", record.key(), deleteFailure);
            }
            return Optional.empty();
        }
    }

    private static Map<String, Object> withoutNullValues(Map<String, Object> values) {
        Map<String, Object> copy = new HashMap<>();
        values.forEach((k, v) -> {
            if (v != null) copy.put(k, v);
        });
        return copy;
    }

    private static void backOff(int attempt) {
        try {
            Thread.sleep(ThreadLocalRandom.current().nextLong(Math.min(attempt, 20) + 1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SessionStoreException("interrupted while retrying an update", e);
        }
    }

    static void notifyCreated(SessionListener listener, SessionKey key) {
        try {
            listener.sessionCreated(key);
        } catch (RuntimeException e) {
            LOG.warn("session listener {} failed on creation of {}", listener, key, e);
        }
    }

    static void notifyDestroyed(SessionListener listener, SessionKey key, Map<String, Object> attributes, SessionListener.Reason reason) {
        try {
            listener.sessionDestroyed(key, attributes, reason);
        } catch (RuntimeException e) {
            LOG.warn("session listener {} failed on {} of {}", listener, reason, key, e);
        }
    }

    /** Stops the sweeper and closes the store. */
    @Override
    public void close() {
        sweeper.close();
        store.close();
    }

    /** Assembles a {@link SessionManager}; only the store is required. */
    public static final class Builder {
        private final SessionStore store;
        private CloakroomConfig config = CloakroomConfig.builder().build();
        private SessionCodec codec = SessionCodec.builder().build();
        private InstantSource clock = InstantSource.system();
        private final List<SessionListener> listeners = new ArrayList<>();
        private Boolean sweeping;

        private Builder(SessionStore store) {
            this.store = Objects.requireNonNull(store, "store");
        }

        public Builder config(CloakroomConfig value) { this.config = Objects.requireNonNull(value, "config"); return this; }
        /** Default: {@code SessionCodec.builder().build()}, plain JSON values plus the modules found on the class path. */
        public Builder codec(SessionCodec value) { this.codec = Objects.requireNonNull(value, "codec"); return this; }
        /** The clock expiry is judged by; tests pass a fake one. */
        public Builder clock(InstantSource value) { this.clock = Objects.requireNonNull(value, "clock"); return this; }
        public Builder listener(SessionListener value) { this.listeners.add(Objects.requireNonNull(value, "listener")); return this; }
        /**
         * Whether this manager runs the background sweeper; by default {@link CloakroomConfig#sweeping()} decides.
         * Turn it off when a cron job sweeps instead (with {@link Sweeper#runOnce()}, or SQL).
         */
        public Builder sweeping(boolean value) { this.sweeping = value; return this; }

        public SessionManager build() {
            return new SessionManager(this);
        }
    }
}
