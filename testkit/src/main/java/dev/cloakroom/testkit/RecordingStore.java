package dev.cloakroom.testkit;

import dev.cloakroom.SessionKey;
import dev.cloakroom.spi.RecordPage;
import dev.cloakroom.spi.RecordSummary;
import dev.cloakroom.spi.SessionRecord;
import dev.cloakroom.spi.SessionStore;
import dev.cloakroom.spi.SessionWrite;
import dev.cloakroom.spi.SweepLease;
import dev.cloakroom.spi.WriteResult;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * A store that passes every call to another one and remembers the key of every record it created or moved, so that a
 * test can see what the store holds through {@link #snapshot()} without the store having to offer a listing.
 */
public final class RecordingStore implements SessionStore {
    private final SessionStore delegate;
    private final Set<SessionKey> keys = ConcurrentHashMap.newKeySet();

    public RecordingStore(SessionStore delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /** The records held now under the keys this store created or moved to, in no particular order. */
    public List<SessionRecord> snapshot() {
        return keys.stream().map(delegate::load).flatMap(Optional::stream).toList();
    }

    @Override
    public Optional<SessionRecord> load(SessionKey key) {
        return delegate.load(key);
    }

    @Override
    public WriteResult write(SessionWrite write) {
        if (write.create()) {
            keys.add(write.key()); // before the call: a create that answers nothing may still have landed
        }
        return delegate.write(write);
    }

    @Override
    public WriteResult move(SessionKey from, SessionWrite write) {
        keys.add(write.key());
        return delegate.move(from, write);
    }

    @Override
    public boolean delete(SessionKey key) {
        return delegate.delete(key);
    }

    @Override
    public RecordPage list(String cursor, int limit) {
        return delegate.list(cursor, limit);
    }

    @Override
    public List<RecordSummary> findByPrincipal(String principal, int limit) {
        return delegate.findByPrincipal(principal, limit);
    }

    @Override
    public int sweep(Instant now, int limit, Consumer<SessionRecord> deleted) {
        return delegate.sweep(now, limit, deleted);
    }

    @Override
    public Optional<SweepLease> tryAcquireSweepLease(Duration ttl) {
        return delegate.tryAcquireSweepLease(ttl);
    }

    @Override
    public void setSweepRequester(Runnable requestSweep) {
        delegate.setSweepRequester(requestSweep);
    }

    @Override
    public String describe() {
        return delegate.describe();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
