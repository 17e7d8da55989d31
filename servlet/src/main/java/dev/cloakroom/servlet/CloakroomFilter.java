package dev.cloakroom.servlet;

import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.SessionManager;
import dev.cloakroom.spi.SessionStore;
import dev.cloakroom.SessionStores;
import dev.cloakroom.Settings;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.Objects;

/**
 * Serves {@code request.getSession()} from Cloakroom: the application's {@link jakarta.servlet.http.HttpSession} is a
 * {@link CloakroomHttpSession} backed by the {@link SessionManager}, and the container never creates a session of its
 * own through this request.
 *
 * <ul>
 *   <li><b>Lazy</b>: the session is looked up on the first {@code getSession} call; a request that never asks costs
 *       no store I/O. The id is taken only from the cookie named {@link dev.cloakroom.CloakroomConfig#cookieName()},
 *       never from a URL ({@code ;jsessionid=}) or a parameter; a malformed or badly signed value means "no session"
 *       without any store I/O.</li>
 *   <li><b>Saved before the response commits</b>: on {@code sendRedirect}, {@code sendError}, {@code flushBuffer},
 *       flush or close of the writer or stream, when the declared {@code Content-Length} or the buffer size is about
 *       to be reached, and at the end of the chain. Only changes are written; nothing for a session without data.</li>
 *   <li><b>Cookie</b>, written as a raw {@code Set-Cookie} header: {@code HttpOnly}, {@code Path=/}, {@code SameSite}
 *       and {@code Secure} from the config, {@code Max-Age} only for permanent sessions, optional HMAC-SHA256 signature
 *       with key rotation; {@code Cache-Control: no-store} on every response that sets or clears it. A cookie that
 *       names no live session is cleared when the request used the session and ends without one holding data.</li>
 *   <li><b>Store failure</b> ({@link dev.cloakroom.SessionStoreException}, also when the application caught it):
 *       {@code 503} with {@code Retry-After: 5} and a short text, no cookie. {@link dev.cloakroom.SessionTooLargeException}:
 *       {@code 413}. A {@link dev.cloakroom.UnsupportedAttributeException} at commit (a value mutated in place after
 *       {@code setAttribute} into something the session cannot hold, such as a lone UTF-16 surrogate): {@code 422}
 *       with a short text, keeping the cookie the response already carried, unless the application set an error
 *       status itself or threw its own exception, which then stand. A {@link dev.cloakroom.SessionEndedException} the
 *       application let through (another request invalidated the session, or it expired, during this one):
 *       {@code 409} with a short text, the cookie cleared. If the response was already committed, the failure is
 *       logged and the request left as it is.</li>
 *   <li><b>Async</b>: {@code startAsync()} hands the async part the same wrappers, so the hooks above still apply,
 *       and {@code AsyncContext.complete()} saves first; the session is also saved when the first dispatch returns.
 *       As in a synchronous request, a session cannot be created nor its id changed once the response has been
 *       committed.</li>
 * </ul>
 * Register it first in the chain, for the {@code REQUEST}, {@code ASYNC} and {@code ERROR} dispatcher types, with
 * async support on. Session events go to the {@link ServletSessionEvents} given to the constructor.
 */
public final class CloakroomFilter implements Filter {
    /** What {@code Retry-After} tells a client when the store is unavailable. */
    public static final Duration RETRY_AFTER = Duration.ofSeconds(5);

    private static final String BINDING = CloakroomFilter.class.getName() + ".binding";

    private final ServletSessionEvents events;
    private final boolean ownsManager;
    private volatile SessionManager manager;
    private volatile SessionCookies cookies;
    private volatile ServletContext context;

    /**
     * For {@code web.xml} and other declarative registration: {@link #init} builds the manager from settings
     * ({@code SESSION_TYPE}, {@code PERMANENT_SESSION_LIFETIME}, ... as in the README), each looked up as a filter
     * init-param, then a context init-param, then a system property, then an environment variable; {@link #destroy}
     * closes it. Session events are not delivered in this mode.
     */
    public CloakroomFilter() {
        this.events = new ServletSessionEvents();
        this.ownsManager = true;
    }

    /** A filter whose session events reach no listener. */
    public CloakroomFilter(SessionManager manager) {
        this(manager, new ServletSessionEvents());
    }

    /**
     * @param events where request-time session events go; register the same instance on the manager's builder
     *               ({@code .listener(events)}) so that sessions removed by the sweeper reach {@code sessionDestroyed} too
     */
    public CloakroomFilter(SessionManager manager, ServletSessionEvents events) {
        this.manager = Objects.requireNonNull(manager, "manager");
        this.events = Objects.requireNonNull(events, "events");
        this.cookies = new SessionCookies(manager.config());
        this.ownsManager = false;
    }

    /** @throws IllegalArgumentException (from the settings) if the no-argument filter's settings are invalid */
    @Override
    public void init(FilterConfig filterConfig) {
        context = filterConfig.getServletContext();
        events.servletContext(context);
        if (ownsManager && manager == null) {
            Settings settings = Settings.of(name -> firstSet(filterConfig.getInitParameter(name),
                    context == null ? null : context.getInitParameter(name), System.getProperty(name), System.getenv(name)));
            CloakroomConfig config = CloakroomConfig.fromSettings(settings);
            SessionStore store = SessionStores.fromSettings(settings, config);
            SessionManager built = SessionManager.builder(store).config(config).listener(events).build();
            cookies = new SessionCookies(config);
            manager = built;
        }
    }

    /** Closes the manager if this filter built it in {@link #init}; a manager passed to the constructor stays open. */
    @Override
    public void destroy() {
        SessionManager built = manager;
        if (ownsManager && built != null) {
            manager = null;
            built.close();
        }
    }

    private static String firstSet(String... values) {
        for (String value : values) {
            if (value != null && !value.isBlank()) {
                return value;
            }
        }
        return null;
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain) throws IOException, ServletException {
        if (!(request instanceof HttpServletRequest httpRequest) || !(response instanceof HttpServletResponse httpResponse)) {
            chain.doFilter(request, response);
            return;
        }
        SessionManager manager = this.manager;
        if (manager == null) {
            throw new ServletException("CloakroomFilter is not initialised: init() has not run, or destroy() has");
        }
        SessionBinding binding = request.getAttribute(BINDING) instanceof SessionBinding existing ? existing : null;
        if (binding != null && !binding.isFinished()) {
            // A forward or include inside our own chain: same session; the outer call saves it.
            CloakroomResponse wrappedResponse = new CloakroomResponse(httpResponse, binding);
            chain.doFilter(new CloakroomRequest(httpRequest, wrappedResponse, binding), wrappedResponse);
            return;
        }
        if (binding == null) {
            ServletContext servletContext = context != null ? context : request.getServletContext();
            events.servletContext(servletContext);
            binding = new SessionBinding(manager, events, cookies, httpRequest, httpResponse, servletContext);
            request.setAttribute(BINDING, binding);
        }
        // Otherwise an error dispatch after our first pass ended: it sees, and saves, the same session.
        CloakroomResponse wrappedResponse = new CloakroomResponse(httpResponse, binding);
        try {
            chain.doFilter(new CloakroomRequest(httpRequest, wrappedResponse, binding), wrappedResponse);
        } catch (IOException | ServletException | RuntimeException e) {
            if (binding.finishAfter(e)) {
                return;
            }
            throw e;
        }
        if (request.isAsyncStarted()) {
            binding.finishInitialDispatch(request.getAsyncContext());
        } else {
            binding.finish();
        }
    }
}
