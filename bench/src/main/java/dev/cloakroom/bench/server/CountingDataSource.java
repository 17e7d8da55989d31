package dev.cloakroom.bench.server;

import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * Wraps a contender's pool and counts what goes to the database: statements executed (a batch counts once, as it
 * travels in one round trip) and commits and rollbacks. What the pool does on its own connections (validation,
 * resetting auto-commit) happens beneath this wrapper and is not counted, for every contender alike.
 */
final class CountingDataSource implements DataSource {
    private final DataSource delegate;
    private final LongAdder statements = new LongAdder();
    private final LongAdder commits = new LongAdder();

    CountingDataSource(DataSource delegate) {
        this.delegate = delegate;
    }

    long statements() {
        return statements.sum();
    }

    /** Commits and rollbacks: each one a round trip of its own. */
    long commits() {
        return commits.sum();
    }

    @Override
    public Connection getConnection() throws SQLException {
        return counted(delegate.getConnection());
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        return counted(delegate.getConnection(username, password));
    }

    private Connection counted(Connection connection) {
        return proxy(Connection.class, connection, (method, result) -> {
            switch (method.getName()) {
                case "commit", "rollback" -> commits.increment();
                case "createStatement" -> { return countedStatement(Statement.class, result); }
                case "prepareStatement" -> { return countedStatement(PreparedStatement.class, result); }
                case "prepareCall" -> { return countedStatement(CallableStatement.class, result); }
                default -> { }
            }
            return result;
        });
    }

    private <S extends Statement> S countedStatement(Class<S> type, Object statement) {
        return proxy(type, type.cast(statement), (method, result) -> {
            if (method.getName().startsWith("execute")) {
                statements.increment();
            }
            return result;
        });
    }

    /** What a proxy does after the real call returned: count, and possibly wrap the result. */
    private interface After {
        Object apply(Method method, Object result);
    }

    private static <T> T proxy(Class<T> type, T target, After after) {
        InvocationHandler handler = (self, method, args) -> {
            if (method.getName().equals("unwrap") && args.length == 1 && ((Class<?>) args[0]).isInstance(self)) {
                return self;
            }
            Object result;
            try {
                result = method.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
            return after.apply(method, result);
        };
        return type.cast(Proxy.newProxyInstance(CountingDataSource.class.getClassLoader(), new Class<?>[] {type}, handler));
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
        return delegate.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
        delegate.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
        delegate.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
        return delegate.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        return delegate.getParentLogger();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        return iface.isInstance(this) ? iface.cast(this) : delegate.unwrap(iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
        return iface.isInstance(this);
    }
}
