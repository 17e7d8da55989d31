package dev.cloakroom.bench.server;

import org.eclipse.jetty.ee10.servlet.ServletContextHandler;

/** One product's session machinery, set up on a servlet context the way its documentation shows. */
interface Wiring extends AutoCloseable {

    /** The context the pages are added to, with the product's sessions installed. */
    ServletContextHandler context();

    /** Deletes the expired sessions as the product's cleanup does, on the calling thread; how many, or -1 if unknown. */
    long cleanUp();

    /** The counting pool of a JDBC store, or null for a store without JDBC. */
    Pool pool();

    /** JDBC statements sent so far, or 0 for a store without JDBC. */
    default long statements() {
        return pool() == null ? 0 : pool().dataSource().statements();
    }

    /** JDBC commits and rollbacks sent so far. */
    default long commits() {
        return pool() == null ? 0 : pool().dataSource().commits();
    }

    @Override
    void close() throws Exception;
}
