package dev.cloakroom.bench.server;

import org.eclipse.jetty.ee10.servlet.ServletContextHandler;

/** One product's session machinery, set up on a servlet context the way its documentation shows. */
interface Wiring extends AutoCloseable {

    /** The context the pages are added to, with the product's sessions installed. */
    ServletContextHandler context();

    /** Deletes the expired sessions as the product's cleanup does, on the calling thread; how many, or -1 if unknown. */
    long cleanUp();

    /** JDBC statements sent so far, or 0 for a store without JDBC. */
    long statements();

    /** JDBC commits and rollbacks sent so far. */
    long commits();

    @Override
    void close() throws Exception;
}
