package dev.cloakroom.jdbc;

import static dev.cloakroom.testkit.SessionStoreContract.sweepOnce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.Session;
import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionManager;
import dev.cloakroom.SessionStoreUnavailableException;
import dev.cloakroom.spi.SessionWrite;
import dev.cloakroom.testkit.TcpProxy;
import dev.cloakroom.testkit.TestClock;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A database down ({@link TcpProxy#refuse()}) or hanging ({@link TcpProxy#blackhole()}): every call fails with
 * {@link SessionStoreUnavailableException} within the timeout, and the same session comes back when the database does.
 * Each server's test class runs this suite against its {@link TestServer}.
 */
abstract class StoreOutageTest {
    private final String table = TestDatabases.uniqueTable(getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT));
    private static final Duration TIMEOUT = CloakroomConfig.DEFAULT_STORE_TIMEOUT;
    private static final Duration SLACK = Duration.ofSeconds(1);
    private static final Duration IDLE = Duration.ofMinutes(30);

    private final TestServer server;
    private final TestClock clock = new TestClock();
    private TcpProxy proxy;
    private JdbcSessionStore store;
    private SessionManager manager;

    StoreOutageTest(TestServer server) {
        this.server = server;
    }

    @BeforeEach
    void start() {
        proxy = TcpProxy.to("127.0.0.1", server.port());
        store = JdbcSessionStore.builder()
                .url(server.jdbcUrl(proxy.port()))
                .credentials(server.user(), null)
                .table(table)
                .timeout(TIMEOUT)
                .maxPoolSize(4)
                .build();
        manager = SessionManager.builder(store).clock(clock).sweeping(false)
                .config(CloakroomConfig.builder().idleTimeout(IDLE).build()).build();
    }

    @AfterEach
    void stop() throws SQLException {
        manager.close();
        proxy.close();
        try (Connection connection = server.connect()) {
            TestDatabases.execute(connection, "DROP TABLE IF EXISTS " + table);
        }
    }

    @Test
    void databaseDownWhenCalledThenUnavailableWithinTheTimeoutAndTheSessionReturnsAfterwards() {
        Session session = storedSession();

        proxy.refuse();
        everyCallFailsWithinTheBound(session, "refused");

        proxy.restore();
        assertThat(loadAgain(session).getAttribute("file_contents")).isEqualTo(List.of("line 1", "line 2"));
    }

    @Test
    void databaseHangingWhenCalledThenUnavailableWithinTheTimeoutAndTheSessionReturnsAfterwards() {
        Session session = storedSession();

        proxy.blackhole();
        everyCallFailsWithinTheBound(session, "blackholed");

        proxy.restore();
        assertThat(loadAgain(session).getAttribute("file_contents")).isEqualTo(List.of("line 1", "line 2"));
    }

    @Test
    void appPoolWithBootDefaultsWhenDatabaseHangsThenCallsFailWithinTheStoreTimeoutAndRecoverWithTheSameStore() throws InterruptedException {
        appPoolOutage("blackholed", proxy::blackhole);
    }

    @Test
    void appPoolWithBootDefaultsWhenDatabaseDownThenCallsFailWithinTheStoreTimeoutAndRecoverWithTheSameStore() throws InterruptedException {
        appPoolOutage("refused", proxy::refuse);
    }

    /**
     * The application's own pool, with HikariCP's (and Spring Boot's) defaults: its checkout waits up to 30 s, far past
     * the store's timeout, which must bound the call all the same.
     */
    private void appPoolOutage(String outage, Runnable startOutage) throws InterruptedException {
        Session session = storedSession();
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(server.jdbcUrl(proxy.port()));
        config.setUsername(server.user());
        assertThat(config.getConnectionTimeout()).isEqualTo(Duration.ofSeconds(30).toMillis());
        try (HikariDataSource pool = new HikariDataSource(config);
             JdbcSessionStore appStore = JdbcSessionStore.builder().dataSource(pool).table(table).timeout(TIMEOUT).build()) {
            SessionKey key = session.key();
            assertThat(appStore.load(key)).isPresent();

            startOutage.run();
            Instant now = clock.instant();
            failsWithinTheBound(outage + " load through the app pool", () -> appStore.load(key));
            failsWithinTheBound(outage + " write through the app pool", () -> appStore.write(change(key, now)));
            failsWithinTheBound(outage + " sweep through the app pool", () -> sweepOnce(appStore, now, 500));
            failsWithinTheBound(outage + " load through the app pool while earlier checkouts still wait",
                    () -> appStore.load(key));

            proxy.restore();
            assertThat(eventually(() -> appStore.load(key))).isPresent();
            // Connections that reached the store after its calls had given up went straight back to the pool.
            long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
            while (pool.getHikariPoolMXBean().getActiveConnections() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(pool.getHikariPoolMXBean().getActiveConnections()).as("connections left checked out").isZero();
        }
    }

    @Test
    void databaseDownWhenTheAppStartsThenStartSucceedsCallsFailFastAndTheTableIsCreatedOnceItIsBack() throws SQLException {
        String lateTable = table + "_late";
        try (TcpProxy late = TcpProxy.to("127.0.0.1", server.port())) {
            late.refuse();
            try (JdbcSessionStore lateStore = JdbcSessionStore.builder()
                    .url(server.jdbcUrl(late.port()))
                    .credentials(server.user(), null).table(lateTable).timeout(TIMEOUT).maxPoolSize(2).build()) {
                SessionKey key = SessionKey.of("late-start");
                failsWithinTheBound("load before the database ever answered", () -> lateStore.load(key));

                late.restore();
                assertThat(eventually(() -> lateStore.load(key))).isEmpty();
            }
        } finally {
            try (Connection connection = server.connect()) {
                TestDatabases.execute(connection, "DROP TABLE IF EXISTS " + lateTable);
            }
        }
    }

    @Test
    void databaseHangingBeforeTheTableWasCheckedWhenCallsComeTogetherThenEachFailsWithinTheTimeout() throws Exception {
        String lateTable = table + "_hung";
        try (TcpProxy late = TcpProxy.to("127.0.0.1", server.port())) {
            late.blackhole();
            try (JdbcSessionStore lateStore = JdbcSessionStore.builder()
                    .url(server.jdbcUrl(late.port()))
                    .credentials(server.user(), null).table(lateTable).timeout(TIMEOUT).maxPoolSize(2).build()) {
                // Each call must wait for its own bound only, not queue behind the others' table checks.
                ExecutorService pool = Executors.newFixedThreadPool(3);
                try {
                    List<Future<?>> calls = new ArrayList<>();
                    for (int i = 0; i < 3; i++) {
                        SessionKey key = SessionKey.of("hung-" + i);
                        calls.add(pool.submit(() -> failsWithinTheBound("concurrent load " + key, () -> lateStore.load(key))));
                    }
                    for (Future<?> call : calls) {
                        call.get(30, TimeUnit.SECONDS);
                    }
                } finally {
                    pool.shutdownNow();
                }
            }
        } finally {
            try (Connection connection = server.connect()) {
                TestDatabases.execute(connection, "DROP TABLE IF EXISTS " + lateTable);
            }
        }
    }

    @Test
    void databaseWhenHangingAtTheSecondStatementOfACallThenTheCallStillEndsWithinTheTimeout() throws Exception {
        Session session = storedSession();
        // A slow first statement (here: a slow client) uses half of the call's time; the database then hangs at the
        // second. The network timeout must bound the call, not each read afresh.
        AtomicInteger prepared = new AtomicInteger();
        try (HikariDataSource pool = new HikariDataSource()) {
            pool.setJdbcUrl(server.jdbcUrl(proxy.port()));
            pool.setUsername(server.user());
            pool.setMaximumPoolSize(2);
            DataSource slowThenHanging = (DataSource) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {DataSource.class}, (p, method, args) -> {
                        Object result = TestDatabases.invoke(pool, method, args);
                        if (!(result instanceof Connection connection)) {
                            return result;
                        }
                        return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
                                (pc, m, a) -> {
                                    if (m.getName().equals("prepareStatement")) {
                                        if (prepared.incrementAndGet() == 1) {
                                            Thread.sleep(TIMEOUT.toMillis() / 2);
                                        } else {
                                            proxy.blackhole();
                                        }
                                    }
                                    return TestDatabases.invoke(connection, m, a);
                                });
                    });
            try (JdbcSessionStore hanging = JdbcSessionStore.builder().dataSource(slowThenHanging)
                    .database(DatabaseUrl.parse(server.jdbcUrl(proxy.port())).database()).schemaMode(JdbcSessionStore.SchemaMode.NONE)
                    .table(table).timeout(TIMEOUT).build()) {
                Instant now = clock.instant();
                SessionWrite stale = new SessionWrite(session.key(), false, Map.of("a", "1"), Set.of(), now, now, IDLE,
                        now.plus(IDLE), 99, now, SessionWrite.NO_SIZE_LIMIT);
                // a stale version: the UPDATE changes nothing, then a SELECT tells CONFLICT from GONE
                failsWithinTheBound("second statement of a call", () -> hanging.write(stale));
                assertThat(prepared.get()).isEqualTo(2);
            } finally {
                proxy.restore(); // before the pool closes, so that it does not wait on the hanging connections
            }
        }
    }

    private Session storedSession() {
        Session session = manager.create();
        session.setAttribute("file_contents", List.of("line 1", "line 2"));
        manager.commit(session);
        return session;
    }

    private void everyCallFailsWithinTheBound(Session session, String outage) {
        SessionKey key = session.key();
        Instant now = clock.instant();
        failsWithinTheBound(outage + " load", () -> store.load(key));
        failsWithinTheBound(outage + " write", () -> store.write(change(key, now)));
        failsWithinTheBound(outage + " delete", () -> store.delete(key));
        failsWithinTheBound(outage + " sweep", () -> sweepOnce(store, now, 500));
        failsWithinTheBound(outage + " sweep lease", () -> store.tryAcquireSweepLease(Duration.ofSeconds(10)));
        failsWithinTheBound(outage + " find", () -> manager.find(session.id()));
    }

    private static void failsWithinTheBound(String call, Supplier<?> action) {
        long started = System.nanoTime();
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(action::get);
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        System.out.printf("MEASURED: %s failed after %d ms with %s%n", call, took.toMillis(), thrown);
        assertThat(thrown).as(call).isInstanceOf(SessionStoreUnavailableException.class);
        assertThat(took).as(call).isLessThan(TIMEOUT.plus(SLACK));
        assertThat(thrown.getMessage()).as("the time the call really took").containsPattern("after \\d+ ms");
    }

    private static SessionWrite change(SessionKey key, Instant now) {
        return new SessionWrite(key, false, Map.of("a", "1"), Set.of(), now, now, IDLE, now.plus(IDLE),
                SessionWrite.ANY_VERSION, now, SessionWrite.NO_SIZE_LIMIT);
    }

    /** What {@code call} answers once it no longer fails as unavailable (the database is back), within 10 s. */
    private static <T> T eventually(Supplier<T> call) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            try {
                return call.get();
            } catch (SessionStoreUnavailableException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
            }
        }
    }

    /** The same key, the same store: the pool reconnects by itself once the database answers again. */
    private Session loadAgain(Session session) {
        long started = System.nanoTime();
        Optional<Session> found = eventually(() -> {
            // The manager's circuit lets one call through per retry interval: each attempt is one, on the test clock.
            clock.advance(CloakroomConfig.DEFAULT_STORE_RETRY_INTERVAL);
            return manager.find(session.id());
        });
        System.out.printf("MEASURED: after restore the session loaded again in %d ms%n", (System.nanoTime() - started) / 1_000_000);
        return found.orElseThrow(() -> new AssertionError("the session's data is gone after the outage"));
    }
}
