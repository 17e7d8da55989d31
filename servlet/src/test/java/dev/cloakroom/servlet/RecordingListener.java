package dev.cloakroom.servlet;

import jakarta.servlet.http.HttpSessionAttributeListener;
import jakarta.servlet.http.HttpSessionBindingEvent;
import jakarta.servlet.http.HttpSessionEvent;
import jakarta.servlet.http.HttpSessionIdListener;
import jakarta.servlet.http.HttpSessionListener;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Writes down every session event it hears, as short text lines. */
final class RecordingListener implements HttpSessionListener, HttpSessionAttributeListener, HttpSessionIdListener {
    final List<String> events = new CopyOnWriteArrayList<>();
    volatile String lastDestroyedId;
    /** Runs inside {@code sessionDestroyed}, to look at the world as the listener sees it. */
    volatile Runnable onDestroyed = () -> { };

    @Override
    public void sessionCreated(HttpSessionEvent se) {
        events.add("created");
    }

    @Override
    public void sessionDestroyed(HttpSessionEvent se) {
        lastDestroyedId = se.getSession().getId();
        StringBuilder line = new StringBuilder("destroyed");
        var names = se.getSession().getAttributeNames();
        while (names.hasMoreElements()) {
            String name = names.nextElement();
            line.append(' ').append(name).append('=').append(se.getSession().getAttribute(name));
        }
        events.add(line.toString());
        onDestroyed.run();
    }

    @Override
    public void attributeAdded(HttpSessionBindingEvent event) {
        events.add("added " + event.getName() + "=" + event.getValue());
    }

    @Override
    public void attributeRemoved(HttpSessionBindingEvent event) {
        events.add("removed " + event.getName() + "=" + event.getValue());
    }

    @Override
    public void attributeReplaced(HttpSessionBindingEvent event) {
        events.add("replaced " + event.getName() + "=" + event.getValue() + " now " + event.getSession().getAttribute(event.getName()));
    }

    @Override
    public void sessionIdChanged(HttpSessionEvent event, String oldSessionId) {
        events.add("id changed " + (oldSessionId.equals(event.getSession().getId()) ? "to the same" : "to a new one"));
    }
}
