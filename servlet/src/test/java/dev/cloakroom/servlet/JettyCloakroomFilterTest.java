package dev.cloakroom.servlet;

import org.junit.jupiter.api.Tag;

/** The filter contract on embedded Jetty 12 (ee10). */
@Tag("unit")
class JettyCloakroomFilterTest extends CloakroomFilterContract {
    @Override
    TestServer.Starter container() {
        return JettyTestServer::start;
    }

    @Override
    boolean matchesServletApi() {
        return !TestServer.servletApi61();
    }
}
