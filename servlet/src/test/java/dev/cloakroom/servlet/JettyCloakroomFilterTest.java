package dev.cloakroom.servlet;

/** The filter contract on embedded Jetty 12 (ee10). */
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
