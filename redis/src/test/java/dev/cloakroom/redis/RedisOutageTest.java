package dev.cloakroom.redis;

import static dev.cloakroom.testkit.SessionStoreContract.sweepOnce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.Session;
import dev.cloakroom.SessionManager;
import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionStoreUnavailableException;
import dev.cloakroom.spi.SessionRecord;
import dev.cloakroom.spi.SessionWrite;
import dev.cloakroom.spi.WriteResult;
import dev.cloakroom.testkit.TcpProxy;
import dev.cloakroom.testkit.RedisServerProcess;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Redis down ({@link TcpProxy#refuse()}) and Redis hanging ({@link TcpProxy#blackhole()}) between the store and the
 * shared server: every call fails with {@link SessionStoreUnavailableException} within the timeout, and the same store
 * serves the same session again once the proxy is restored.
 */
@Tag("server")
class RedisOutageTest {
    private static final String PREFIX = RedisInspector.uniquePrefix("outage");
    private static final Duration TIMEOUT = Duration.ofSeconds(1);
    private static final long BOUND_MILLIS = TIMEOUT.toMillis() + 1000;

    private TcpProxy proxy;
    private RedisSessionStore store;
    private SessionManager manager;

    @BeforeEach
    void open() {
        proxy = TcpProxy.to("127.0.0.1", 6379);
    }

    @AfterEach
    void close() {
        if (manager != null) {
            manager.close();
        } else if (store != null) {
            store.close();
        }
        proxy.close();
    }

    @AfterAll
    static void cleanUp() {
        try (RedisInspector inspector = RedisInspector.shared()) {
            inspector.deleteAll(PREFIX);
        }
    }

    private void build() {
        store = RedisSessionStore.builder("redis://127.0.0.1:" + proxy.port()).keyPrefix(PREFIX)
                .commandTimeout(TIMEOUT).connectTimeout(TIMEOUT).expiryListeners(true).build();
        manager = SessionManager.builder(store).config(CloakroomConfig.builder().storeTimeout(TIMEOUT).build())
                .sweeping(false).build();
    }

    private Session storedSession() {
        Session session = manager.create();
        session.setAttribute("file_contents", List.of("kept through the outage"));
        manager.commit(session);
        return session;
    }

    @Test
    void callsWhenRedisIsDownThenEveryOneFailsFastAndTheSameStoreRecovers() {
        build();
        Session session = storedSession();

        proxy.refuse();
        assertEveryCallUnavailable(session);

        proxy.restore();
        assertRecovers(session);
    }

    @Test
    void callsWhenRedisHangsThenEveryOneFailsWithinTheTimeoutAndTheSameStoreRecovers() {
        build();
        Session session = storedSession();

        proxy.blackhole();
        assertEveryCallUnavailable(session);

        proxy.restore();
        assertRecovers(session);
    }

    @Test
    void buildWhenRedisIsDownThenTheStoreIsBuiltAndServesOnceRedisIsUp() {
        proxy.refuse();
        long started = System.nanoTime();
        build();
        assertThat(elapsedMillis(started)).isLessThan(BOUND_MILLIS);
        assertUnavailableWithinBound(() -> manager.find(manager.create().id()));

        proxy.restore();
        Session session = awaitValue(() -> {
            try {
                return Optional.of(storedSession());
            } catch (SessionStoreUnavailableException e) {
                return Optional.empty();
            }
        });
        assertThat(manager.find(session.id()).orElseThrow().getAttribute("file_contents"))
                .isEqualTo(List.of("kept through the outage"));
    }

    @Test
    void buildWhenRedisHangsThenBoundedAndTheStoreServesOnceRedisAnswers() {
        proxy.blackhole();
        long started = System.nanoTime();
        build();
        assertThat(elapsedMillis(started)).isLessThan(2 * TIMEOUT.toMillis() + 1000);
        assertUnavailableWithinBound(() -> manager.find(manager.create().id()));

        proxy.restore();
        awaitValue(() -> {
            try {
                return Optional.of(storedSession());
            } catch (SessionStoreUnavailableException e) {
                return Optional.empty();
            }
        });
    }

    @Test
    void callsWhenRedisHangsAtStartAndTheyComeTogetherThenEachFailsWithinTheBound() throws Exception {
        proxy.blackhole();
        build();
        RedisServerProcess.sleep(600); // past the pause after a failed connect: the calls below try to connect again
        // Each call waits at most for one connection attempt, never for one per caller before it.
        ExecutorService callers = Executors.newFixedThreadPool(3);
        try {
            List<Future<?>> calls = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                calls.add(callers.submit(() -> assertUnavailableWithinBound(() -> store.load(manager.create().key()))));
            }
            for (Future<?> call : calls) {
                call.get(30, TimeUnit.SECONDS);
            }
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void sweepWhenTheSecondBatchFailsThenTheFirstIsReportedExactlyOnceAndTheCallThrows() {
        build();
        Instant now = Instant.now();
        SessionKey first = TestKeys.withTag("10");
        SessionKey second = TestKeys.withTag("20");
        for (SessionKey key : List.of(first, second)) {
            assertThat(store.write(new SessionWrite(key, true, Map.of("a", "1"), Set.of(), now, now, Duration.ofMinutes(1),
                    now.plusSeconds(60), SessionWrite.ANY_VERSION, now, SessionWrite.NO_SIZE_LIMIT))).isEqualTo(WriteResult.WRITTEN);
        }
        Instant later = now.plusSeconds(120);
        // Redis goes away just before the second shard's sweep script: the first one's deletion is certain by then
        AtomicInteger scripts = new AtomicInteger();
        proxy.refuseWhen(chunk -> text(chunk).contains("EVALSHA") && scripts.getAndIncrement() == 1);
        List<SessionRecord> reported = new ArrayList<>();

        assertThatThrownBy(() -> store.sweep(later, 10, reported::add)).isInstanceOf(SessionStoreUnavailableException.class);
        assertThat(reported).extracting(SessionRecord::key).containsExactly(first);

        proxy.restore();
        List<SessionRecord> afterwards = new ArrayList<>(awaitValue(() -> {
            try {
                return Optional.of(sweepOnce(store, later, 10));
            } catch (SessionStoreUnavailableException e) {
                return Optional.empty();
            }
        }));
        afterwards.addAll(sweepOnce(store, later, 10));
        assertThat(afterwards).extracting(SessionRecord::key).containsExactly(second);
    }

    @Test
    void concurrentFirstCallsWhenRedisStallsAfterTheHandshakeThenEachFailsWithinTheBound() throws Exception {
        proxy.blackhole();
        build();
        proxy.restore();
        // The next connection gets through its handshake; from the first SCRIPT LOAD on, Redis answers nothing.
        proxy.refuseWhen(chunk -> {
            if (text(chunk).contains("SCRIPT")) {
                proxy.blackhole();
            }
            return false;
        });
        RedisServerProcess.sleep(600); // past the pause after a failed connect: the calls below connect again
        ExecutorService callers = Executors.newFixedThreadPool(4);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> calls = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                calls.add(callers.submit(() -> {
                    go.await();
                    assertUnavailableWithinBound(() -> store.load(TestKeys.random()));
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> call : calls) {
                call.get(30, TimeUnit.SECONDS);
            }
        } finally {
            callers.shutdownNow();
        }
    }

    private static String text(ByteBuffer chunk) {
        return StandardCharsets.ISO_8859_1.decode(chunk).toString();
    }

    private void assertEveryCallUnavailable(Session session) {
        assertUnavailableWithinBound(() -> manager.find(session.id()));
        assertUnavailableWithinBound(() -> store.load(session.key()));
        Session writer = manager.create();
        writer.setAttribute("x", 1);
        assertUnavailableWithinBound(() -> manager.commit(writer));
        assertUnavailableWithinBound(() -> store.delete(writer.key()));
        assertUnavailableWithinBound(() -> sweepOnce(store, java.time.Instant.now(), 10));
        assertUnavailableWithinBound(() -> store.tryAcquireSweepLease(Duration.ofSeconds(5)));
        // repeated calls during the outage stay bounded too (nothing queues up behind the first)
        for (int i = 0; i < 3; i++) {
            assertUnavailableWithinBound(() -> store.load(session.key()));
        }
    }

    private void assertRecovers(Session session) {
        Session back = awaitValue(() -> {
            try {
                return manager.find(session.id());
            } catch (SessionStoreUnavailableException e) {
                return Optional.empty();
            }
        });
        assertThat(back.getAttribute("file_contents")).isEqualTo(List.of("kept through the outage"));
        back.setAttribute("after", "outage");
        manager.commit(back);
        assertThat(manager.find(session.id()).orElseThrow().getAttribute("after")).isEqualTo("outage");
    }

    private static void assertUnavailableWithinBound(ThrowingCallable call) {
        long started = System.nanoTime();
        assertThatThrownBy(call).isInstanceOf(SessionStoreUnavailableException.class).hasCauseInstanceOf(RuntimeException.class)
                .satisfies(e -> assertThat(e.getMessage()).isNotBlank());
        long elapsed = elapsedMillis(started);
        System.out.println("unavailable after " + elapsed + " ms");
        assertThat(elapsed).as("ms until the failure").isLessThan(BOUND_MILLIS);
    }

    private static <T> T awaitValue(java.util.function.Supplier<Optional<T>> attempt) {
        long started = System.nanoTime();
        long deadline = started + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            Optional<T> value = attempt.get();
            if (value.isPresent()) {
                System.out.println("served again " + elapsedMillis(started) + " ms after restore");
                return value.get();
            }
            RedisServerProcess.sleep(100);
        }
        throw new AssertionError("the store did not recover within 20 s");
    }

    private static long elapsedMillis(long started) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    }
}
