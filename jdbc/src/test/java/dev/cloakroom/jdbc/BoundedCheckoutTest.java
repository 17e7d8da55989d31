package dev.cloakroom.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionStoreUnavailableException;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An application pool whose checkout hangs (H2 behind a DataSource that holds {@code getConnection} until released):
 * the store's timeout bounds the call, late connections go back at once, and the waiting checkouts are bounded; a
 * call beyond the bound waits for one of them within its deadline, so that a burst on a pool that answers queues
 * instead of failing.
 */
@Tag("unit")
class BoundedCheckoutTest {
    private static final Duration SLACK = Duration.ofSeconds(1);
    private static final SessionKey KEY = SessionKey.of("bounded-checkout");

    private final AtomicBoolean hanging = new AtomicBoolean();
    private final CountDownLatch release = new CountDownLatch(1);
    private final List<CountDownLatch> entered = new ArrayList<>();
    private final CountDownLatch lateConnectionClosed = new CountDownLatch(1);
    private final AtomicInteger atOnce = new AtomicInteger();
    private final AtomicInteger mostAtOnce = new AtomicInteger();
    private final AtomicReference<Duration> slowCheckout = new AtomicReference<>(Duration.ZERO);
    private Path directory;
    private DataSource hangingPool;

    @BeforeEach
    void createPool() {
        directory = TestDatabases.temporaryFolder("cloakroom-h2-checkout");
        JdbcDataSource h2 = new JdbcDataSource();
        h2.setURL(TestDatabases.h2Url(directory));
        hangingPool = (DataSource) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {DataSource.class},
                (p, method, args) -> {
                    boolean checkout = method.getName().equals("getConnection");
                    boolean held = hanging.get() && checkout;
                    if (checkout) {
                        mostAtOnce.accumulateAndGet(atOnce.incrementAndGet(), Math::max);
                    }
                    Object result;
                    try {
                        if (held) {
                            synchronized (entered) {
                                entered.forEach(CountDownLatch::countDown);
                            }
                            release.await();
                        }
                        if (checkout) {
                            Thread.sleep(slowCheckout.get().toMillis());
                        }
                        result = TestDatabases.invoke(h2, method, args);
                    } finally {
                        if (checkout) {
                            atOnce.decrementAndGet();
                        }
                    }
                    if (!held || !(result instanceof Connection connection)) {
                        return result;
                    }
                    return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class}, (pc, m, a) -> {
                        if (m.getName().equals("close")) {
                            lateConnectionClosed.countDown();
                        }
                        return TestDatabases.invoke(connection, m, a);
                    });
                });
    }

    @AfterEach
    void deleteFiles() throws IOException {
        release.countDown();
        TestDatabases.deleteTree(directory);
    }

    private JdbcSessionStore store(Duration timeout) {
        return JdbcSessionStore.builder().dataSource(hangingPool).table("sessions").timeout(timeout).build();
    }

    private CountDownLatch entering(int checkouts) {
        CountDownLatch latch = new CountDownLatch(checkouts);
        synchronized (entered) {
            entered.add(latch);
        }
        return latch;
    }

    @Test
    void checkoutWhenThePoolNeverAnswersThenTheCallFailsAtTheStoreTimeoutAndTheLateConnectionIsClosedAtOnce() throws Exception {
        Duration timeout = Duration.ofMillis(300);
        try (JdbcSessionStore store = store(timeout)) {
            hanging.set(true);

            long started = System.nanoTime();
            Throwable thrown = catchThrowable(() -> store.load(KEY));
            Duration took = Duration.ofNanos(System.nanoTime() - started);

            assertThat(thrown).isInstanceOf(SessionStoreUnavailableException.class);
            assertThat(took).isGreaterThanOrEqualTo(timeout).isLessThan(timeout.plus(SLACK));
            release.countDown();
            assertThat(lateConnectionClosed.await(10, TimeUnit.SECONDS)).as("the connection that came too late was closed").isTrue();
        }
    }

    @Test
    void checkoutsWhenAsManyAsTheBoundWaitOnAHungPoolThenTheNextStartsNoCheckoutAndFailsAtItsDeadline() throws Exception {
        Duration timeout = Duration.ofSeconds(2);
        try (JdbcSessionStore store = store(timeout)) {
            hanging.set(true);
            CountDownLatch allWaiting = entering(Checkout.MAX_PENDING);
            ExecutorService callers = Executors.newFixedThreadPool(Checkout.MAX_PENDING);
            try {
                for (int i = 0; i < Checkout.MAX_PENDING; i++) {
                    callers.submit(() -> store.load(KEY));
                }
                assertThat(allWaiting.await(10, TimeUnit.SECONDS)).isTrue();

                long started = System.nanoTime();
                Throwable thrown = catchThrowable(() -> store.load(KEY));
                Duration took = Duration.ofNanos(System.nanoTime() - started);

                assertThat(thrown).isInstanceOf(SessionStoreUnavailableException.class).hasMessageContaining("still waiting");
                assertThat(took).isLessThan(timeout.plus(SLACK));
                assertThat(mostAtOnce.get()).as("checkouts the pool saw at once").isEqualTo(Checkout.MAX_PENDING);
            } finally {
                callers.shutdownNow();
            }
        }
    }

    @Test
    void checkoutsWhenTheBoundIsFullAndThePoolAnswersBeforeTheDeadlineThenTheWaitingCallGoesOn() throws Exception {
        Duration timeout = Duration.ofSeconds(20);
        try (JdbcSessionStore store = store(timeout)) {
            hanging.set(true);
            CountDownLatch allWaiting = entering(Checkout.MAX_PENDING);
            ExecutorService callers = Executors.newFixedThreadPool(Checkout.MAX_PENDING + 1);
            try {
                List<Future<?>> calls = new ArrayList<>();
                for (int i = 0; i < Checkout.MAX_PENDING; i++) {
                    calls.add(callers.submit(() -> store.load(KEY)));
                }
                assertThat(allWaiting.await(10, TimeUnit.SECONDS)).isTrue();
                Future<?> next = callers.submit(() -> store.load(KEY));
                Thread.sleep(200);
                assertThat(next).as("waits for a checkout to end instead of failing").isNotDone();

                hanging.set(false);
                release.countDown();

                calls.add(next);
                for (Future<?> call : calls) {
                    assertThat(call.get(20, TimeUnit.SECONDS)).isEqualTo(java.util.Optional.empty());
                }
                assertThat(mostAtOnce.get()).as("checkouts the pool saw at once").isLessThanOrEqualTo(Checkout.MAX_PENDING);
            } finally {
                callers.shutdownNow();
            }
        }
    }

    @Test
    void checkoutsWhenABurstBeyondTheBoundOnAPoolThatAnswersThenEveryCallSucceeds() throws Exception {
        slowCheckout.set(Duration.ofMillis(20));
        try (JdbcSessionStore store = store(Duration.ofSeconds(20))) {
            int burst = Checkout.MAX_PENDING * 3;
            ExecutorService callers = Executors.newFixedThreadPool(burst);
            try {
                CountDownLatch gate = new CountDownLatch(1);
                List<Future<?>> calls = new ArrayList<>();
                for (int i = 0; i < burst; i++) {
                    calls.add(callers.submit(() -> {
                        gate.await();
                        return store.load(KEY);
                    }));
                }
                gate.countDown();
                for (Future<?> call : calls) {
                    assertThat(call.get(30, TimeUnit.SECONDS)).isEqualTo(java.util.Optional.empty());
                }
                assertThat(mostAtOnce.get()).as("checkouts the pool saw at once").isLessThanOrEqualTo(Checkout.MAX_PENDING);
            } finally {
                callers.shutdownNow();
            }
        }
    }
}
