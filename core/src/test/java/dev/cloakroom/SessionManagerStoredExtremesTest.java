package dev.cloakroom;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloakroom.memory.MemorySessionStore;
import dev.cloakroom.spi.SessionWrite;
import dev.cloakroom.spi.WriteResult;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Whatever instants and durations a store hands back (a damaged file, a row written by another tool), deadline and
 * touch computations neither overflow nor fail the request: a deadline beyond {@link Instant}'s range saturates. Text
 * the codec would never write makes the record unreadable, not the session stuck.
 */
@Tag("unit")
class SessionManagerStoredExtremesTest {
    private static final Duration ABSOLUTE = Duration.ofHours(1);

    private final MutableClock clock = new MutableClock();
    private final MemorySessionStore store = new MemorySessionStore();
    private final SessionManager manager = SessionManager.builder(store)
            .config(CloakroomConfig.builder().absoluteTimeout(ABSOLUTE).build()).clock(clock).sweeping(false).build();
    private final SessionManager withoutAbsolute = SessionManager.builder(store).clock(clock).sweeping(false).build();

    @AfterEach
    void close() {
        manager.close();
        withoutAbsolute.close();
    }

    @Test
    void findWhenStoredIdleIntervalIsTheLongestDurationThenServedAndCommitWritesWithoutOverflow() {
        Instant now = clock.instant();
        String id = stored(now, now, Duration.ofSeconds(Long.MAX_VALUE, 999_999_999), now.plus(Duration.ofMinutes(10)));

        Session session = manager.find(id).orElseThrow();
        assertThat(session.expiresAt()).as("the absolute deadline is the earlier one").isEqualTo(now.plus(ABSOLUTE));
        clock.advance(Duration.ofMinutes(1));
        assertThat(manager.commit(session)).as("a read-only request").isEqualTo(CommitOutcome.UNCHANGED);

        Session changing = manager.find(id).orElseThrow();
        changing.setAttribute("b", 2);
        assertThat(manager.commit(changing)).isEqualTo(CommitOutcome.SAVED);
        assertThat(store.load(SessionKey.of(id)).orElseThrow().expiresAt()).isEqualTo(now.plus(ABSOLUTE));
    }

    @Test
    void findWhenStoredIdleIntervalIsTheLongestDurationAndNoAbsoluteLifetimeThenTheDeadlineSaturates() {
        Instant now = clock.instant();
        String id = stored(now, now, Duration.ofSeconds(Long.MAX_VALUE), now.plus(Duration.ofMinutes(10)));

        Session session = withoutAbsolute.find(id).orElseThrow();

        assertThat(session.expiresAt()).isEqualTo(Instant.MAX);
        session.setAttribute("b", 2);
        assertThat(withoutAbsolute.commit(session)).isEqualTo(CommitOutcome.SAVED);
    }

    @Test
    void findWhenStoredCreationIsAtTheEndOfTimeThenTheAbsoluteDeadlineSaturatesAndTheIdleOneHolds() {
        Instant now = clock.instant();
        String id = stored(Instant.MAX, now, Duration.ofMinutes(30), now.plus(Duration.ofMinutes(10)));

        Session session = manager.find(id).orElseThrow();

        assertThat(session.expiresAt()).isEqualTo(now.plus(Duration.ofMinutes(30)));
    }

    @Test
    void findWhenStoredCreationIsAtTheStartOfTimeThenExpiredByTheAbsoluteLifetime() {
        Instant now = clock.instant();
        String id = stored(Instant.MIN, now, Duration.ofMinutes(30), now.plus(Duration.ofMinutes(10)));

        assertThat(manager.find(id)).isEmpty();
    }

    @Test
    void findWhenStoredIdleIntervalIsTheMostNegativeDurationThenExpired() {
        Instant now = clock.instant();
        String id = stored(now, Instant.MIN.plusSeconds(1), Duration.ofSeconds(Long.MIN_VALUE), now.plus(Duration.ofMinutes(10)));

        assertThat(manager.find(id)).isEmpty();
        assertThat(withoutAbsolute.find(id)).isEmpty();
    }

    @Test
    void findWhenStoredLastAccessIsAtTheEndOfTimeThenTheIdleDeadlineSaturates() {
        Instant now = clock.instant();
        String id = stored(now, Instant.MAX, Duration.ofMinutes(30), now.plus(Duration.ofMinutes(10)));

        assertThat(withoutAbsolute.find(id).map(Session::expiresAt)).isEqualTo(Optional.of(Instant.MAX));
    }

    @Test
    void findWhenAStoredValueHoldsWhatEncodingRefusesThenTheRecordIsDroppedRatherThanEveryCommitRefused() {
        // found by SessionCodecFuzzTest: once read, such a value could never be written again, and each commit said 422
        Instant now = clock.instant();
        for (String value : List.of("\"\\ud800\"", "{\"\\udc00\":1}", "[".repeat(66) + "]".repeat(66))) {
            String id = stored(Map.of("a", value), now, now, Duration.ofMinutes(30), now.plus(Duration.ofMinutes(30)));

            assertThat(manager.find(id)).as(value).isEmpty();
            assertThat(store.load(SessionKey.of(id))).as("the unreadable record is removed").isEmpty();
        }
    }

    private String stored(Instant createdAt, Instant lastAccessedAt, Duration maxInactiveInterval, Instant expiresAt) {
        return stored(Map.of("a", "1"), createdAt, lastAccessedAt, maxInactiveInterval, expiresAt);
    }

    private String stored(Map<String, String> attributes, Instant createdAt, Instant lastAccessedAt, Duration maxInactiveInterval,
            Instant expiresAt) {
        String id = new SessionIds().next();
        WriteResult result = store.write(new SessionWrite(SessionKey.of(id), true, attributes, Set.of(), createdAt,
                lastAccessedAt, maxInactiveInterval, expiresAt, SessionWrite.ANY_VERSION, clock.instant(), SessionWrite.NO_SIZE_LIMIT));
        assertThat(result).isEqualTo(WriteResult.WRITTEN);
        return id;
    }
}
