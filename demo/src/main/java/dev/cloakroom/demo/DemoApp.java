package dev.cloakroom.demo;

import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.SessionManager;
import dev.cloakroom.spi.SessionStore;
import dev.cloakroom.SessionStores;
import dev.cloakroom.Settings;
import dev.cloakroom.micrometer.MicrometerSessionMetrics;
import dev.cloakroom.servlet.CloakroomFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.MultipartConfigElement;
import java.net.URI;
import java.util.EnumSet;
import java.util.Objects;
import org.eclipse.jetty.ee10.servlet.ErrorPageErrorHandler;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The seed's upload app (Flask-Session review, "Create a simple program that uses the FileSystem backend") on
 * embedded Jetty 12 with Cloakroom sessions.
 *
 * <p>Configured with Flask-Session's names, from environment variables or {@code -D} system properties of the same
 * name ({@link Settings#fromSystem()}): {@code HOST} (default {@value #DEFAULT_HOST}), {@code PORT} (default
 * {@value #DEFAULT_PORT}; 0 picks a free one), {@code MAX_CONTENT_LENGTH} (default {@value #DEFAULT_MAX_CONTENT_LENGTH}
 * bytes), {@code SESSION_METRICS} (default {@value #DEFAULT_SESSION_METRICS}; {@code true} serves the session meters
 * for Prometheus at {@value #METRICS_PATH}), plus every session setting that {@link CloakroomConfig#fromSettings} and {@link SessionStores#fromSettings}
 * read ({@code SESSION_TYPE}, {@code SESSION_FILE_DIR}, {@code PERMANENT_SESSION_LIFETIME}, ...).
 *
 * <p>{@link #start(Settings)} returns once the server listens; {@link #close()} stops Jetty, then the session
 * manager (its sweeper and store).
 */
public final class DemoApp implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DemoApp.class);
    /** {@code HOST}: loopback only, as {@code flask run}. */
    public static final String DEFAULT_HOST = "127.0.0.1";
    /** {@code PORT}: Flask's. */
    public static final int DEFAULT_PORT = 5000;
    /** {@code MAX_CONTENT_LENGTH}: 1 MiB; a larger request body gets a 413 page. */
    public static final long DEFAULT_MAX_CONTENT_LENGTH = 1024 * 1024;
    /** Largest {@code MAX_CONTENT_LENGTH} accepted: 1 GiB, as an upload is held in memory while it is checked. */
    static final long MAX_MAX_CONTENT_LENGTH = 1L << 30;
    /** {@code SESSION_METRICS}: off, so that nothing about the sessions is published unless asked for. */
    public static final boolean DEFAULT_SESSION_METRICS = false;
    /** Where the Prometheus scrape endpoint answers when {@code SESSION_METRICS} is on. */
    public static final String METRICS_PATH = "/metrics";
    /** A connection idle this long is closed, so a stalled upload cannot hold a thread for ever. */
    static final int IDLE_TIMEOUT_MILLIS = 30_000;

    private final Server server;
    private final SessionManager manager;
    private final URI uri;
    private boolean closed;

    private DemoApp(Server server, SessionManager manager, URI uri) {
        this.server = server;
        this.manager = manager;
        this.uri = uri;
    }

    /**
     * Starts the demo with the settings of this process and stops it on Ctrl-C; or, with the argument {@code sweep},
     * deletes the expired sessions of the configured store once and exits (for a cron job, with
     * {@code SESSION_SWEEPER=false} on the application).
     */
    public static void main(String[] args) {
        if (args.length == 1 && args[0].equals("sweep")) {
            System.exit(sweepOnce(Settings.fromSystem()));
        }
        if (args.length > 0) {
            System.err.println("usage: java -jar cloakroom-demo.jar [sweep]");
            System.exit(2);
        }
        DemoApp app;
        try {
            app = start(Settings.fromSystem());
        } catch (IllegalArgumentException e) {
            LOG.error("Not started, a setting is wrong: {}", e.getMessage());
            System.exit(2);
            return;
        } catch (RuntimeException e) {
            LOG.error("Not started: {}", e.getMessage(), e);
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(app::close, "cloakroom-demo-shutdown"));
        app.join();
    }

    /** Sweeps the configured store until no expired session is left (or another process holds the sweep lease). */
    static int sweepOnce(Settings settings) {
        try {
            CloakroomConfig config = CloakroomConfig.fromSettings(settings);
            try (SessionManager manager = SessionManager.builder(SessionStores.fromSettings(settings, config))
                    .config(config).sweeping(false).build()) {
                int total = 0;
                int swept;
                do {
                    swept = manager.sweeper().runOnce();
                    total += swept;
                } while (swept > 0);
                LOG.info("Swept {} expired session(s)", total);
                return 0;
            }
        } catch (IllegalArgumentException e) {
            LOG.error("Not swept, a setting is wrong: {}", e.getMessage());
            return 2;
        } catch (RuntimeException e) {
            LOG.error("Not swept: {}", e.getMessage(), e);
            return 1;
        }
    }

    /**
     * Builds the store and session manager from {@code settings} and starts Jetty.
     *
     * @throws IllegalArgumentException if a setting is malformed (the message names it)
     * @throws IllegalStateException if the server cannot start, e.g. the port is taken (the cause attached)
     */
    public static DemoApp start(Settings settings) {
        Objects.requireNonNull(settings, "settings");
        Listen listen = Listen.from(settings);
        CloakroomConfig config = CloakroomConfig.fromSettings(settings);
        return start(listen, config, SessionStores.fromSettings(settings, config));
    }

    /** As {@link #start(Settings)} with a store built by the caller (tests inspect it); takes ownership of it. */
    static DemoApp start(Settings settings, SessionStore store) {
        Listen listen;
        CloakroomConfig config;
        try {
            listen = Listen.from(settings);
            config = CloakroomConfig.fromSettings(settings);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
        return start(listen, config, store);
    }

    private static DemoApp start(Listen listen, CloakroomConfig config, SessionStore store) {
        SessionManager manager;
        PrometheusMeterRegistry registry = listen.metrics() ? new PrometheusMeterRegistry(PrometheusConfig.DEFAULT) : null;
        try {
            SessionManager.Builder builder = SessionManager.builder(store).config(config);
            if (registry != null) {
                builder.metrics(new MicrometerSessionMetrics(registry));
            }
            manager = builder.build();
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
        Server server = server(listen, manager, registry);
        try {
            server.start();
        } catch (Exception e) {
            stopQuietly(server);
            manager.close();
            throw new IllegalStateException("could not listen on " + listen.host() + ":" + listen.port() + ": " + e.getMessage(), e);
        }
        int port = ((ServerConnector) server.getConnectors()[0]).getLocalPort();
        String host = listen.host().contains(":") ? "[" + listen.host() + "]" : listen.host();
        URI uri = URI.create("http://" + host + ":" + port + "/");
        // the session manager has logged the store, its folder or address, lifetimes and sweeping
        LOG.info("Cloakroom demo listening on {}; uploads up to {} bytes", uri, listen.maxContentLength());
        return new DemoApp(server, manager, uri);
    }

    private static Server server(Listen listen, SessionManager manager, PrometheusMeterRegistry registry) {
        QueuedThreadPool threads = new QueuedThreadPool();
        threads.setName("demo");
        Server server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setHost(listen.host());
        connector.setPort(listen.port());
        connector.setIdleTimeout(IDLE_TIMEOUT_MILLIS);
        server.addConnector(connector);

        ServletContextHandler context = new ServletContextHandler("/");
        context.addFilter(new FilterHolder(new SecurityHeadersFilter()), "/*",
                EnumSet.of(DispatcherType.REQUEST, DispatcherType.ERROR));
        // Error dispatches do not pass the session filter: an error page never opens or writes a session.
        context.addFilter(new FilterHolder(new CloakroomFilter(manager)), "/*", EnumSet.of(DispatcherType.REQUEST));
        ServletHolder upload = new ServletHolder("upload", new UploadServlet(new Pages(), manager, listen.maxContentLength()));
        long max = listen.maxContentLength();
        // Parts stay in memory (the threshold is above the cap), which the cap bounds; nothing lands on disk.
        upload.getRegistration().setMultipartConfig(
                new MultipartConfigElement(null, max, max, (int) max + 1));
        context.addServlet(upload, "/");
        if (registry != null) {
            context.addServlet(new ServletHolder("metrics", new MetricsServlet(registry)), METRICS_PATH);
        }
        ErrorPageErrorHandler errors = new ErrorPageErrorHandler();
        errors.addErrorPage(ErrorPageErrorHandler.GLOBAL_ERROR_PAGE, "/error");
        errors.setShowStacks(false);
        context.setErrorHandler(errors);
        server.setHandler(context);
        server.setErrorHandler(new BareErrorHandler());
        return server;
    }

    /** Where the demo answers, e.g. {@code http://127.0.0.1:5000/}. */
    public URI uri() {
        return uri;
    }

    /** The port it listens on (the one picked when {@code PORT} was 0). */
    public int port() {
        return uri.getPort();
    }

    /** Waits until the server stops. */
    public void join() {
        try {
            server.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops Jetty, then the session manager (sweeper and store). Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        stopQuietly(server);
        manager.close();
        LOG.info("Cloakroom demo on {} stopped", uri);
    }

    private static void stopQuietly(Server server) {
        try {
            server.stop();
        } catch (Exception e) {
            LOG.warn("stopping Jetty failed; its threads may linger until exit", e);
        }
    }

    /** The demo's own settings, validated before anything is built. */
    private record Listen(String host, int port, long maxContentLength, boolean metrics) {
        static Listen from(Settings settings) {
            String host = settings.get("HOST", DEFAULT_HOST);
            long port = settings.getLong("PORT", DEFAULT_PORT);
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("PORT must be within 0..65535: '" + port + "'");
            }
            long max = settings.getLong("MAX_CONTENT_LENGTH", DEFAULT_MAX_CONTENT_LENGTH);
            if (max < 1 || max > MAX_MAX_CONTENT_LENGTH) {
                throw new IllegalArgumentException("MAX_CONTENT_LENGTH must be within 1.." + MAX_MAX_CONTENT_LENGTH
                        + " bytes (an upload is held in memory): '" + max + "'");
            }
            return new Listen(host, (int) port, max, settings.getBoolean("SESSION_METRICS", DEFAULT_SESSION_METRICS));
        }
    }
}
