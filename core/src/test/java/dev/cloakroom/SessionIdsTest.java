package dev.cloakroom;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class SessionIdsTest {
    private final SessionIds ids = new SessionIds();

    @Test
    void issuedIdsAre43UrlSafeCharactersAndWellFormed() {
        for (int i = 0; i < 1000; i++) {
            String id = ids.next();
            assertThat(id).hasSize(43).matches("[A-Za-z0-9_-]{43}");
            assertThat(SessionIds.isWellFormed(id)).as(id).isTrue();
        }
    }

    @Test
    void issuedIdsDoNotRepeat() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            assertThat(seen.add(ids.next())).isTrue();
        }
    }

    @Test
    void wellFormedWhenClientChosenOrMangledThenRejected() {
        String good = ids.next();
        assertThat(SessionIds.isWellFormed(null)).isFalse();
        assertThat(SessionIds.isWellFormed("")).isFalse();
        assertThat(SessionIds.isWellFormed("../../etc/passwd")).isFalse();
        assertThat(SessionIds.isWellFormed("f44482e5-de8e-4d4d-a1c9-dcf08277957f")).isFalse();
        assertThat(SessionIds.isWellFormed(good + "A")).isFalse();
        assertThat(SessionIds.isWellFormed(good.substring(1))).isFalse();
        assertThat(SessionIds.isWellFormed(good.substring(0, 42) + "=")).isFalse();
        assertThat(SessionIds.isWellFormed(good.substring(0, 20) + "/" + good.substring(21))).isFalse();
        assertThat(SessionIds.isWellFormed(good.substring(0, 20) + "é" + good.substring(21))).isFalse();
    }

    @Test
    void wellFormedWhenLastCharacterCarriesBitsBeyond256ThenRejected() {
        // 43 base64 characters hold 258 bits; the last two must be zero, so "B" (000001) can never end an issued id
        String good = ids.next();
        assertThat(SessionIds.isWellFormed(good.substring(0, 42) + "B")).isFalse();
        assertThat(SessionIds.isWellFormed(good.substring(0, 42) + "E")).isTrue();
    }
}
