package dev.cloakroom.bench.server;

import dev.cloakroom.bench.Contender;
import java.nio.file.Files;
import java.nio.file.Path;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.SessionHandler;
import org.eclipse.jetty.session.AbstractSessionCache;
import org.eclipse.jetty.session.DatabaseAdaptor;
import org.eclipse.jetty.session.DefaultSessionCache;
import org.eclipse.jetty.session.FileSessionDataStore;
import org.eclipse.jetty.session.JDBCSessionDataStore;
import org.eclipse.jetty.session.NullSessionCache;
import org.eclipse.jetty.session.SessionDataStore;

/**
 * Jetty's own sessions, with Jetty's defaults: a {@link FileSessionDataStore} or a {@link JDBCSessionDataStore}
 * (Java serialization), behind a {@link NullSessionCache} (every request reads the store: the setting for several
 * nodes) or a {@link DefaultSessionCache} (sessions kept in memory, written through).
 */
final class JettyWiring implements Wiring {
    private final Contender contender;
    private final Pool pool;
    private final Path folder;

    JettyWiring(Contender contender, Path dataDir, String jdbcUrl) throws Exception {
        this.contender = contender;
        boolean jdbc = contender == Contender.JETTY_JDBC_NULL || contender == Contender.JETTY_JDBC_CACHE;
        this.pool = jdbc ? new Pool(jdbcUrl) : null;
        this.folder = jdbc ? null : Files.createDirectories(contender.folder(dataDir));
    }

    @Override
    public ServletContextHandler context() {
        ServletContextHandler context = new ServletContextHandler(ServletContextHandler.SESSIONS);
        context.setContextPath("/");
        SessionHandler sessions = context.getSessionHandler();
        AbstractSessionCache cache = switch (contender) {
            case JETTY_JDBC_NULL, JETTY_FILE_NULL -> new NullSessionCache(sessions);
            case JETTY_JDBC_CACHE, JETTY_FILE_CACHE -> new DefaultSessionCache(sessions);
            default -> throw new IllegalArgumentException("not a Jetty contender: " + contender);
        };
        cache.setSessionDataStore(dataStore());
        sessions.setSessionCache(cache);
        return context;
    }

    private SessionDataStore dataStore() {
        if (pool == null) {
            FileSessionDataStore files = new FileSessionDataStore();
            files.setStoreDir(folder.toFile());
            return files;
        }
        DatabaseAdaptor adaptor = new DatabaseAdaptor();
        adaptor.setDatasource(pool.dataSource());
        JDBCSessionDataStore.SessionTableSchema schema = new JDBCSessionDataStore.SessionTableSchema();
        schema.setTableName(contender.tables().get(0));
        JDBCSessionDataStore store = new JDBCSessionDataStore();
        store.setDatabaseAdaptor(adaptor);
        store.setSessionTableSchema(schema);
        return store;
    }

    /** Not measured: Jetty's scavenger is not one of the cleanups the harness compares. */
    @Override
    public long cleanUp() {
        return -1;
    }

    @Override
    public Pool pool() {
        return pool;
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.close();
        }
    }
}
