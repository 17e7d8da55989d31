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

    /**
     * Whether the Servlet API on the class path is 6.1 (Tomcat 11's own copy) rather than the 6.0 jar: the surefire
     * executions differ in that, and each container's tests run only in the matching one, even under {@code -Dtest}.
     */
    static boolean servletApi61() {
        try {
            jakarta.servlet.http.HttpServletResponse.class.getMethod("sendRedirect", String.class, int.class, boolean.class);
            return true;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    /** Starts a container of this kind. */
    @FunctionalInterface
    interface Starter {
        TestServer start(Filter filter, HttpServlet servlet) throws Exception;
    }
}
