package dev.cloakroom.spi;

import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionManager;
import dev.cloakroom.SessionStoreException;
import dev.cloakroom.SessionStoreUnavailableException;
import dev.cloakroom.Sweeper;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

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

    /** Applies {@code write} atomically as {@link SessionWrite} describes. */
    WriteResult write(SessionWrite write);

    /** Removes the record; returns whether one was there. */
    boolean delete(SessionKey key);

    /**
     * Deletes up to {@code limit} records that expired at or before {@code now} and returns them, attributes included,
     * so that listeners can be told what was lost. A record written again meanwhile (no longer expired) stays.
     */
    List<SessionRecord> sweep(Instant now, int limit);

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

    /** A one-line description for the start-up log: the medium and where, with secrets masked. */
    String describe();

    /** Releases connections, files and threads; does not delete data. */
    @Override
    void close();
}
