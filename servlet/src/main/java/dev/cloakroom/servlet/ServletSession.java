package dev.cloakroom.servlet;

import dev.cloakroom.Session;
import dev.cloakroom.SessionStoreException;
import jakarta.servlet.ServletContext;
import java.time.Duration;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The {@link CloakroomHttpSession} of one request: a thin adapter over core's {@link Session}, which tracks changes
 * and enforces the "invalidated" state; this class adds the Servlet events and the Servlet units (ints, millis).
 */
final class ServletSession implements CloakroomHttpSession {
    private final Session session;
    private final SessionBinding binding;
    /**
     * What the session held when the store confirmed its end, readable only while the {@code sessionDestroyed}
     * listeners run; null otherwise.
     */
    private volatile Map<String, Object> farewell;
    private boolean endReported;

    ServletSession(Session session, SessionBinding binding) {
        this.session = session;
        this.binding = binding;
    }

    Session session() {
        return session;
    }

    /** The raw id: the cookie value (without its signature when cookies are signed). Never log it. */
    @Override
    public String getId() {
        return session.id();
    }

    @Override
    public long getCreationTime() {
        requireReadable();
        return session.createdAt().toEpochMilli();
    }

    /** When the current request opened the session (the time of the latest request that used it). */
    @Override
    public long getLastAccessedTime() {
        requireReadable();
        return session.lastAccessedAt().toEpochMilli();
    }

    @Override
    public ServletContext getServletContext() {
        return binding.servletContext();
    }

    /**
     * Sets this session's idle timeout. Cloakroom bounds every session, so {@code interval <= 0} ("never expires" in
     * the Servlet API) means the configured idle timeout ({@link dev.cloakroom.CloakroomConfig#idleTimeout()}), and
     * {@link #getMaxInactiveInterval()} reports that value afterwards.
     */
    @Override
    public void setMaxInactiveInterval(int interval) {
        Duration value = interval <= 0 ? binding.config().idleTimeout() : Duration.ofSeconds(interval);
        session.setMaxInactiveInterval(value);
        binding.changed();
    }

    @Override
    public int getMaxInactiveInterval() {
        return (int) Math.min(Integer.MAX_VALUE, session.maxInactiveInterval().toSeconds());
    }

    @Override
    public Object getAttribute(String name) {
        Map<String, Object> ended = farewell;
        return ended != null ? ended.get(name) : session.getAttribute(name);
    }

    @Override
    public Enumeration<String> getAttributeNames() {
        Map<String, Object> ended = farewell;
        return Collections.enumeration(ended != null ? ended.keySet() : session.attributeNames());
    }

    /** @throws dev.cloakroom.UnsupportedAttributeException if the session codec cannot store the value */
    @Override
    public void setAttribute(String name, Object value) {
        requireName(name);
        if (value == null) {
            removeAttribute(name);
            return;
        }
        Object previous = session.setAttribute(name, value);
        binding.changed();
        binding.events().attributeSet(this, name, value, previous);
    }

    @Override
    public void removeAttribute(String name) {
        requireName(name);
        Object previous = session.removeAttribute(name);
        binding.changed();
        binding.events().attributeRemoved(this, name, previous);
    }

    @Override
    public void invalidate() {
        requireValid();
        Map<String, Object> held = new LinkedHashMap<>();
        for (String name : session.attributeNames()) {
            held.put(name, session.getAttribute(name));
        }
        boolean endedHere;
        try {
            endedHere = session.invalidate();
        } catch (SessionStoreException e) {
            // The record is still there and the session lives on: nobody may hear that it ended.
            throw binding.failed(e);
        }
        binding.invalidated();
        if (!endedHere) {
            // Another request (a second tab logging out) or the sweeper ended it and told the listeners already.
            return;
        }
        // Told only once the store confirmed the end, yet with the attributes still readable (Servlet 6, 7.5),
        // through a read-only view of what the session held.
        farewell = Collections.unmodifiableMap(held);
        try {
            reportEnd();
        } finally {
            farewell = null;
        }
    }

    /** The request ends and this new session never held data, so it is not stored: its end pairs sessionCreated. */
    void dropped() {
        reportEnd();
    }

    private void reportEnd() {
        if (!endReported) {
            endReported = true;
            binding.events().destroyed(this);
        }
    }

    @Override
    public boolean isNew() {
        requireReadable();
        return session.isNew();
    }

    @Override
    public <T> T update(String name, UnaryOperator<T> fn) {
        requireName(name);
        Object[] seen = new Object[1];
        T next;
        try {
            next = session.update(name, current -> {
                seen[0] = current;
                return fn.apply(current);
            });
        } catch (SessionStoreException e) {
            throw binding.failed(e);
        }
        binding.changed();
        if (next == null) {
            binding.events().attributeRemoved(this, name, seen[0]);
        } else {
            binding.events().attributeSet(this, name, next, seen[0]);
        }
        return next;
    }

    private void requireValid() {
        if (session.isInvalidated()) {
            throw new IllegalStateException("session has been invalidated");
        }
    }

    /** Valid, or ended and being reported to the {@code sessionDestroyed} listeners. */
    private void requireReadable() {
        if (farewell == null) {
            requireValid();
        }
    }

    private static void requireName(String name) {
        if (name == null) {
            throw new IllegalArgumentException("attribute name must not be null");
        }
    }

    @Override
    public String toString() {
        return "CloakroomHttpSession[" + session.key() + "]";
    }
}
