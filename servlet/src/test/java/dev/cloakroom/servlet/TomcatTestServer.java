package dev.cloakroom.servlet;

import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServlet;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;

/** Tomcat 11, embedded. */
final class TomcatTestServer implements TestServer {
    private final Tomcat tomcat;
    private final URI base;
    private final Path baseDir;
    private final Context context;

    private TomcatTestServer(Filter filter, HttpServlet servlet) throws Exception {
        baseDir = Files.createTempDirectory("cloakroom-tomcat");
        tomcat = new Tomcat();
        tomcat.setBaseDir(baseDir.toString());
        Connector connector = new Connector();
        connector.setPort(0);
        connector.setProperty("address", "127.0.0.1");
        tomcat.setConnector(connector);
        context = tomcat.addContext("", null);
        Tomcat.addServlet(context, "app", servlet).setAsyncSupported(true);
        context.addServletMappingDecoded("/*", "app");
        FilterDef def = new FilterDef();
        def.setFilterName("cloakroom");
        def.setFilter(filter);
        def.setAsyncSupported("true");
        context.addFilterDef(def);
        FilterMap map = new FilterMap();
        map.setFilterName("cloakroom");
        map.addURLPattern("/*");
        map.setDispatcher("REQUEST");
        map.setDispatcher("ASYNC");
        map.setDispatcher("ERROR");
        context.addFilterMap(map);
        tomcat.start();
        base = URI.create("http://127.0.0.1:" + connector.getLocalPort());
    }

    static TestServer start(Filter filter, HttpServlet servlet) throws Exception {
        return new TomcatTestServer(filter, servlet);
    }

    @Override
    public URI base() {
        return base;
    }

    /** Tomcat's own session manager is there and working; it must simply never be asked. */
    @Override
    public int containerSessions() {
        return context.getManager().getActiveSessions();
    }

    @Override
    public void close() throws LifecycleException {
        tomcat.stop();
        tomcat.destroy();
    }
}
