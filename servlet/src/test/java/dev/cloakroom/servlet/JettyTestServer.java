package dev.cloakroom.servlet;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServlet;
import java.net.URI;
import java.util.EnumSet;
import java.util.Map;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.ForwardedRequestCustomizer;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/** Jetty 12, ee10, without its own session handler. */
final class JettyTestServer implements TestServer {
    private final Server server;
    private final URI base;

    private JettyTestServer(Filter filter, HttpServlet servlet, Map<String, String> initParameters, boolean forwarded) throws Exception {
        server = new Server();
        HttpConfiguration http = new HttpConfiguration();
        if (forwarded) {
            // The container itself trusts X-Forwarded-Proto: request.isSecure() is then true behind an HTTPS proxy.
            http.addCustomizer(new ForwardedRequestCustomizer());
        }
        ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler(ServletContextHandler.NO_SESSIONS);
        context.setContextPath("/");
        FilterHolder filterHolder = new FilterHolder(filter);
        filterHolder.setAsyncSupported(true);
        filterHolder.setInitParameters(initParameters);
        context.addFilter(filterHolder, "/*", EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC, DispatcherType.ERROR));
        ServletHolder servletHolder = new ServletHolder(servlet);
        servletHolder.setAsyncSupported(true);
        context.addServlet(servletHolder, "/*");
        server.setHandler(context);
        try {
            server.start();
        } catch (Exception e) {
            server.stop();
            throw e;
        }
        base = URI.create("http://127.0.0.1:" + connector.getLocalPort());
    }

    static TestServer start(Filter filter, HttpServlet servlet) throws Exception {
        return new JettyTestServer(filter, servlet, Map.of(), false);
    }

    /** With filter init-params, as {@code web.xml} would give them. */
    static TestServer start(Filter filter, HttpServlet servlet, Map<String, String> initParameters) throws Exception {
        return new JettyTestServer(filter, servlet, initParameters, false);
    }

    /** With Jetty's own {@code ForwardedRequestCustomizer}, so the container reports proxied HTTPS as secure. */
    static TestServer startBehindProxy(Filter filter, HttpServlet servlet) throws Exception {
        return new JettyTestServer(filter, servlet, Map.of(), true);
    }

    @Override
    public URI base() {
        return base;
    }

    /** The context has no session handler at all (NO_SESSIONS): a container session could not even be created. */
    @Override
    public int containerSessions() {
        return 0;
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }
}
