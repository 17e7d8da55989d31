package dev.cloakroom.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.spi.RecordSummary;

import java.io.IOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * How one session is shown: its hashed key (never anything a client could present), created, last written, idle
 * deadline, absolute deadline (from the configuration: the store does not keep it), size, and whether it has expired.
 */
final class SessionView {
    static final String HEADER = String.format("%-66s  %-20s  %-20s  %-20s  %-20s  %10s  %s",
            "KEY", "CREATED", "LAST WRITTEN", "IDLE DEADLINE", "ABSOLUTE DEADLINE", "BYTES", "STATE");

    private final CloakroomConfig config;
    private final Instant now;

    SessionView(CloakroomConfig config, Instant now) {
        this.config = config;
        this.now = now;
    }

    /** The absolute deadline the configuration gives a session created at {@code createdAt}, or null if there is none. */
    Instant absoluteDeadline(Instant createdAt) {
        return config.absoluteTimeout().map(createdAt::plus).orElse(null);
    }

    String row(RecordSummary session) {
        return String.format("%-66s  %-20s  %-20s  %-20s  %-20s  %10d  %s", session.key().value(), text(session.createdAt()),
                text(session.lastAccessedAt()), text(session.idleDeadline()), text(absoluteDeadline(session.createdAt())),
                session.sizeInBytes(), session.isExpiredAt(now) ? "expired" : "live");
    }

    /** The session's fields, in the object the caller has started. */
    void fields(JsonGenerator out, RecordSummary session) throws IOException {
        out.writeStringField("key", session.key().value());
        Json.time(out, "createdAt", session.createdAt());
        Json.time(out, "lastWrittenAt", session.lastAccessedAt());
        Json.time(out, "idleDeadline", session.idleDeadline());
        Json.time(out, "absoluteDeadline", absoluteDeadline(session.createdAt()));
        Json.time(out, "expiresAt", session.expiresAt());
        out.writeBooleanField("expired", session.isExpiredAt(now));
        out.writeNumberField("sizeBytes", session.sizeInBytes());
        out.writeNumberField("version", session.version());
        out.writeStringField("principal", session.principal());
    }

    static String text(Instant time) {
        return time == null ? "-" : time.truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
