package dev.cloakroom.servlet;

import dev.cloakroom.SessionKey;
import jakarta.servlet.ServletContext;
import jakarta.servlet.http.HttpSession;
import java.util.Collections;
import java.util.Enumeration;
import java.util.Map;

/**
 * What {@code sessionDestroyed} sees of a session the sweeper removed: its attributes, read-only. The raw id is not
 * known (stores keep only the hash), so {@link #getId()} is the hashed key; timestamps were not kept either.
 */
final class EndedHttpSession implements HttpSession {
    private final SessionKey key;
    private final Map<String, Object> attributes;
    private final ServletContext context;

    EndedHttpSession(SessionKey key, Map<String, Object> attributes, ServletContext context) {
        this.key = key;
        this.attributes = Map.copyOf(attributes);
        this.context = context;
    }

    @Override
    public String getId() {
        return key.value();
    }

    @Override
    public Object getAttribute(String name) {
        return attributes.get(name);
    }

    @Override
    public Enumeration<String> getAttributeNames() {
        return Collections.enumeration(attributes.keySet());
    }

    @Override
    public ServletContext getServletContext() {
        return context;
    }

    @Override
    public boolean isNew() {
        return false;
    }

    @Override
    public long getCreationTime() {
        throw new UnsupportedOperationException("the creation time of an expired, swept session is not known");
    }

    @Override
    public long getLastAccessedTime() {
        throw new UnsupportedOperationException("the last access time of an expired, swept session is not known");
    }

    @Override
    public int getMaxInactiveInterval() {
        throw new UnsupportedOperationException("the idle timeout of an expired, swept session is not known");
    }

    @Override
    public void setMaxInactiveInterval(int interval) {
        throw new IllegalStateException("session has expired");
    }

    @Override
    public void setAttribute(String name, Object value) {
        throw new IllegalStateException("session has expired");
    }

    @Override
    public void removeAttribute(String name) {
        throw new IllegalStateException("session has expired");
    }

    @Override
    public void invalidate() {
        throw new IllegalStateException("session has expired");
    }

    @Override
    public String toString() {
        return "EndedHttpSession[" + key + "]";
    }
}
