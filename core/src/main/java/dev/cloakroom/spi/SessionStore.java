package dev.cloakroom.spi;

import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionManager;
import dev.cloakroom.SessionStoreException;
import dev.cloakroom.SessionStoreUnavailableException;
import dev.cloakroom.Sweeper;

import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.function.Consumer;

/**
 * Where session records live: an I/O adapter with no policy of its own. The {@link SessionManager} decides what to
 * write and when a session has expired; a store only keeps records, applies {@link SessionWrite}s atomically and
 * deletes expired records when the {@link Sweeper} asks.
 *
 * <p>Contract, checked for every implementation by {@code SessionStoreContract} in {@code cloakroom-testkit}:
 * <ul>
 *   <li>keys are the only names stored: no raw id reaches a store;</li>
 *   <li>every call is bounded in time; a store that cannot answer within its timeout throws
 *       {@link SessionStoreUnavailableException}, any other failure is a {@link SessionStoreException};</li>
 *   <li>a record that cannot be read back (corrupt bytes) is reported absent and removed, never thrown;</li>
 *   <li>{@link #write} is atomic and never recreates a record that is gone;</li>
 *   <li>implementations are thread-safe.</li>
 * </ul>
 */
public interface SessionStore extends AutoCloseable {

    /** The stored record, expired or not (expiry is the manager's call); empty if absent or unreadable. */
    Optional<SessionRecord> load(SessionKey key);

    /**
     * Applies {@code write} atomically as {@link SessionWrite} describes, including its size cap: a write whose merged
     * record would exceed {@link SessionWrite#maxBytes()} changes nothing and answers {@link WriteResult#TOO_LARGE}.
     */
    WriteResult write(SessionWrite write);

    /**
     * Moves a live record from {@code from} to {@code write.key()} in one atomic step, applying {@code write}'s changes
     * on the way ({@code write} is a delta: not a create; its expected version is ignored): the record at {@code from} merged with
     * {@code write} as {@link SessionWrite#applyTo} does, created under the new key, and {@code from} removed. Answers
     * {@link WriteResult#GONE} and changes nothing if {@code from} is absent or expired at {@code write.now()},
     * {@link WriteResult#CONFLICT} if the new key is taken, {@link WriteResult#TOO_LARGE} if the merge exceeds the cap.
     *
     * <p>The default is the last resort for a store that cannot do better: load, create, delete, three calls with a
     * window in which a write to the old key is lost. A store that can move atomically overrides it.
     */
    default WriteResult move(SessionKey from, SessionWrite write) {
        if (write.create()) {
            throw new IllegalArgumentException("a move applies a delta, not a create: " + write);
        }
        Optional<SessionRecord> stored = load(from);
        if (stored.isEmpty() || stored.get().isExpiredAt(write.now())) {
            return WriteResult.GONE;
        }
        SessionRecord merged = write.applyTo(stored.get());
        if (write.exceedsCap(merged)) {
            return WriteResult.TOO_LARGE;
        }
        WriteResult created = write(write.asCreateOf(merged));
        if (created != WriteResult.WRITTEN) {
            return created;
        }
        if (!delete(from)) {
            // Removed meanwhile (a logout): the session must not live on under its new key.
            delete(write.key());
            return WriteResult.GONE;
        }
        return WriteResult.WRITTEN;
    }

    /** Removes the record; returns whether one was there. */
    boolean delete(SessionKey key);

    /**
     * Deletes up to {@code limit} records that expired at or before {@code now}, handing each one to {@code deleted}
     * (attributes included, so that listeners can be told what was lost) as soon as its deletion is certain, exactly
     * once, and before any later step of the same call can fail. A record written again meanwhile (no longer expired)
     * stays.
     *
     * @return how many records were deleted
     */
    int sweep(Instant now, int limit, Consumer<SessionRecord> deleted);

