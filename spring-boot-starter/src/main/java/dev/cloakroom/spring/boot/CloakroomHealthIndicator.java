package dev.cloakroom.spring.boot;

import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionStoreException;
import dev.cloakroom.spi.SessionStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * UP when the store answers one load, DOWN with the store's message when it fails. The load goes to the store itself,
 * not through the manager's circuit breaker, so that the answer is the store's present state; each store bounds a
 * load by its timeout, so a check never waits longer than that.
 */
final class CloakroomHealthIndicator extends AbstractHealthIndicator {
    private static final Logger LOG = LoggerFactory.getLogger(CloakroomHealthIndicator.class);
    /** Well formed, and the SHA-256 of no id anyone will present: the load reads nothing and changes nothing. */
    static final SessionKey PROBE = new SessionKey("v1" + "0".repeat(64));

    private final SessionStore store;

    CloakroomHealthIndicator(SessionStore store) {
        super("Cloakroom's session store health check failed");
        this.store = store;
    }

    @Override
    protected void doHealthCheck(Health.Builder health) {
        health.withDetail("store", store.describe());
        try {
            store.load(PROBE);
            health.up();
        } catch (SessionStoreException e) {
            // An outage is expected news here: one line, not the stack trace Boot would log on every poll.
            LOG.warn("session store health check: {}", e.getMessage());
            health.down().withDetail("error", e.getMessage());
        }
    }
}
