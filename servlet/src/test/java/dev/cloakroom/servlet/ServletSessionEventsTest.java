package dev.cloakroom.servlet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionListener.Reason;
import jakarta.servlet.http.HttpSession;
import jakarta.servlet.http.HttpSessionEvent;
import jakarta.servlet.http.HttpSessionListener;
import java.util.ArrayList;
import java.util.EventListener;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class ServletSessionEventsTest {
    private final SessionKey key = SessionKey.of("A".repeat(43));

    @Test
    void addWhenNotASessionListenerThenRejected() {
        assertThatThrownBy(() -> new ServletSessionEvents().add(new EventListener() { }))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("HttpSessionListener");
    }

    @Test
    void sessionDestroyedWhenExpiredThenListenerSeesReadOnlyAttributesUnderTheHashedKey() {
        List<HttpSession> seen = new ArrayList<>();
        ServletSessionEvents events = new ServletSessionEvents().add(new HttpSessionListener() {
            @Override
            public void sessionDestroyed(HttpSessionEvent se) {
                seen.add(se.getSession());
            }
        });

        events.sessionDestroyed(key, Map.of("cart", List.of("apple")), Reason.EXPIRED);

        assertThat(seen).hasSize(1);
        HttpSession ended = seen.get(0);
        assertThat(ended.getId()).isEqualTo(key.value());
        assertThat(ended.getAttribute("cart")).isEqualTo(List.of("apple"));
        assertThat(ended.isNew()).isFalse();
        assertThatThrownBy(() -> ended.setAttribute("cart", "x")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> ended.removeAttribute("cart")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(ended::invalidate).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(ended::getCreationTime).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void sessionDestroyedWhenInvalidatedThenLeftToTheFilter() {
        List<HttpSession> seen = new ArrayList<>();
        ServletSessionEvents events = new ServletSessionEvents().add(new HttpSessionListener() {
            @Override
            public void sessionDestroyed(HttpSessionEvent se) {
                seen.add(se.getSession());
            }
        });

        events.sessionDestroyed(key, Map.of("a", 1), Reason.INVALIDATED);

        assertThat(seen).isEmpty();
    }

    @Test
    void listenerWhenItThrowsThenOthersStillTold() {
        List<String> told = new ArrayList<>();
        ServletSessionEvents events = new ServletSessionEvents()
                .add(new HttpSessionListener() {
                    @Override
                    public void sessionDestroyed(HttpSessionEvent se) {
                        throw new IllegalStateException("listener bug on purpose");
                    }
                })
                .add(new HttpSessionListener() {
                    @Override
                    public void sessionDestroyed(HttpSessionEvent se) {
                        told.add("second");
                    }
                });

        events.sessionDestroyed(key, Map.of(), Reason.EXPIRED);

        assertThat(told).containsExactly("second");
    }
}
