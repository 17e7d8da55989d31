package dev.cloakroom.servlet;

import org.junit.jupiter.api.Tag;

/** The filter contract on embedded Tomcat 11. */
@Tag("unit")
class TomcatCloakroomFilterTest extends CloakroomFilterContract {
    @Override
    TestServer.Starter container() {
        return TomcatTestServer::start;
    }

    @Override
    boolean matchesServletApi() {
        return TestServer.servletApi61();
    }
}