    /**
     * One page of the records held, for an operator's tools (count, list, purge): summaries without attributes, at most
     * {@code limit} of them, in an order of the store's choosing. Start with a null {@code cursor} and pass each page's
     * {@link RecordPage#next()} to the following call until it is absent.
     *
     * <ul>
     *   <li>every record present for the whole listing is returned exactly once, in some page (except that Redis
     *       may return one twice while it resizes its key table, as {@code SCAN} promises no more);</li>
     *   <li>records created, written or deleted meanwhile may or may not appear;</li>
     *   <li>expired records are listed too, until they are swept: they are still stored;</li>
     *   <li>a page may hold fewer than {@code limit} records, even none, while more follow;</li>
     *   <li>each call is bounded in time and memory like any other call, whatever the number of records;</li>
     *   <li>the cursor is opaque text, valid for this store only; a cursor this store did not give is refused with
     *       {@link IllegalArgumentException}.</li>
     * </ul>
     *
     * @throws IllegalArgumentException if {@code limit} is below 1 or the cursor is not one of this store's
     */
    RecordPage list(String cursor, int limit);

    /**
     * The records whose principal is {@code principal} (as {@link SessionRecord#principal()} holds it, compared exactly),
     * at most {@code limit} of them, those that expire last first: a user's sessions, for "sign out everywhere".
     *
     * <ul>
     *   <li>the answer agrees with the records: a record deleted, swept, moved away or given another principal is not
     *       returned, whatever the store's index still held (a stale index entry is ignored, and may be cleaned on the
     *       way); a moved record is returned under its new key;</li>
     *   <li>expired records may be returned until they are swept, after every live one, since they expire first;</li>
     *   <li>the index never outlives the records: once every record of a principal is gone (deleted, swept, moved to
     *       another principal), the store holds nothing for that principal;</li>
     *   <li>bounded in time and memory by {@code limit}, like any other call.</li>
     * </ul>
     *
     * <p>The default is the last resort for a third-party store without an index: it {@link #list lists} every record,
     * so a call costs a full scan of the store (one {@code list} page per {@value #PRINCIPAL_SCAN_PAGE} records). Our
     * stores override it with a real index.
     *
     * @throws IllegalArgumentException if {@code limit} is below 1
     */
    default List<RecordSummary> findByPrincipal(String principal, int limit) {
        Objects.requireNonNull(principal, "principal");
        RecordPage.requireLimit(limit);
        PriorityQueue<RecordSummary> kept = new PriorityQueue<>(LATEST_EXPIRY_FIRST.reversed());
        String cursor = null;
        do {
            RecordPage page = list(cursor, PRINCIPAL_SCAN_PAGE);
            for (RecordSummary summary : page.records()) {
                if (principal.equals(summary.principal())) {
                    kept.add(summary);
                    if (kept.size() > limit) {
                        kept.poll();
                    }
                }
            }
            cursor = page.next().orElse(null);
        } while (cursor != null);
        return kept.stream().sorted(LATEST_EXPIRY_FIRST).toList();
    }

    /** How many records a page of the default {@link #findByPrincipal}'s scan holds. */
    int PRINCIPAL_SCAN_PAGE = 1000;

    /** The order of {@link #findByPrincipal}: latest {@link RecordSummary#expiresAt()} first, then by key. */
    Comparator<RecordSummary> LATEST_EXPIRY_FIRST = Comparator.comparing(RecordSummary::expiresAt).reversed()
            .thenComparing(summary -> summary.key().value());

    /**
     * Tries to become the one sweeper among all processes sharing this store, for at most {@code ttl}. The default
     * suits a store that only this process can see.
     */
    default Optional<SweepLease> tryAcquireSweepLease(Duration ttl) {
        return Optional.of(SweepLease.LOCAL);
    }

    /**
     * Gives the store a way to ask for a sweep at once (the filesystem store does when it reaches its file threshold).
     * The default ignores it.
     */
    default void setSweepRequester(Runnable requestSweep) {
    }

    /**
     * Which part of the medium answers for {@code key}, for the manager's circuit breaker: while one part is down,
     * calls on its keys fail at once and calls on the others go on. The answer must be cheap (no I/O) and come from a
     * small set of values (one per server). The default, {@link #WHOLE_STORE} for every key, suits a store served by
     * one server or folder; a sharded store (Redis Cluster) answers the server that holds the key.
     */
    default Object failureDomain(SessionKey key) {
        return WHOLE_STORE;
    }

    /** The {@link #failureDomain} of a store that is up or down as a whole, and of calls that concern no one key. */
    Object WHOLE_STORE = "whole store";

    /** A one-line description for the start-up log: the medium and where, with secrets masked. */
    String describe();

    /** Releases connections, files and threads; does not delete data. */
    @Override
    void close();
}
