package dev.cloakroom.file;

import dev.cloakroom.MutableClock;
import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionLimitExceededException;
import dev.cloakroom.spi.RecordSummary;
import dev.cloakroom.spi.SessionWrite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The filesystem store's principal index on disk: hashed names, permissions, and stale markers left by a crash. */
@Tag("unit")
class FilePrincipalIndexTest {
    private static final Duration IDLE = Duration.ofMinutes(30);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String USER = "alice@example.org";

    @TempDir
    Path temp;

    private final MutableClock clock = new MutableClock();
    private FileSessionStore store;
    private Path folder;

    @BeforeEach
    void open() {
        folder = temp.resolve("sessions");
        store = FileSessionStore.builder(folder).build();
    }

    @AfterEach
    void close() {
        store.close();
    }

    private static SessionKey randomKey() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return new SessionKey("v1" + HexFormat.of().formatHex(bytes));
    }

    private SessionWrite createFor(SessionKey key, String principal) {
        Instant now = clock.instant();
        return new SessionWrite(key, true, Map.of("a", "1"), Set.of(), now, now, IDLE, now.plus(IDLE),
                SessionWrite.ANY_VERSION, now, SessionWrite.NO_SIZE_LIMIT, principal != null, principal);
    }

    private Path principalFolder(String principal) {
        return folder.resolve(PrincipalIndex.DIR).resolve(PrincipalIndex.digest(principal));
    }

    private List<String> pathsUnder(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            return paths.map(p -> root.relativize(p).toString()).toList();
        }
    }

    /** A marker as a crash would leave it: present, its time already past, its record not saying what it says. */
    private Path staleMarker(String principal, SessionKey key) throws IOException {
        Path marker = principalFolder(principal).resolve(key.value());
        Files.createDirectories(marker.getParent());
        Files.createFile(marker);
        Files.setLastModifiedTime(marker, FileTime.from(clock.instant().minusSeconds(1)));
        return marker;
    }

    // Proves docs/persistence.md#file-principal-index
    @Test
    void signedInRecordWhenStoredThenOneMarkerUnderTheNameDigestPrivateAndTheNameInNoPath() throws IOException {
        SessionKey key = randomKey();
        store.write(createFor(key, USER));

        Path marker = principalFolder(USER).resolve(key.value());
        assertThat(marker).isRegularFile();
        assertThat(Files.size(marker)).isZero();
        assertThat(Files.getLastModifiedTime(marker).toInstant()).isEqualTo(clock.instant().plus(IDLE));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(marker, LinkOption.NOFOLLOW_LINKS))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(marker.getParent(), LinkOption.NOFOLLOW_LINKS))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(marker.getParent().getParent(), LinkOption.NOFOLLOW_LINKS))).isEqualTo("rwx------");
        assertThat(pathsUnder(folder)).noneMatch(path -> path.contains("alice"));
    }

    @Test
    void touchWhenWrittenThenTheMarkerTimeFollowsTheRecordsExpiry() throws IOException {
        SessionKey key = randomKey();
        store.write(createFor(key, USER));
        clock.advance(Duration.ofMinutes(10));
        Instant now = clock.instant();

        store.write(new SessionWrite(key, false, Map.of(), Set.of(), now, now, IDLE, now.plus(IDLE), SessionWrite.ANY_VERSION,
                now, SessionWrite.NO_SIZE_LIMIT));

        assertThat(Files.getLastModifiedTime(principalFolder(USER).resolve(key.value())).toInstant()).isEqualTo(now.plus(IDLE));
    }

    // Proves docs/persistence.md#file-principal-stale
    @Test
    void staleMarkerWhenItsRecordIsMissingOrNamesAnotherUserThenNeverReturnedAndRemovedByTheLookup() throws IOException {
        SessionKey live = randomKey();
        store.write(createFor(live, USER));
        SessionKey missing = randomKey();
        Path toMissing = staleMarker(USER, missing);
        SessionKey foreign = randomKey();
        store.write(createFor(foreign, "bob"));
        Path toForeign = staleMarker(USER, foreign);
        SessionKey anonymous = randomKey();
        store.write(createFor(anonymous, null));
        Path toAnonymous = staleMarker(USER, anonymous);

        assertThat(store.findByPrincipal(USER, 10)).extracting(RecordSummary::key).containsExactly(live);

        assertThat(toMissing).doesNotExist();
        assertThat(toForeign).doesNotExist();
        assertThat(toAnonymous).doesNotExist();
        assertThat(store.load(foreign).orElseThrow().principal()).isEqualTo("bob");
        assertThat(store.findByPrincipal("bob", 10)).extracting(RecordSummary::key).containsExactly(foreign);
    }

    // Proves docs/persistence.md#file-principal-stale
    @Test
    void staleMarkerWhenOnlyItIsLeftThenTheSweepRemovesItAndThePrincipalFolder() throws IOException {
        staleMarker(USER, randomKey());
        SessionKey foreign = randomKey();
        store.write(createFor(foreign, "bob"));
        staleMarker(USER, foreign);

        assertThat(store.sweep(clock.instant(), 100, record -> { })).isZero();

        assertThat(principalFolder(USER)).doesNotExist();
        assertThat(store.load(foreign)).isPresent();
        assertThat(principalFolder("bob").resolve(foreign.value())).exists();
    }

    @Test
    void sweepWhenAMarkersTimeIsPastButItsRecordLivesThenTheMarkerStaysWithTheRecordsTime() throws IOException {
        SessionKey key = randomKey();
        store.write(createFor(key, USER));
        Path marker = principalFolder(USER).resolve(key.value());
        Files.setLastModifiedTime(marker, FileTime.from(clock.instant().minusSeconds(1)));

        store.sweep(clock.instant(), 100, record -> { });

        assertThat(Files.getLastModifiedTime(marker).toInstant()).isEqualTo(clock.instant().plus(IDLE));
        assertThat(store.findByPrincipal(USER, 10)).hasSize(1);
    }

    @Test
    void unreadableRecordWhenItsMarkerRemainsThenTheLookupReturnsNothingAndCleansIt() throws IOException {
        SessionKey key = randomKey();
        store.write(createFor(key, USER));
        Files.writeString(store.fileOf(key), "{not json");

        assertThat(store.findByPrincipal(USER, 10)).isEmpty();
        assertThat(principalFolder(USER)).doesNotExist();
    }

    @Test
    void createWhenTheStoreIsFullThenNoMarkerIsLeft() throws IOException {
        store.close();
        store = FileSessionStore.builder(folder).maxSessions(1).build();
        store.write(createFor(randomKey(), "bob"));

        assertThatThrownBy(() -> store.write(createFor(randomKey(), USER))).isInstanceOf(SessionLimitExceededException.class);

        assertThat(principalFolder(USER)).doesNotExist();
    }

    @Test
    void recordWrittenBeforePrincipalsWhenReadThenItHasNone() throws IOException {
        SessionKey key = randomKey();
        store.write(createFor(key, null));
        String text = Files.readString(store.fileOf(key));

        assertThat(text).doesNotContain("principal");
        assertThat(store.load(key).orElseThrow().principal()).isNull();
    }
}
