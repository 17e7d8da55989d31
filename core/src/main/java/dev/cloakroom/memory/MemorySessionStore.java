package dev.cloakroom.memory;

import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionLimitExceededException;
import dev.cloakroom.spi.RecordPage;
import dev.cloakroom.spi.RecordSummary;
import dev.cloakroom.spi.SessionRecord;
import dev.cloakroom.spi.SessionStore;
import dev.cloakroom.spi.SessionWrite;
import dev.cloakroom.spi.WriteResult;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.function.Consumer;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Sessions in this JVM's heap: for tests and single-process development. Lost on restart; never shared.
 * Optionally capped: beyond {@code maxSessions} new sessions are refused with {@link SessionLimitExceededException}
 * and an immediate sweep of expired ones is requested; live sessions are never evicted.
 */
public final class MemorySessionStore implements SessionStore {
    private static final Comparator<SessionRecord> BY_KEY = Comparator.comparing(record -> record.key().value());

    private final ConcurrentMap<SessionKey, SessionRecord> records = new ConcurrentHashMap<>();
    /**
     * The keys of each principal's records. Changed only inside the atomic step on {@link #records} that changes the
     * record (a compute on its key), so it follows the records exactly; a principal with no record has no entry.
     */
    private final ConcurrentMap<String, Set<SessionKey>> byPrincipal = new ConcurrentHashMap<>();
    private final long maxSessions;
    private final Object createLock = new Object();
    private volatile Runnable sweepRequester = () -> { };

    /** An unbounded store. */
    public MemorySessionStore() {
        this(Long.MAX_VALUE);
    }

    /** @param maxSessions how many sessions may exist at once (live or not yet swept) */
    public MemorySessionStore(long maxSessions) {
        if (maxSessions < 1) {
            throw new IllegalArgumentException("maxSessions must be positive: " + maxSessions);
        }
        this.maxSessions = maxSessions;
    }

    @Override
    public Optional<SessionRecord> load(SessionKey key) {
        return Optional.ofNullable(records.get(key));
    }

    @Override
    public WriteResult write(SessionWrite write) {
        if (write.create()) {
            // Count and insert as one step, or simultaneous creates would all pass the count and overshoot the cap.
            synchronized (createLock) {
                if (records.size() >= maxSessions) {
                    // Expired records may be what fills it: the sweeper removes only those, and tells listeners.
                    sweepRequester.run();
                    throw new SessionLimitExceededException("memory store holds its maximum of " + maxSessions + " sessions");
                }
                SessionRecord created = write.applyTo(null);
                if (write.exceedsCap(created)) {
                    return WriteResult.TOO_LARGE;
                }
                boolean[] taken = {false};
                records.compute(write.key(), (key, stored) -> {
                    if (stored != null) {
                        taken[0] = true;
                        return stored;
                    }
                    index(created);
                    return created;
                });
                return taken[0] ? WriteResult.CONFLICT : WriteResult.WRITTEN;
            }
        }
        WriteResult[] result = {WriteResult.GONE};
        records.computeIfPresent(write.key(), (key, stored) -> {
            if (stored.isExpiredAt(write.now())) {
                return stored;
            }
            if (write.expectedVersion() != SessionWrite.ANY_VERSION && write.expectedVersion() != stored.version()) {
                result[0] = WriteResult.CONFLICT;
                return stored;
            }
            SessionRecord merged = write.applyTo(stored);
            if (write.exceedsCap(merged)) {
                result[0] = WriteResult.TOO_LARGE;
                return stored;
            }
            result[0] = WriteResult.WRITTEN;
            reindex(stored, merged);
            return merged;
        });
        return result[0];
    }

    /**
     * Atomic: the create lock, which every create takes, keeps the new key free, and the old record is removed only if
     * no write changed it since it was read (else the move starts again from the newer record).
     */
    @Override
    public WriteResult move(SessionKey from, SessionWrite write) {
        synchronized (createLock) {
            while (true) {
                SessionRecord stored = records.get(from);
                if (stored == null || stored.isExpiredAt(write.now())) {
                    return WriteResult.GONE;
                }
                if (records.containsKey(write.key())) {
                    return WriteResult.CONFLICT;
                }
                SessionRecord merged = write.applyTo(stored);
                if (write.exceedsCap(merged)) {
                    return WriteResult.TOO_LARGE;
                }
                if (removeIfSame(from, stored)) {
                    // the merge is keyed by the write, so it is the record under the new key
                    records.compute(write.key(), (key, absent) -> {
                        index(merged);
                        return merged;
                    });
                    return WriteResult.WRITTEN;
                }
            }
        }
    }

