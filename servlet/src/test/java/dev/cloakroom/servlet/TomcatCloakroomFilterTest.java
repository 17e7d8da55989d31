package dev.cloakroom.servlet;

/** The filter contract on embedded Tomcat 11. */
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
