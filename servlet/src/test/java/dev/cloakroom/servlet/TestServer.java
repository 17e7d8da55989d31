package dev.cloakroom.servlet;

import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServlet;
import java.net.URI;

/** An embedded container running one filter in front of one servlet mapped to {@code /*}, on a free loopback port. */
interface TestServer extends AutoCloseable {

    URI base();

    /** Sessions the container itself holds: must stay 0, since the filter serves every session. */
    int containerSessions();

    @Override
    void close() throws Exception;

    /** Starts a container of this kind. */
    @FunctionalInterface
    interface Starter {
        TestServer start(Filter filter, HttpServlet servlet) throws Exception;
    }
}
