package dev.cloakroom.bench.server;

import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.SessionManager;
import dev.cloakroom.bench.Contender;
import dev.cloakroom.file.FileSessionStore;
import dev.cloakroom.file.FileSync;
import dev.cloakroom.jdbc.JdbcSessionStore;
import dev.cloakroom.redis.RedisSessionStore;
import dev.cloakroom.servlet.CloakroomFilter;
import dev.cloakroom.spi.SessionStore;
import jakarta.servlet.DispatcherType;
import java.nio.file.Path;
import java.util.EnumSet;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;

/**
 * Cloakroom as its README's quick start sets it up: default settings, the filter on every dispatch. The sweeper does
 * not run on its schedule here, so that the cleanup phase alone decides when a sweep happens.
 */
final class CloakroomWiring implements Wiring {
    private final Pool pool;
    private final SessionManager manager;

    CloakroomWiring(Contender contender, Path dataDir, String jdbcUrl, String redisUri) {
        this.pool = contender == Contender.CLOAKROOM_PG ? new Pool(jdbcUrl) : null;
        SessionStore store = switch (contender) {
            case CLOAKROOM_FILE, CLOAKROOM_FILE_TMPFS -> FileSessionStore.builder(contender.folder(dataDir)).build();
            case CLOAKROOM_FILE_ATOMIC -> FileSessionStore.builder(contender.folder(dataDir))
                    .sync(FileSync.ATOMIC).build();
            case CLOAKROOM_PG -> JdbcSessionStore.builder().dataSource(pool.dataSource())
                    .table(contender.tables().get(0)).build();
            case CLOAKROOM_PG_OWN_POOL -> JdbcSessionStore.builder().url(jdbcUrl).maxPoolSize(Pool.SIZE)
                    .table(contender.tables().get(0)).build();
            case CLOAKROOM_REDIS -> RedisSessionStore.builder(redisUri).keyPrefix(contender.redisPrefix()).build();
            default -> throw new IllegalArgumentException("not a Cloakroom contender: " + contender);
        };
        this.manager = SessionManager.builder(store)
                .config(CloakroomConfig.builder().sweeping(false).build())
                .build();
    }

    @Override
    public ServletContextHandler context() {
        ServletContextHandler context = new ServletContextHandler(ServletContextHandler.NO_SESSIONS);
        context.setContextPath("/");
        context.addFilter(new FilterHolder(new CloakroomFilter(manager)), "/*",
                EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC, DispatcherType.ERROR));
        return context;
    }

    /** What the sweeper does on each of its runs, run back to back until nothing expired is left. */
    @Override
    public long cleanUp() {
        long total = 0;
        for (int swept; (swept = manager.sweeper().runOnce()) > 0; ) {
            total += swept;
        }
        return total;
    }

    @Override
    public Pool pool() {
        return pool;
    }

    @Override
    public void close() {
        manager.close();
        if (pool != null) {
            pool.close();
        }
    }
}
