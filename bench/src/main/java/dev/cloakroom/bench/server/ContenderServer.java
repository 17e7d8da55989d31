package dev.cloakroom.bench.server;

import dev.cloakroom.bench.Contender;
import dev.cloakroom.bench.Pages;
import java.nio.file.Path;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * One contender in a JVM of its own: {@code ContenderServer <contender> <port> <data folder> <jdbc url> <redis uri>}.
 * Prints {@code READY} once it listens on 127.0.0.1 and stops when its standard input closes, so that it never
 * outlives the load generator that started it.
 */
public final class ContenderServer {
    /** The same Jetty thread pool for every contender. */
    static final int THREADS = 32;

    private ContenderServer() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            System.err.println("usage: ContenderServer <contender> <port> <data folder> <jdbc url> <redis uri>");
            System.exit(2);
        }
        Contender contender = Contender.byId(args[0]);
        int port = Integer.parseInt(args[1]);
        Path dataDir = Path.of(args[2]);
        try (Wiring wiring = wiring(contender, dataDir, args[3], args[4])) {
            Server server = new Server(new QueuedThreadPool(THREADS));
            HttpConfiguration http = new HttpConfiguration();
            http.setSendServerVersion(false);
            ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
            connector.setHost("127.0.0.1");
            connector.setPort(port);
            server.addConnector(connector);
            ServletContextHandler context = wiring.context();
            ServletHolder pages = new ServletHolder(new WorkloadServlet());
            for (String page : new String[] {Pages.NONE, Pages.READ, Pages.INCREMENT, Pages.UPLOAD}) {
                context.addServlet(pages, page);
            }
            ServletHolder admin = new ServletHolder(new AdminServlet(wiring));
            context.addServlet(admin, Pages.STATS);
            context.addServlet(admin, Pages.CLEANUP);
            server.setHandler(context);
            server.start();
            System.out.println("READY");
            System.out.flush();
            while (System.in.read() >= 0) {
                // the load generator holds our standard input open for as long as we should run
            }
            server.stop();
        }
        // client libraries may leave non-daemon threads behind; the harness must not wait for them
        System.exit(0);
    }

    private static Wiring wiring(Contender contender, Path dataDir, String jdbcUrl, String redisUri) throws Exception {
        return switch (contender) {
            case CLOAKROOM_FILE, CLOAKROOM_FILE_ATOMIC, CLOAKROOM_FILE_TMPFS, CLOAKROOM_PG, CLOAKROOM_PG_OWN_POOL, CLOAKROOM_REDIS -> new CloakroomWiring(contender, dataDir, jdbcUrl, redisUri);
            case SPRING_JDBC, SPRING_REDIS -> new SpringWiring(contender, jdbcUrl, redisUri);
            case JETTY_JDBC_NULL, JETTY_JDBC_CACHE, JETTY_FILE_NULL, JETTY_FILE_CACHE -> new JettyWiring(contender, dataDir, jdbcUrl);
        };
    }
}
