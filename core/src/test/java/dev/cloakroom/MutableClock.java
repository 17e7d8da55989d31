package dev.cloakroom;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;

/** A clock for core's tests that stands still until moved (core's tests cannot use the testkit's TestClock). */
public final class MutableClock implements InstantSource {
    private volatile Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);

    @Override
    public Instant instant() {
        return now;
    }

    public synchronized void advance(Duration step) {
        now = now.plus(step);
    }
}
