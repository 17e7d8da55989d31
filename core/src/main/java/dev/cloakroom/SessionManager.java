package dev.cloakroom;

import dev.cloakroom.spi.RecordSummary;
import dev.cloakroom.spi.SessionRecord;
import dev.cloakroom.spi.SessionStore;
import dev.cloakroom.spi.SessionWrite;
import dev.cloakroom.spi.WriteResult;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.function.Supplier;
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
 * Every store call passes a circuit breaker: while the store does not answer, calls fail at once with
 * {@link SessionStoreUnavailableException} and one call per {@link CloakroomConfig#storeRetryInterval()} checks whether
 * it is back. Build one per application with {@link #builder(SessionStore)}; {@link #close()} stops its sweeper and
 * closes the store.
 */
public final class SessionManager implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SessionManager.class);

    private final SessionStore store;
    private final CloakroomConfig config;
    private final SessionCodec codec;
    private final InstantSource clock;
    private final List<SessionListener> listeners;
    private final SessionIds ids = new SessionIds();
    private final Sweeper sweeper;
    private final SessionMetrics metrics;
    /** Null when the application sets principals itself, or uses none. */
    private final Function<Session, String> principalResolver;

    /**
     * The most sessions {@link #sessionsOf} returns for one principal, and the most {@link #revokeAll} ends per round
     * trip to the store: a user's sessions are listed and revoked in bounded steps, however many the user holds.
     */
    public static final int MAX_SESSIONS_PER_PRINCIPAL = 1000;
    private final SessionLocks locks = new SessionLocks();

    private SessionManager(Builder b) {
        // every store, whoever wrote it, gets the same fail-fast behaviour while it is down; the sweeper goes through it too
        this.metrics = b.metrics;
        this.store = new CircuitBreakingStore(b.store, b.config.storeRetryInterval(), b.clock, metrics);
        this.config = b.config;
        // what the cap lets a request save, the codec must read back on the next load
        this.codec = (b.codec != null ? b.codec : SessionCodec.builder().build()).withMaxBytes(config.maxSessionBytes());
        this.clock = b.clock;
        this.listeners = List.copyOf(b.listeners);
        this.principalResolver = b.principalResolver;
        this.sweeper = new Sweeper(store, codec, listeners, config, clock, metrics);
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

    /** Where this manager reports what it does; the servlet filter adds the ids whose cookie signature failed. */
    public SessionMetrics metrics() {
        return metrics;
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
            metrics.idRejected(SessionMetrics.RejectedId.MALFORMED);
            return Optional.empty();
        }
        SessionKey key = SessionKey.of(rawId);
        long stamp = locks.stamp();
        Optional<SessionRecord> loaded = store.load(key);
        Instant now = clock.instant();
        Optional<Session> found = loaded.filter(record -> isLive(record, now))
                .flatMap(record -> decodeOrDiscard(record).map(values -> new Session(this, rawId, record, values, now, stamp)));
        if (found.isPresent()) {
            metrics.sessionLoaded();
        } else {
            metrics.idRejected(SessionMetrics.RejectedId.UNKNOWN);
        }
        return found;
    }

    /** A new session with a fresh id; nothing is stored until it holds data and is committed. */
    public Session create() {
        return new Session(this, ids.next(), config.idleTimeout(), clock.instant(), locks.stamp());
    }

    /**
     * Saves what this request changed, in at most one atomic store write (a {@link SessionStore#move} when the id
     * changed). Whether it returns or throws, the session's state says afterwards what the store holds, as far as this
     * request knows: {@link Session#isStored()} under {@link Session#id()}, or {@link Session#isInvalidated()}.
     *
     * @return what happened to the session
     * @throws SessionTooLargeException if the session would exceed {@link CloakroomConfig#maxSessionBytes()}, merged
     *         with what other requests saved; nothing is written (a changed id stays unsaved: the session is still
     *         stored under its old id)
     * @throws UnsupportedAttributeException if an attribute was changed in place, after it was set or read, to
     *         something the codec refuses; the other changes were saved (a new session was created, a changed id
     *         moved), and the refused attribute stays as it was stored
     * @throws SessionStoreException if the store fails or times out; nothing is known to be written
     */
    public CommitOutcome commit(Session session) {
        synchronized (session) {
            if (session.isInvalidated()) {
                return CommitOutcome.ENDED;
            }
            Instant now = clock.instant();
            resolvePrincipal(session);
            boolean writtenByUpdate = session.takeWrittenByUpdate();
            AttributeChanges changes = session.pendingChanges(codec);
            CommitOutcome outcome = save(session, changes, writtenByUpdate, now);
            if (!changes.rejected().isEmpty()) {
                if (outcome == CommitOutcome.ENDED) {
                    LOG.debug("{} ended; its unstorable attributes {} are moot", session.key(), changes.rejected().keySet());
                } else {
                    throw changes.rejection();
                }
            }
            return outcome;
        }
    }

    /** Asks the resolver, if there is one, who is signed in; a name it cannot store clears the principal, with a warning. */
    private void resolvePrincipal(Session session) {
        if (principalResolver == null) {
            return;
        }
        String resolved = principalResolver.apply(session);
        if (Objects.equals(resolved, session.principalOrNull())) {
            return;
        }
        try {
            session.setPrincipal(resolved);
        } catch (IllegalArgumentException e) {
            LOG.warn("the principal resolver named a user that cannot be indexed; {} is stored without a principal: {}",
                    session.key(), e.getMessage());
            session.setPrincipal(null);
        }
    }

    private CommitOutcome save(Session session, AttributeChanges changes, boolean writtenByUpdate, Instant now) {
        if (!session.hasRecord()) {
            AttributeChanges created = changes.withoutRemovals();
            if (created.isEmpty() && session.principalOrNull() == null) {
                return CommitOutcome.NOTHING_TO_STORE;
            }
            requireWithinCap(session, created);
            WriteResult result = store.write(writeOf(session, session.key(), true, created, SessionWrite.ANY_VERSION, now));
            if (result == WriteResult.TOO_LARGE) {
                throw new SessionTooLargeException(config.maxSessionBytes());
            }
            if (result != WriteResult.WRITTEN) {
                throw new SessionStoreException("store answered " + result + " to the creation of " + session.key() + ", a fresh key");
            }
            session.written(created, now, true);
            metrics.sessionCreated();
            listeners.forEach(l -> notifyCreated(l, session.key()));
            return CommitOutcome.SAVED;
        }
        if (session.renamedFrom() != null) {
            return move(session, changes, now);
        }
        // A persistent cookie's Max-Age must follow a touch, so the touch is decided by when the request opened the
        // session: a later commit of the same request (after the body, when the response may be committed and can no
        // longer carry the cookie) does not take up a touch that fell due meanwhile; the next request does.
        Instant touchedBy = config.permanent() ? session.lastAccessedAt() : now;
        boolean touchDue = !Duration.between(session.lastWrittenAt(), touchedBy).minus(touchInterval(session)).isNegative();
        boolean onlyTimes = changes.isEmpty() && !session.maxInactiveIntervalChanged() && !session.principalChanged();
        if (onlyTimes && !touchDue) {
            return writtenByUpdate ? CommitOutcome.SAVED : CommitOutcome.UNCHANGED;
        }
        requireWithinCap(session, changes);
        SessionWrite write = writeOf(session, session.key(), false, changes, SessionWrite.ANY_VERSION, now);
        WriteResult result = unconditionally(session.key(), "saving", () -> store.write(write));
        switch (result) {
            case WRITTEN:
                session.written(changes, now, false);
                if (onlyTimes) {
                    metrics.sessionTouched();
                } else {
                    metrics.sessionSaved();
                }
                return CommitOutcome.SAVED;
            case GONE:
                LOG.debug("{} ended while a request was using it; its changes were not saved", session.key());
                session.markInvalidated();
                return CommitOutcome.ENDED;
            case TOO_LARGE:
                throw new SessionTooLargeException(config.maxSessionBytes());
            default:
                throw new SessionStoreException("store answered " + result + " to an unconditional write of " + session.key());
        }
    }

    /**
     * Moves the session to its new key in one store call, this request's changes merged on the way into the record as
     * stored then (so that what other requests saved meanwhile comes along). A session that ended meanwhile is not
     * brought back under the new key.
     */
    private CommitOutcome move(Session session, AttributeChanges changes, Instant now) {
        SessionKey oldKey = session.renamedFrom();
        requireWithinCap(session, changes);
        SessionWrite write = writeOf(session, session.key(), false, changes, SessionWrite.ANY_VERSION, now);
        WriteResult result = unconditionally(oldKey, "moving", () -> store.move(oldKey, write));
        switch (result) {
            case WRITTEN:
                session.written(changes, now, false);
                metrics.sessionIdChanged();
                return CommitOutcome.SAVED;
            case GONE:
                LOG.debug("{} ended before its id could be changed; it is not recreated", oldKey);
                session.markInvalidated();
                return CommitOutcome.ENDED;
            case TOO_LARGE:
                throw new SessionTooLargeException(config.maxSessionBytes());
            default:
                throw new SessionStoreException("store answered " + result + " to the move of " + oldKey + " to "
                        + session.key() + ", a fresh key");
        }
    }

    /**
     * The write of an update waits for the other writes of this process to the same session on its local lock, then
     * starts from the record the last of them left, so that requests of one process never make each other retry; a
     * write from another process found by the compare-and-set costs a reload and a retry. Lock wait and retries
     * together are bounded by the store timeout.
     */
    <T> T update(Session session, String name, UnaryOperator<T> fn) {
        long started = System.nanoTime();
        // The session lock is held across the write, as in commit: another thread of the same request cannot slip a
        // change in between collecting the pending changes and marking them written.
        synchronized (session) {
            if (session.isInvalidated()) {
                throw new IllegalStateException("session has been invalidated");
            }
            if (!session.isStored()) {
                // Not stored under its current id yet: nothing else can see it, so commit saves the change. Decided
                // under the same lock as the write, so a concurrent changeId cannot send it to an unknown key.
                @SuppressWarnings("unchecked")
                T local = fn.apply((T) session.getAttribute(name));
                session.setAttribute(name, local);
                return local;
            }
            try (SessionLocks.Held held = lock(session.key(), started, "updating '" + name + "' of")) {
                catchUp(session, held);
                return updateHeld(session, name, fn, held, started);
            }
        }
    }

    private <T> T updateHeld(Session session, String name, UnaryOperator<T> fn, SessionLocks.Held held, long started) {
        int conflicts = 0;
        while (true) {
            Instant now = clock.instant();
            @SuppressWarnings("unchecked")
            T current = (T) codec.decodeOrNull(session.key(), name, session.storedValue(name));
            T next = fn.apply(current);
            String encoded = next == null ? null : codec.encodeAttribute(name, next);
            // The request's other changes go in the same atomic write, so that an upload's data and its count are
            // saved together or not at all, and commit has nothing left to write.
            AttributeChanges changes = session.pendingChanges(codec).with(name, encoded);
            requireWithinCap(session, changes);
            SessionWrite write = writeOf(session, session.key(), false, changes, session.version(), now);
            WriteResult result = writeHeld(held, write);
            switch (result) {
                case WRITTEN:
                    session.written(changes, now, false);
                    session.updated(name, next);
                    session.stamp(held.wrote(session.asWritten(write.expiresAt())));
                    metrics.sessionSaved();
                    return next;
                case GONE:
                    session.markInvalidated();
                    throw new SessionEndedException(session.key(), "'" + name + "' was being updated");
                case TOO_LARGE:
                    throw new SessionTooLargeException(config.maxSessionBytes());
                default:
                    conflicts++;
                    metrics.updateConflict();
                    reload(session, now);
            }
            // Bounded as a whole by the store timeout, like any other store call the request waits for.
            long remaining = config.storeTimeout().toNanos() - (System.nanoTime() - started);
            if (remaining <= 0) {
                metrics.updateGaveUp();
                throw new SessionStoreException("gave up updating '" + name + "' of " + session.key() + " after "
                        + Duration.ofNanos(System.nanoTime() - started).toMillis() + " ms, past the store timeout of "
                        + config.storeTimeout().toMillis() + " ms: " + conflicts
                        + " conflicting writes, as other processes kept changing the session");
            }
            backOff(conflicts, remaining);
        }
    }

    /**
     * Brings a session that waited on its lock up to what the writes of this process left: from the record the last
     * compare-and-set left if it is newer, else with a load if a local write may have landed since the session was
     * loaded.
     */
    private void catchUp(Session session, SessionLocks.Held held) {
        SessionRecord latest = held.latest();
        if (latest != null) {
            if (latest.version() > session.version()) {
                refresh(session, latest);
            }
        } else if (held.writtenSince(session.stamp())) {
            reload(session, clock.instant());
        }
    }

    /** Reads the session anew, as it is stored now; an ended or undecodable one is invalidated. */
    private void reload(Session session, Instant now) {
        long stamp = locks.stamp();
        Optional<SessionRecord> fresh = store.load(session.key());
        if (fresh.isEmpty() || !isLive(fresh.get(), now)) {
            session.markInvalidated();
            throw new SessionEndedException(session.key(), "it was being updated");
        }
        refresh(session, fresh.get());
        session.stamp(stamp);
    }

    /** Gives the session the stored state {@code record}; an undecodable one is removed and the session invalidated. */
    private void refresh(Session session, SessionRecord record) {
        Optional<Map<String, Object>> decoded = decodeOrDiscard(record);
        if (decoded.isEmpty()) {
            session.markInvalidated();
            throw new SessionEndedException(session.key(), "it was being updated (its record became undecodable and was removed)");
        }
        session.refreshed(record, decoded.get());
    }

    /**
     * {@code key}'s local lock, waited for at most what is left of the store timeout since {@code started}.
     *
     * @throws SessionStoreException if the other writes of this process to the same session outlast that
     */
    private SessionLocks.Held lock(SessionKey key, long started, String doing) {
        long timeout = config.storeTimeout().toNanos();
        SessionLocks.Held held = locks.acquire(key, timeout - (System.nanoTime() - started));
        if (held == null) {
            throw new SessionStoreException("gave up " + doing + " " + key + " after waiting "
                    + Duration.ofNanos(System.nanoTime() - started).toMillis() + " ms, past the store timeout of "
                    + Duration.ofNanos(timeout).toMillis() + " ms, for the other requests of this process writing it");
        }
        return held;
    }

    /** An unconditional write under {@code key}'s lock: what else the record holds afterwards is not known here. */
    private WriteResult unconditionally(SessionKey key, String doing, Supplier<WriteResult> write) {
        try (SessionLocks.Held held = lock(key, System.nanoTime(), doing)) {
            try {
                return write.get();
            } finally {
                held.wrote(null);
            }
        }
    }

    /** A compare-and-set under {@code held}; one that did not land, or may have, leaves the lock's record unknown. */
    private WriteResult writeHeld(SessionLocks.Held held, SessionWrite write) {
        WriteResult result = null;
        try {
            result = store.write(write);
            return result;
        } finally {
            if (result != WriteResult.WRITTEN) {
                held.wrote(null);
            }
        }
    }

    boolean invalidate(Session session) {
        Map<String, Object> attributes;
        SessionKey key;
        synchronized (session) {
            if (session.isInvalidated()) {
                throw new IllegalStateException("session has been invalidated already");
            }
            session.markInvalidated();
            attributes = session.attributes();
            key = session.renamedFrom() != null ? session.renamedFrom() : session.key();
            if (!session.hasRecord()) {
                metrics.sessionInvalidated();
                return true;
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
        metrics.sessionInvalidated();
        // Only the call that removed the record reports it: another request, or the sweeper, may have done so already.
        if (removed) {
            listeners.forEach(l -> notifyDestroyed(l, key, attributes, SessionListener.Reason.INVALIDATED));
        }
        return removed;
    }

    void changeId(Session session) {
        synchronized (session) {
            if (session.isInvalidated()) {
                throw new IllegalStateException("session has been invalidated");
            }
            session.assignId(ids.next());
        }
    }

    /**
     * The live sessions of the user named {@code principal} (as {@link Session#setPrincipal} or the principal resolver
     * set it, compared exactly), most recently used first, at most {@value #MAX_SESSIONS_PER_PRINCIPAL} of them (those
     * that expire last). One store call, on an index every store of Cloakroom keeps.
     *
     * @throws IllegalArgumentException if the name is not one {@link Session#setPrincipal} accepts
     * @throws SessionStoreException if the store fails or times out
     */
    public List<SessionInfo> sessionsOf(String principal) {
        Session.requireValidPrincipal(principal);
        Instant now = clock.instant();
        return liveSessionsOf(principal, now).stream()
                .sorted(Comparator.comparing(RecordSummary::lastAccessedAt).reversed())
                .map(this::infoOf)
                .toList();
    }

    /**
     * Ends the session with this key now, from outside any request of its visitor (a "your devices" page, an operator):
     * the record is deleted, and listeners are told with {@link SessionListener.Reason#REVOKED} and the attributes it
     * held when it was read just before. A request using it meanwhile finds it ended at its commit.
     *
     * @return true if this call ended a live session; false if there was none (unknown, ended already, or expired,
     *         which the sweeper reports)
     * @throws SessionStoreException if the store fails or times out
     */
    public boolean revoke(SessionKey key) {
        Objects.requireNonNull(key, "key");
        Optional<SessionRecord> stored = store.load(key);
        if (stored.isEmpty() || !isLive(stored.get(), clock.instant())) {
            return false;
        }
        return revoke(stored.get());
    }

    /**
     * Ends every live session of the user named {@code principal} ("sign out everywhere"), as {@link #revoke} does each
     * one, in rounds of at most {@value #MAX_SESSIONS_PER_PRINCIPAL}. A session the user opens meanwhile may survive.
     *
     * @return how many sessions this call ended
     * @throws IllegalArgumentException if the name is not one {@link Session#setPrincipal} accepts
     * @throws SessionStoreException if the store fails or times out; the sessions ended before it stay ended
     */
    public int revokeAll(String principal) {
        Session.requireValidPrincipal(principal);
        int revoked = 0;
        while (true) {
            List<RecordSummary> live = liveSessionsOf(principal, clock.instant());
            int round = 0;
            for (RecordSummary summary : live) {
                Optional<SessionRecord> stored = store.load(summary.key());
                if (stored.isPresent() && principal.equals(stored.get().principal()) && revoke(stored.get())) {
                    round++;
                }
            }
            revoked += round;
            // A round that ended nothing (others ended them first) or found less than a full page leaves nothing more.
            if (round == 0 || live.size() < MAX_SESSIONS_PER_PRINCIPAL) {
                return revoked;
            }
        }
    }

    private boolean revoke(SessionRecord record) {
        if (!store.delete(record.key())) {
            return false;
        }
        metrics.sessionInvalidated();
        Map<String, Object> attributes;
        try {
            attributes = codec.decodeAll(record.key(), record.attributes());
        } catch (SessionDecodingException e) {
            attributes = Map.of();
        }
        Map<String, Object> held = attributes;
        listeners.forEach(l -> notifyDestroyed(l, record.key(), held, SessionListener.Reason.REVOKED));
        return true;
    }

    /** The store's index entries for {@code principal} that are live at {@code now}, checked against the name again. */
    private List<RecordSummary> liveSessionsOf(String principal, Instant now) {
        return store.findByPrincipal(principal, MAX_SESSIONS_PER_PRINCIPAL).stream()
                .filter(summary -> principal.equals(summary.principal()))
                .filter(summary -> isLive(summary, now))
                .toList();
    }

    private SessionInfo infoOf(RecordSummary summary) {
        Instant absoluteDeadline = config.absoluteTimeout().map(limit -> plusSaturated(summary.createdAt(), limit)).orElse(null);
        return new SessionInfo(summary.key(), summary.principal(), summary.createdAt(), summary.lastAccessedAt(),
                plusSaturated(summary.lastAccessedAt(), summary.maxInactiveInterval()), absoluteDeadline,
                summary.sizeInBytes());
    }

    Instant expiresAt(Instant createdAt, Instant lastAccessedAt, Duration maxInactiveInterval) {
        Instant idleDeadline = plusSaturated(lastAccessedAt, maxInactiveInterval);
        return config.absoluteTimeout()
                .map(absolute -> plusSaturated(createdAt, absolute))
                .filter(absoluteDeadline -> absoluteDeadline.isBefore(idleDeadline))
                .orElse(idleDeadline);
    }

    /** A write of {@code session} as accessed at {@code now}: its deadline moves, its creation time never does. */
    private SessionWrite writeOf(Session session, SessionKey key, boolean create, AttributeChanges changes,
                                 long expectedVersion, Instant now) {
        boolean setsPrincipal = create ? session.principalOrNull() != null : session.principalChanged();
        return new SessionWrite(key, create, changes.upserts(), changes.removals(), session.createdAt(), now,
                session.maxInactiveInterval(), expiresAt(session.createdAt(), now, session.maxInactiveInterval()),
                expectedVersion, now, config.maxSessionBytes(), setsPrincipal, setsPrincipal ? session.principalOrNull() : null);
    }

    /** By its stored deadline, and by the absolute lifetime as configured now (it may have been lowered since). */
    private boolean isLive(SessionRecord record, Instant now) {
        return isLive(RecordSummary.of(record), now);
    }

    private boolean isLive(RecordSummary record, Instant now) {
        return !record.isExpiredAt(now)
                && expiresAt(record.createdAt(), record.lastAccessedAt(), record.maxInactiveInterval()).isAfter(now);
    }

    private Duration touchInterval(Session session) {
        Duration interval = session.maxInactiveInterval();
        // in double seconds, since a stored interval may be too long for toMillis(); the cast saturates
        double seconds = interval.getSeconds() + interval.getNano() / 1e9;
        return Duration.ofMillis((long) (seconds * 1000 * config.touchRatio()));
    }

    /**
     * {@code start + span}, or {@link Instant#MAX} / {@link Instant#MIN} where that leaves Instant's range: whatever
     * instants and durations a store hands back, a deadline is computed without failing the request.
     */
    static Instant plusSaturated(Instant start, Duration span) {
        // Thrown only past Instant's range. Not Duration.between(start, Instant.MAX) as a bound: it overflows its nanos
        // and catches that inside on every call, which deoptimises the compiled request path each time.
        try {
            return start.plus(span);
        } catch (DateTimeException | ArithmeticException e) {
            return span.isNegative() ? Instant.MIN : Instant.MAX;
        }
    }

    /**
     * Refuses at once what this request alone already makes too large, saving the round trip; the store checks the
     * merged record, which may also hold what other requests saved.
     */
    private void requireWithinCap(Session session, AttributeChanges changes) {
        if (changes.upserts().isEmpty()) {
            return;
        }
        long size = session.sizeWith(changes);
        if (size > config.maxSessionBytes()) {
            throw new SessionTooLargeException(size, config.maxSessionBytes());
        }
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

    private static void backOff(int conflicts, long remainingNanos) {
        long millis = Math.min(ThreadLocalRandom.current().nextLong(Math.min(conflicts, 20) + 1),
                Duration.ofNanos(remainingNanos).toMillis() + 1);
        try {
            Thread.sleep(millis);
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
        /**
         * Null until one is given; the default is built only then, as discovering modules can fail on a class path the
         * application works around with a codec of its own.
         */
        private SessionCodec codec;
        private InstantSource clock = InstantSource.system();
        private final List<SessionListener> listeners = new ArrayList<>();
        private Boolean sweeping;
        private SessionMetrics metrics = SessionMetrics.NO_OP;
        private Function<Session, String> principalResolver;

        private Builder(SessionStore store) {
            this.store = Objects.requireNonNull(store, "store");
        }

        /** Default: {@code CloakroomConfig.builder().build()}, every setting at its documented default. */
        public Builder config(CloakroomConfig value) { this.config = Objects.requireNonNull(value, "config"); return this; }
        /**
         * Default {@code SessionCodec.builder().build()}: plain JSON values plus the {@link SessionCodecModule}s found on
         * the class path. The manager uses it {@link SessionCodec#withMaxBytes with read limits} that follow
         * {@link CloakroomConfig#maxSessionBytes()}.
         */
        public Builder codec(SessionCodec value) { this.codec = Objects.requireNonNull(value, "codec"); return this; }
        /**
         * The clock expiry and the store's retry interval are judged by; default {@link InstantSource#system()}; tests
         * pass a fake one.
         */
        public Builder clock(InstantSource value) { this.clock = Objects.requireNonNull(value, "clock"); return this; }
        /** Adds a listener; default none. */
        public Builder listener(SessionListener value) { this.listeners.add(Objects.requireNonNull(value, "listener")); return this; }
        /**
         * Whether this manager runs the background sweeper; by default {@link CloakroomConfig#sweeping()} decides.
         * Turn it off when a cron job sweeps instead (with {@link Sweeper#runOnce()}, or SQL).
         */
        public Builder sweeping(boolean value) { this.sweeping = value; return this; }
        /**
         * Where the manager reports sessions created, loaded, saved, expired, rejected ids and store call latency and
         * failures; default {@link SessionMetrics#NO_OP}. {@code cloakroom-micrometer} provides one for Micrometer.
         */
        public Builder metrics(SessionMetrics value) { this.metrics = Objects.requireNonNull(value, "metrics"); return this; }

        /**
         * Derives the signed-in user's name from the session at every commit (a framework reads its own attribute: the
         * Spring integration reads Spring Security's {@code SecurityContext}); default none, the application calls
         * {@link Session#setPrincipal} itself. When it answers a name other than the session's, the session's principal
         * is set to it ({@code null} clears it) and written with the commit. A name {@link Session#setPrincipal} refuses
         * clears the principal, with a warning. It runs on the request's thread with the session locked: it must be
         * quick and must not call the manager.
         */
        public Builder principalResolver(Function<Session, String> value) {
            this.principalResolver = Objects.requireNonNull(value, "principalResolver");
            return this;
        }

        public SessionManager build() {
            return new SessionManager(this);
        }
    }
}
