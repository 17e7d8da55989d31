package dev.cloakroom;

import dev.cloakroom.file.FileSessionStore;
import dev.cloakroom.file.FileStoreProbe;
import dev.cloakroom.memory.MemorySessionStore;
import dev.cloakroom.spi.RecordPage;
import dev.cloakroom.spi.SessionRecord;
import dev.cloakroom.spi.SessionStore;
import dev.cloakroom.spi.SessionWrite;
import dev.cloakroom.spi.SweepLease;
import dev.cloakroom.spi.WriteResult;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Consumer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("unit")
class SweeperTest {
    private static final Duration IDLE = Duration.ofMinutes(30);
    private static final Duration INTERVAL = Duration.ofMillis(400);
    /**
     * Scheduling slack on a busy build machine (two cores shared by several builds, where a thread can wait over a
     * second for a core); the bound itself is 1.5 intervals.
     */
    private static final Duration SLACK = Duration.ofMillis(2500);

    @TempDir
    Path temp;

    private final MutableClock clock = new MutableClock();
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable closeable : toClose) {
            closeable.close();
        }
    }

    private FileSessionStore fileStore() {
        FileSessionStore store = FileSessionStore.builder(temp.resolve("sessions")).build();
        toClose.add(store);
        return store;
    }

    private SessionManager manager(SessionStore store, CloakroomConfig.Builder config, SessionListener... listeners) {
        SessionManager.Builder builder = SessionManager.builder(store)
                .config(config.idleTimeout(IDLE).cleanupInterval(INTERVAL).build())
                .clock(clock)
                .sweeping(true);
        for (SessionListener listener : listeners) {
            builder.listener(listener);
        }
        SessionManager manager = builder.build();
        toClose.add(0, manager.sweeper());
        return manager;
    }

    private static Session stored(SessionManager manager, String name, Object value) {
        Session session = manager.create();
        session.setAttribute(name, value);
        manager.commit(session);
        return session;
    }

    /** Polls until {@code condition} holds; returns how long it took, or fails after {@code timeout}. */
    private static Duration await(Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long started = System.nanoTime();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - started > timeout.toNanos()) {
                throw new AssertionError("condition not met within " + timeout);
            }
            Thread.sleep(10);
        }
        return Duration.ofNanos(System.nanoTime() - started);
    }

    /** Records what the sweeper asks of the real store underneath; optionally slows each sweep to widen races. */
    static final class RecordingStore implements SessionStore {
        final SessionStore delegate;
        final List<Integer> limits = new CopyOnWriteArrayList<>();
        final List<Integer> batchSizes = new CopyOnWriteArrayList<>();
        final AtomicInteger active;
        final AtomicInteger maxActive;
        final Duration pauseInSweep;
        final AtomicInteger failuresToThrow = new AtomicInteger();

        RecordingStore(SessionStore delegate) {
            this(delegate, new AtomicInteger(), new AtomicInteger(), Duration.ZERO);
        }

        RecordingStore(SessionStore delegate, AtomicInteger active, AtomicInteger maxActive, Duration pauseInSweep) {
            this.delegate = delegate;
            this.active = active;
            this.maxActive = maxActive;
            this.pauseInSweep = pauseInSweep;
        }

        @Override
        public Optional<SessionRecord> load(SessionKey key) {
            return delegate.load(key);
        }

        @Override
        public WriteResult write(SessionWrite write) {
            return delegate.write(write);
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
        public int sweep(Instant now, int limit, Consumer<SessionRecord> deleted) {
            if (failuresToThrow.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new SessionStoreUnavailableException("simulated outage during a sweep");
            }
            int inside = active.incrementAndGet();
            maxActive.accumulateAndGet(inside, Math::max);
            try {
                if (!pauseInSweep.isZero()) {
                    Thread.sleep(pauseInSweep.toMillis());
                }
                int count = delegate.sweep(now, limit, deleted);
                limits.add(limit);
                batchSizes.add(count);
                return count;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SessionStoreException("interrupted", e);
            } finally {
                active.decrementAndGet();
            }
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
            return "recording " + delegate.describe();
        }

        @Override
        public void close() {
            delegate.close();
        }
    }

    /** Collects what listeners are told. */
    static final class Destroyed implements SessionListener {
        final List<SessionKey> keys = new CopyOnWriteArrayList<>();
        final Map<SessionKey, Map<String, Object>> attributes = new java.util.concurrent.ConcurrentHashMap<>();
        final List<Reason> reasons = new CopyOnWriteArrayList<>();

        @Override
        public void sessionDestroyed(SessionKey key, Map<String, Object> values, Reason reason) {
            keys.add(key);
            attributes.put(key, values);
            reasons.add(reason);
        }
    }

    // Proves docs/persistence.md#filesystem-deleted
    @Test
    void expiredFileIsGoneWithinOneAndAHalfIntervalsAndLiveOneStays() throws Exception {
        FileSessionStore files = fileStore();
        RecordingStore store = new RecordingStore(files);
        SessionManager manager = manager(store, CloakroomConfig.builder());
        Session old = stored(manager, "n", 1);
        clock.advance(IDLE.dividedBy(2));
        Session live = stored(manager, "n", 2);
        Path oldFile = FileStoreProbe.fileOf(files, old.key());
        Path liveFile = FileStoreProbe.fileOf(files, live.key());
        assertThat(oldFile).exists();

        clock.advance(IDLE.dividedBy(2).plusSeconds(1)); // old expires now
        Duration took = await(Duration.ofSeconds(10), () -> !Files.exists(oldFile));

        System.out.println("expired file gone " + took.toMillis() + " ms after expiry (interval " + INTERVAL.toMillis() + " ms)");
        assertThat(took).isLessThanOrEqualTo(INTERVAL.multipliedBy(3).dividedBy(2).plus(SLACK));
        int callsSoFar = store.limits.size();
        await(Duration.ofSeconds(10), () -> store.limits.size() >= callsSoFar + 2); // two more runs
        assertThat(liveFile).exists();
        assertThat(manager.find(live.id())).isPresent();
    }

    // Proves docs/persistence.md#filesystem-deleted
    @Test
    void listenersAreToldOfEachExpiredSessionWithItsDecodedAttributes() throws Exception {
        Destroyed destroyed = new Destroyed();
        SessionManager manager = manager(fileStore(), CloakroomConfig.builder(), destroyed);
        Session session = manager.create();
        session.setAttribute("file_contents", List.of("first line", "  indented"));
        session.setAttribute("uploads", 2);
        manager.commit(session);

        clock.advance(IDLE.plusSeconds(1));
        await(Duration.ofSeconds(10), () -> !destroyed.keys.isEmpty());

        assertThat(destroyed.keys).containsExactly(session.key());
        assertThat(destroyed.reasons).containsExactly(SessionListener.Reason.EXPIRED);
        assertThat(destroyed.attributes.get(session.key()))
                .isEqualTo(Map.of("file_contents", List.of("first line", "  indented"), "uploads", 2));
    }

    // Proves docs/persistence.md#filesystem-deleted
    @Test
    void manyExpiredRecordsAreAllRemovedInBatchesOfAtMostTheBatchSize() throws Exception {
        FileSessionStore files = fileStore();
        RecordingStore store = new RecordingStore(files);
        Destroyed destroyed = new Destroyed();
        SessionManager manager = manager(store, CloakroomConfig.builder().sweepBatchSize(3), destroyed);
        List<SessionKey> keys = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            keys.add(stored(manager, "i", i).key());
        }

        clock.advance(IDLE.plusSeconds(1));
        await(Duration.ofSeconds(10), () -> destroyed.keys.size() == 20);
        // Listeners hear of each deletion during the call: wait for the calls that made them to return.
        await(Duration.ofSeconds(10), () -> store.batchSizes.stream().mapToInt(Integer::intValue).sum() == 20);

        assertThat(destroyed.keys).containsExactlyInAnyOrderElementsOf(keys);
        assertThat(keys).allSatisfy(key -> assertThat(FileStoreProbe.fileOf(files, key)).doesNotExist());
        assertThat(store.limits).containsOnly(3);
        assertThat(store.batchSizes).allSatisfy(size -> assertThat(size).isLessThanOrEqualTo(3));
        assertThat(store.batchSizes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(20);
        assertThat(store.batchSizes.stream().filter(size -> size > 0).count()).isGreaterThanOrEqualTo(7);
    }

    @Test
    void failingListenerDoesNotStopTheSweepNorTheOtherListeners() throws Exception {
        SessionListener failing = new SessionListener() {
            @Override
            public void sessionDestroyed(SessionKey key, Map<String, Object> attributes, Reason reason) {
                throw new IllegalStateException("listener bug");
            }
        };
        Destroyed destroyed = new Destroyed();
        MemorySessionStore memory = new MemorySessionStore();
        SessionManager manager = manager(memory, CloakroomConfig.builder(), failing, destroyed);
        for (int i = 0; i < 5; i++) {
            stored(manager, "i", i);
        }

        clock.advance(IDLE.plusSeconds(1));
        await(Duration.ofSeconds(10), () -> destroyed.keys.size() == 5);

        assertThat(memory.sweep(Instant.MAX, Integer.MAX_VALUE, record -> { })).as("records left at the end of time").isZero();
    }

    @Test
    void listenerThrowingAnErrorDoesNotStopLaterRuns() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        SessionListener crashing = new SessionListener() {
            @Override
            public void sessionDestroyed(SessionKey key, Map<String, Object> attributes, Reason reason) {
                if (calls.incrementAndGet() == 1) {
                    throw new NoClassDefFoundError("a broken listener");
                }
            }
        };
        FileSessionStore files = fileStore();
        SessionManager manager = manager(files, CloakroomConfig.builder(), crashing);
        Session first = stored(manager, "a", 1);
        clock.advance(IDLE.plusSeconds(1));
        await(Duration.ofSeconds(10), () -> calls.get() == 1);

        Session second = stored(manager, "a", 2);
        clock.advance(IDLE.plusSeconds(1));

        await(Duration.ofSeconds(10), () -> !Files.exists(FileStoreProbe.fileOf(files, second.key())));
        assertThat(FileStoreProbe.fileOf(files, first.key())).doesNotExist();
    }

    // Proves docs/persistence.md#filesystem-deleted
    @Test
    void failedSweepIsRetriedByTheNextRun() throws Exception {
        FileSessionStore files = fileStore();
        RecordingStore store = new RecordingStore(files);
        store.failuresToThrow.set(2);
        SessionManager manager = manager(store, CloakroomConfig.builder());
        Session session = stored(manager, "a", 1);

        clock.advance(IDLE.plusSeconds(1));
        await(Duration.ofSeconds(10), () -> {
            // after a failure, the next run reaches the store once the retry interval has passed
            clock.advance(CloakroomConfig.DEFAULT_STORE_RETRY_INTERVAL);
            return !Files.exists(FileStoreProbe.fileOf(files, session.key()));
        });

        assertThat(store.failuresToThrow).hasValue(0);
    }

    // Proves docs/persistence.md#filesystem-deleted
    @Test
    void twoManagersOnOneFolderNeverSweepAtTheSameTime() throws Exception {
        AtomicInteger active = new AtomicInteger();
        AtomicInteger maxActive = new AtomicInteger();
        FileSessionStore firstFiles = fileStore();
        FileSessionStore secondFiles = fileStore();
        RecordingStore first = new RecordingStore(firstFiles, active, maxActive, Duration.ofMillis(30));
        RecordingStore second = new RecordingStore(secondFiles, active, maxActive, Duration.ofMillis(30));
        Destroyed destroyed = new Destroyed();
        SessionManager one = manager(first, CloakroomConfig.builder().sweepBatchSize(2), destroyed);
        manager(second, CloakroomConfig.builder().sweepBatchSize(2), destroyed);
        for (int i = 0; i < 30; i++) {
            stored(one, "i", i);
        }

        clock.advance(IDLE.plusSeconds(1));
        await(Duration.ofSeconds(20), () -> destroyed.keys.size() == 30);
        // Listeners hear of each deletion during the call: wait for the calls that made them to return.
        await(Duration.ofSeconds(20), () -> Stream.concat(first.batchSizes.stream(), second.batchSizes.stream())
                .mapToInt(Integer::intValue).sum() == 30);

        assertThat(maxActive).hasValue(1);
        assertThat(destroyed.keys).doesNotHaveDuplicates();
        assertThat(first.limits.size() + second.limits.size()).isGreaterThanOrEqualTo(15);
    }

    @Test
    void runOnceWhenAnotherInstanceHoldsTheLeaseThenSweepsNothingUntilReleased() {
        FileSessionStore holder = fileStore();
        FileSessionStore files = fileStore();
        SessionManager manager = SessionManager.builder(files)
                .config(CloakroomConfig.builder().idleTimeout(IDLE).build()).clock(clock).sweeping(false).build();
        Session session = stored(manager, "a", 1);
        clock.advance(IDLE.plusSeconds(1));

        SweepLease lease = holder.tryAcquireSweepLease(Duration.ofMinutes(1)).orElseThrow();
        assertThat(manager.sweeper().runOnce()).isZero();
        assertThat(FileStoreProbe.fileOf(files, session.key())).exists();

        lease.close();
        assertThat(manager.sweeper().runOnce()).isEqualTo(1);
        assertThat(FileStoreProbe.fileOf(files, session.key())).doesNotExist();
    }

    // Proves docs/persistence.md#filesystem-threshold
    @Test
    void thresholdRequestSweepsAtOnceWithoutWaitingForTheInterval() throws Exception {
        FileSessionStore files = FileSessionStore.builder(temp.resolve("sessions")).fileThreshold(5).build();
        toClose.add(files);
        Destroyed destroyed = new Destroyed();
        SessionManager manager = SessionManager.builder(files)
                .config(CloakroomConfig.builder().idleTimeout(IDLE).cleanupInterval(Duration.ofHours(1)).build())
                .clock(clock).listener(destroyed).sweeping(true).build();
        toClose.add(0, manager.sweeper());
        List<SessionKey> expired = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            expired.add(stored(manager, "i", i).key());
        }
        clock.advance(IDLE.plusSeconds(1));
        assertThat(destroyed.keys).isEmpty();

        stored(manager, "i", 99); // the fifth file reaches the threshold

        await(Duration.ofSeconds(10), () -> destroyed.keys.size() == 4);
        assertThat(destroyed.keys).containsExactlyInAnyOrderElementsOf(expired);
        assertThat(FileStoreProbe.fileCount(files)).isEqualTo(1);
        assertThat(expired.stream().map(k -> FileStoreProbe.fileOf(files, k)).collect(Collectors.toList())).allSatisfy(f -> assertThat(f).doesNotExist());
    }
}
