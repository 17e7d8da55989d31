package dev.cloakroom.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.Session;
import dev.cloakroom.SessionManager;
import dev.cloakroom.SessionMetrics;
import dev.cloakroom.file.FileSessionStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The manager's reports land in the documented meters, with the documented tags. */
@Tag("unit")
class MicrometerSessionMetricsTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final MicrometerSessionMetrics metrics = new MicrometerSessionMetrics(registry);

    private double count(String name, String... tags) {
        return registry.get(name).tags(tags).counter().count();
    }

    @Test
    void constructedWhenNothingHappenedThenEveryMeterRegisteredAtZero() {
        assertThat(count(MicrometerSessionMetrics.STARTED)).isZero();
        assertThat(count(MicrometerSessionMetrics.IDS_REJECTED, "reason", "bad-signature")).isZero();
        assertThat(count(MicrometerSessionMetrics.STORE_ERRORS, "operation", "sweep-lease", "kind", "circuit-open")).isZero();
        assertThat(registry.get(MicrometerSessionMetrics.STORE_CALLS).tag("operation", "move").timer().count()).isZero();
        // 9 counters, 3 reasons, 8 operations timed, 8 operations x 3 kinds of error
        assertThat(registry.getMeters()).hasSize(9 + 3 + 8 + 24);
    }

    @Test
    void managerWhenSessionCreatedLoadedSavedAndRejectedThenCountedUnderDocumentedNames(@TempDir Path dir) {
        try (SessionManager manager = SessionManager.builder(FileSessionStore.builder(dir).build())
                .config(CloakroomConfig.builder().build()).sweeping(false).metrics(metrics).build()) {
            Session session = manager.create();
            session.setAttribute("user", "ada");
            manager.commit(session);
            Session found = manager.find(session.id()).orElseThrow();
            found.setAttribute("user", "grace");
            manager.commit(found);
            manager.find("not-an-id");
            manager.find(manager.create().id());
            found.invalidate();
        }
        assertThat(count(MicrometerSessionMetrics.STARTED)).isEqualTo(1);
        assertThat(count(MicrometerSessionMetrics.LOADED)).isEqualTo(1);
        assertThat(count(MicrometerSessionMetrics.SAVED)).isEqualTo(1);
        assertThat(count(MicrometerSessionMetrics.INVALIDATED)).isEqualTo(1);
        assertThat(count(MicrometerSessionMetrics.IDS_REJECTED, "reason", "malformed")).isEqualTo(1);
        assertThat(count(MicrometerSessionMetrics.IDS_REJECTED, "reason", "unknown")).isEqualTo(1);
        assertThat(registry.get(MicrometerSessionMetrics.STORE_CALLS).tag("operation", "write").timer().count()).isEqualTo(2);
        assertThat(registry.get(MicrometerSessionMetrics.STORE_CALLS).tag("operation", "load").timer().count()).isEqualTo(2);
        assertThat(registry.get(MicrometerSessionMetrics.STORE_CALLS).tag("operation", "delete").timer().count()).isEqualTo(1);
    }

    @Test
    void storeErrorAndCallWhenReportedThenTaggedByOperationAndKind() {
        metrics.storeError(SessionMetrics.StoreOperation.WRITE, SessionMetrics.StoreError.CIRCUIT_OPEN);
        metrics.storeCall(SessionMetrics.StoreOperation.SWEEP, Duration.ofMillis(40));
        metrics.idRejected(SessionMetrics.RejectedId.BAD_SIGNATURE);
        metrics.sessionExpired();
        metrics.updateConflict();

        assertThat(count(MicrometerSessionMetrics.STORE_ERRORS, "operation", "write", "kind", "circuit-open")).isEqualTo(1);
        assertThat(count(MicrometerSessionMetrics.STORE_ERRORS, "operation", "write", "kind", "unavailable")).isZero();
        assertThat(registry.get(MicrometerSessionMetrics.STORE_CALLS).tag("operation", "sweep").timer()
                .totalTime(TimeUnit.MILLISECONDS)).isEqualTo(40);
        assertThat(count(MicrometerSessionMetrics.IDS_REJECTED, "reason", "bad-signature")).isEqualTo(1);
        assertThat(count(MicrometerSessionMetrics.EXPIRED)).isEqualTo(1);
        assertThat(count(MicrometerSessionMetrics.UPDATE_CONFLICTS)).isEqualTo(1);
    }
}