    @Override
    public boolean delete(SessionKey key) {
        boolean[] removed = {false};
        records.computeIfPresent(key, (k, stored) -> {
            unindex(stored);
            removed[0] = true;
            return null;
        });
        return removed[0];
    }

    @Override
    public int sweep(Instant now, int limit, Consumer<SessionRecord> deleted) {
        int swept = 0;
        for (SessionRecord candidate : records.values()) {
            if (swept >= limit) {
                break;
            }
            if (candidate.isExpiredAt(now) && removeIfSame(candidate.key(), candidate)) {
                swept++;
                deleted.accept(candidate);
            }
        }
        return swept;
    }

    /**
     * Keys in ascending order, the cursor being the last key returned. Each call selects its page from all keys without
     * copying them, so a page costs one pass over the map: fine for the sizes a heap holds.
     */
    @Override
    public RecordPage list(String cursor, int limit) {
        RecordPage.requireLimit(limit);
        String after = cursor == null ? "" : new SessionKey(cursor).value();
        PriorityQueue<SessionRecord> page = new PriorityQueue<>(BY_KEY.reversed());
        for (SessionRecord record : records.values()) {
            if (record.key().value().compareTo(after) > 0) {
                page.add(record);
                if (page.size() > limit) {
                    page.poll();
                }
            }
        }
        List<RecordSummary> summaries = page.stream().sorted(BY_KEY).map(RecordSummary::of).toList();
        Optional<String> next = summaries.size() < limit ? Optional.empty()
                : Optional.of(summaries.get(summaries.size() - 1).key().value());
        return new RecordPage(summaries, next);
    }

    /** From the index, each key checked against its record; every record of the principal, so bounded by the heap. */
    @Override
    public List<RecordSummary> findByPrincipal(String principal, int limit) {
        Objects.requireNonNull(principal, "principal");
        RecordPage.requireLimit(limit);
        return byPrincipal.getOrDefault(principal, Set.of()).stream()
                .map(records::get)
                .filter(record -> record != null && principal.equals(record.principal()))
                .map(RecordSummary::of)
                .sorted(LATEST_EXPIRY_FIRST)
                .limit(limit)
                .toList();
    }

    /** Whether the index holds an entry for {@code principal}: what leak tests look at. */
    public boolean holdsPrincipalIndexFor(String principal) {
        return byPrincipal.containsKey(principal);
    }

    /** Removes the record under {@code key} if it is still {@code expected}, and its index entry in the same step. */
    private boolean removeIfSame(SessionKey key, SessionRecord expected) {
        boolean[] removed = {false};
        records.computeIfPresent(key, (k, stored) -> {
            if (stored != expected) {
                return stored;
            }
            unindex(stored);
            removed[0] = true;
            return null;
        });
        return removed[0];
    }

    private void reindex(SessionRecord before, SessionRecord after) {
        if (!Objects.equals(before.principal(), after.principal())) {
            unindex(before);
            index(after);
        }
    }

    private void index(SessionRecord record) {
        if (record.principal() != null) {
            byPrincipal.compute(record.principal(), (p, keys) -> {
                Set<SessionKey> held = keys != null ? keys : ConcurrentHashMap.<SessionKey>newKeySet();
                held.add(record.key());
                return held;
            });
        }
    }

    private void unindex(SessionRecord record) {
        if (record.principal() != null) {
            // computeIfPresent, so that an emptied set goes in the same step and no principal is left with an empty entry
            byPrincipal.computeIfPresent(record.principal(), (p, keys) -> {
                keys.remove(record.key());
                return keys.isEmpty() ? null : keys;
            });
        }
    }

    /** Asked for a sweep when the cap refuses a new session, as the filesystem store does. */
    @Override
    public void setSweepRequester(Runnable requestSweep) {
        this.sweepRequester = Objects.requireNonNull(requestSweep, "requestSweep");
    }

    @Override
    public String describe() {
        return "memory (this process only" + (maxSessions == Long.MAX_VALUE ? "" : ", at most " + maxSessions + " sessions") + ")";
    }

    @Override
    public void close() {
    }
}
