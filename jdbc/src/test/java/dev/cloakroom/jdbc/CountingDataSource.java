package dev.cloakroom.jdbc;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * Wraps a real DataSource and counts what reaches the database: statement executions, commits and rollbacks (each one
 * round trip). Everything else passes through unchanged.
 */
final class CountingDataSource {
    private static final Set<String> EXECUTIONS = Set.of("execute", "executeQuery", "executeUpdate", "executeLargeUpdate", "executeBatch");
    private static final Set<String> ENDS = Set.of("commit", "rollback");

    private final AtomicInteger roundTrips = new AtomicInteger();
    private final DataSource proxy;

    CountingDataSource(DataSource target) {
        this.proxy = (DataSource) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {DataSource.class},
                (p, method, args) -> {
                    Object result = TestDatabases.invoke(target, method, args);
                    return result instanceof Connection connection ? connection(connection) : result;
                });
    }

    DataSource dataSource() {
        return proxy;
    }

    /** Round trips since the last call. */
    int take() {
        return roundTrips.getAndSet(0);
    }

    private Connection connection(Connection target) {
        return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
                (p, method, args) -> {
                    if (ENDS.contains(method.getName()) && !target.getAutoCommit()) {
                        roundTrips.incrementAndGet();
                    }
                    Object result = TestDatabases.invoke(target, method, args);
                    if (result instanceof Statement statement) {
                        return statement(statement, method.getReturnType());
                    }
                    return result;
                });
    }

    private Object statement(Statement target, Class<?> type) {
        return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {type},
                (p, method, args) -> {
                    if (EXECUTIONS.contains(method.getName())) {
                        roundTrips.incrementAndGet();
                    }
                    return TestDatabases.invoke(target, method, args);
                });
    }
}
