package dev.cloakroom.servlet;

import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionListener;
import jakarta.servlet.ServletContext;
import jakarta.servlet.http.HttpSession;
import jakarta.servlet.http.HttpSessionAttributeListener;
import jakarta.servlet.http.HttpSessionBindingEvent;
import jakarta.servlet.http.HttpSessionEvent;
import jakarta.servlet.http.HttpSessionIdListener;
import jakarta.servlet.http.HttpSessionListener;
import java.util.EventListener;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the Servlet session events for Cloakroom sessions, which the container does not see: its own listener
 * registry only covers its own sessions. Register one instance in two places:
 *
 * <pre>{@code
 * ServletSessionEvents events = new ServletSessionEvents().add(new MyHttpSessionListener());
 * SessionManager manager = SessionManager.builder(store).listener(events).build(); // expiry, from the sweeper
 * context.addFilter(new CloakroomFilter(manager, events), ...);                     // everything at request time
 * }</pre>
 *
 * <ul>
 *   <li>{@link HttpSessionListener#sessionCreated}: when a request creates a session ({@code getSession()}).
 *       Cloakroom stores a session only once it holds data; one that ends its first request empty is dropped, and
 *       {@code sessionDestroyed} is then fired for it at the end of that request, so created and destroyed pair up.</li>
 *   <li>{@link HttpSessionListener#sessionDestroyed}: on {@code invalidate()}, once the store has confirmed the
 *       deletion (a failed deletion leaves the session alive and tells no one; a retry that succeeds tells once; of two
 *       requests invalidating one session at once, only the one whose deletion removed it tells), with
 *       the session's attributes and timestamps still readable, read-only; and when the sweeper removes an expired
 *       session. The expired session is a
 *       read-only view of its attributes; its raw id is not known to the server (only the hashed key is stored), so
 *       its {@code getId()} returns the {@link SessionKey#value() hashed key}, and its timestamps are unavailable
 *       ({@link UnsupportedOperationException}).</li>
 *   <li>{@link HttpSessionAttributeListener}: added, replaced (with the old value), removed, at request time.
 *       No per-attribute events are fired when a session ends.</li>
 *   <li>{@link HttpSessionIdListener#sessionIdChanged}: on {@code changeSessionId()}; the old id is the raw id,
 *       which the listener must not log.</li>
 * </ul>
 * A listener that throws is logged and does not stop the others. Listeners run on the thread of the event: a
 * request thread, or the sweeper's.
 */
public final class ServletSessionEvents implements SessionListener {
    private static final Logger LOG = LoggerFactory.getLogger(ServletSessionEvents.class);

    private final List<HttpSessionListener> sessionListeners = new CopyOnWriteArrayList<>();
    private final List<HttpSessionAttributeListener> attributeListeners = new CopyOnWriteArrayList<>();
    private final List<HttpSessionIdListener> idListeners = new CopyOnWriteArrayList<>();
    private volatile ServletContext servletContext;

    /**
     * Adds a listener that implements one or more of {@link HttpSessionListener}, {@link HttpSessionAttributeListener}
     * and {@link HttpSessionIdListener}.
     *
     * @return this, for chaining
     * @throws IllegalArgumentException if it implements none of them
     */
    public ServletSessionEvents add(EventListener listener) {
        Objects.requireNonNull(listener, "listener");
        boolean known = false;
        if (listener instanceof HttpSessionListener l) {
            sessionListeners.add(l);
            known = true;
        }
        if (listener instanceof HttpSessionAttributeListener l) {
            attributeListeners.add(l);
            known = true;
        }
        if (listener instanceof HttpSessionIdListener l) {
            idListeners.add(l);
            known = true;
        }
        if (!known) {
            throw new IllegalArgumentException("not an HttpSessionListener, HttpSessionAttributeListener or HttpSessionIdListener: "
                    + listener.getClass().getName());
        }
        return this;
    }

    /**
     * From the {@link dev.cloakroom.SessionManager}: reports sessions the sweeper removed as expired. Invalidations are
     * reported by the filter itself, with the live session, so they are ignored here.
     */
    @Override
    public void sessionDestroyed(SessionKey key, Map<String, Object> attributes, Reason reason) {
        if (reason == Reason.EXPIRED && !sessionListeners.isEmpty()) {
            destroyed(new EndedHttpSession(key, attributes, servletContext));
        }
    }

    void servletContext(ServletContext context) {
        if (context != null) {
            this.servletContext = context;
        }
    }

    ServletContext servletContext() {
        return servletContext;
    }

    void created(HttpSession session) {
        HttpSessionEvent event = new HttpSessionEvent(session);
        for (HttpSessionListener listener : sessionListeners) {
            try {
                listener.sessionCreated(event);
            } catch (RuntimeException e) {
                LOG.warn("HttpSessionListener {} failed in sessionCreated", listener, e);
            }
        }
    }

    void destroyed(HttpSession session) {
        HttpSessionEvent event = new HttpSessionEvent(session);
        for (HttpSessionListener listener : sessionListeners) {
            try {
                listener.sessionDestroyed(event);
            } catch (RuntimeException e) {
                LOG.warn("HttpSessionListener {} failed in sessionDestroyed", listener, e);
            }
        }
    }

    void attributeSet(HttpSession session, String name, Object value, Object previous) {
        if (attributeListeners.isEmpty()) {
            return;
        }
        HttpSessionBindingEvent event = new HttpSessionBindingEvent(session, name, previous == null ? value : previous);
        for (HttpSessionAttributeListener listener : attributeListeners) {
            try {
                if (previous == null) {
                    listener.attributeAdded(event);
                } else {
                    listener.attributeReplaced(event);
                }
            } catch (RuntimeException e) {
                LOG.warn("HttpSessionAttributeListener {} failed on attribute '{}'", listener, name, e);
            }
        }
    }

    void attributeRemoved(HttpSession session, String name, Object previous) {
        if (attributeListeners.isEmpty() || previous == null) {
            return;
        }
        HttpSessionBindingEvent event = new HttpSessionBindingEvent(session, name, previous);
        for (HttpSessionAttributeListener listener : attributeListeners) {
            try {
                listener.attributeRemoved(event);
            } catch (RuntimeException e) {
                LOG.warn("HttpSessionAttributeListener {} failed on removal of '{}'", listener, name, e);
            }
        }
    }

    void idChanged(HttpSession session, String oldId) {
        HttpSessionEvent event = new HttpSessionEvent(session);
        for (HttpSessionIdListener listener : idListeners) {
            try {
                listener.sessionIdChanged(event, oldId);
            } catch (RuntimeException e) {
                LOG.warn("HttpSessionIdListener {} failed", listener, e);
            }
        }
    }
}
