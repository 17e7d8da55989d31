package dev.cloakroom.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.Session;
import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionManager;
import dev.cloakroom.file.FileSessionStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every command on a filesystem store, in this JVM with captured output. */
@Tag("unit")
class FileStoreCliTest {
    @TempDir
    Path temp;
    Path folder;
    Cli cli;
    final List<Session> live = new ArrayList<>();
    final List<Session> expired = new ArrayList<>();

    @BeforeEach
    void storeSessions() {
        folder = temp.resolve("sessions");
        cli = new Cli(Map.of("SESSION_FILE_DIR", folder.toString()));
        CloakroomConfig config = CloakroomConfig.builder().idleTimeout(Duration.ofHours(1)).build();
        try (SessionManager now = manager(config, InstantSource.system());
             SessionManager past = manager(config, InstantSource.fixed(Instant.now().minus(Duration.ofDays(2))))) {
            for (int i = 0; i < 3; i++) {
                live.add(stored(now, "visitor " + i));
            }
            for (int i = 0; i < 2; i++) {
                expired.add(stored(past, "old visitor " + i));
            }
        }
    }

    private SessionManager manager(CloakroomConfig config, InstantSource clock) {
        return SessionManager.builder(FileSessionStore.builder(folder).build()).config(config).clock(clock).sweeping(false).build();
    }

    private static Session stored(SessionManager manager, String name) {
        Session session = manager.create();
        session.setAttribute("name", name);
        manager.commit(session);
        return session;
    }

    private static List<String> keys(List<Session> sessions) {
        return sessions.stream().map(s -> s.key().value()).toList();
    }

    private void assertNoRawId(Cli.Result result) {
        for (Session session : concat(live, expired)) {
            assertThat(result.out() + result.err()).doesNotContain(session.id());
        }
    }

    private static List<Session> concat(List<Session> a, List<Session> b) {
        List<Session> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    @Test
    void countWhenSessionsAreStoredThenAllAreCountedAndTheExpiredNamed() {
        Cli.Result text = cli.run("sessions", "count");
        Cli.Result json = cli.run("sessions", "count", "--json");

        assertThat(text.code()).isZero();
        assertThat(text.out()).isEqualTo("5 session(s), 2 of them expired and not yet swept\n");
        assertThat(json.json().get("sessions").asLong()).isEqualTo(5);
        assertThat(json.json().get("expired").asLong()).isEqualTo(2);
    }

    @Test
    void listWhenJsonThenOneDocumentWithEveryHashedKeyAndNoRawId() {
        Cli.Result result = cli.run("sessions", "list", "--json");

        assertThat(result.code()).isZero();
        JsonNode sessions = result.json().get("sessions");
        assertThat(sessions).hasSize(5);
        List<String> listed = new ArrayList<>();
        sessions.forEach(s -> listed.add(s.get("key").asText()));
        assertThat(listed).containsExactlyInAnyOrderElementsOf(concat(live, expired).stream().map(s -> s.key().value()).toList());
        JsonNode first = sessions.get(0);
        assertThat(first.fieldNames()).toIterable().containsExactly("key", "createdAt", "lastWrittenAt", "idleDeadline",
                "absoluteDeadline", "expiresAt", "expired", "sizeBytes", "version", "principal");
        assertThat(first.get("sizeBytes").asLong()).isPositive();
        assertNoRawId(result);
    }

    @Test
    void listWhenTextThenARowPerSessionMarkedLiveOrExpired() {
        Cli.Result result = cli.run("sessions", "list");

        assertThat(result.code()).isZero();
        assertThat(result.out()).startsWith(SessionView.HEADER).endsWith("5 session(s)\n");
        for (String key : keys(expired)) {
            assertThat(result.out()).containsPattern(key + ".*expired");
        }
        for (String key : keys(live)) {
            assertThat(result.out()).containsPattern(key + ".*live");
        }
        assertNoRawId(result);
    }

    @Test
    void listWhenAbsoluteLifetimeConfiguredThenItsDeadlineIsShown() {
        Session session = live.get(0);
        Cli.Result result = new Cli(Map.of("SESSION_FILE_DIR", folder.toString(), "SESSION_ABSOLUTE_LIFETIME", "60"))
                .run("sessions", "list", "--json");

        JsonNode listed = find(result.json().get("sessions"), session.key());
        assertThat(Instant.parse(listed.get("absoluteDeadline").asText()))
                .isEqualTo(Instant.parse(listed.get("createdAt").asText()).plusSeconds(60));
    }

    private static JsonNode find(JsonNode sessions, SessionKey key) {
        for (JsonNode session : sessions) {
            if (session.get("key").asText().equals(key.value())) {
                return session;
            }
        }
        throw new AssertionError("not listed: " + key);
    }

    @Test
    void showWhenKeyStoredThenItsTimesSizeAndAttributes() {
        String key = live.get(1).key().value();

        Cli.Result text = cli.run("sessions", "show", key);
        Cli.Result json = cli.run("sessions", "show", key, "--json");

        assertThat(text.code()).isZero();
        assertThat(text.out()).contains("key                " + key, "state              live", "name (", "\"visitor 1\"");
        assertThat(json.json().get("attributes").get(0).get("name").asText()).isEqualTo("name");
        assertThat(json.json().get("attributes").get(0).get("json").asText()).isEqualTo("\"visitor 1\"");
        assertNoRawId(text);
    }

    @Test
    void showWhenKeyUnknownThenExitOneWithOneLine() {
        Cli.Result result = cli.run("sessions", "show", "v1" + "a".repeat(64));

        assertThat(result.code()).isEqualTo(ExitCodes.FAILED);
        assertThat(result.err()).isEqualTo("no session v1" + "a".repeat(64) + "\n");
    }

    @Test
    void showWhenGivenARawIdThenRefusedAsUsageWithoutEchoingIt() {
        String rawId = live.get(0).id();

        Cli.Result result = cli.run("sessions", "show", rawId);

        assertThat(result.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(result.err()).contains("KEY must be a hashed key").doesNotContain(rawId);
    }

    private List<Session> signedIn(String user, int count) {
        List<Session> sessions = new ArrayList<>();
        try (SessionManager manager = manager(CloakroomConfig.builder().idleTimeout(Duration.ofHours(1)).build(),
                InstantSource.system())) {
            for (int i = 0; i < count; i++) {
                Session session = manager.create();
                session.setAttribute("name", user + " " + i);
                session.setPrincipal(user);
                manager.commit(session);
                sessions.add(session);
            }
        }
        return sessions;
    }

    @Test
    void listWhenAPrincipalIsGivenThenOnlyThatUsersSessionsWithTheirPrincipal() {
        List<Session> alices = signedIn("alice@example.org", 2);
        signedIn("bob@example.org", 1);

        Cli.Result result = cli.run("sessions", "list", "--principal", "alice@example.org", "--json");

        assertThat(result.code()).isZero();
        List<String> listed = new ArrayList<>();
        result.json().get("sessions").forEach(s -> {
            listed.add(s.get("key").asText());
            assertThat(s.get("principal").asText()).isEqualTo("alice@example.org");
        });
        assertThat(listed).containsExactlyInAnyOrderElementsOf(keys(alices));
        assertThat(cli.run("sessions", "list", "--principal", "carol").out()).endsWith("0 session(s)\n");
        assertThat(cli.run("sessions", "show", alices.get(0).key().value()).out()).contains("principal          alice@example.org");
    }

    @Test
    void revokeWhenConfirmedThenEveryOneOfTheUsersSessionsIsGoneAndOthersStay() {
        List<Session> alices = signedIn("alice@example.org", 3);
        List<Session> bobs = signedIn("bob@example.org", 1);

        assertThat(cli.run("sessions", "revoke", "--principal", "alice@example.org").code()).as("no --yes off a terminal")
                .isEqualTo(ExitCodes.USAGE);
        Cli.Result result = cli.run("sessions", "revoke", "--principal", "alice@example.org", "--yes", "--json");

        assertThat(result.code()).isZero();
        assertThat(result.json().get("revoked").asInt()).isEqualTo(3);
        for (String key : keys(alices)) {
            assertThat(cli.run("sessions", "show", key).code()).isEqualTo(ExitCodes.FAILED);
        }
        assertThat(cli.run("sessions", "show", bobs.get(0).key().value()).code()).isZero();
        assertThat(cli.run("sessions", "revoke", "--principal", "alice@example.org", "--yes").out()).isEqualTo("no session of that user\n");
    }

    @Test
    void principalWhenNotAValidNameThenUsageErrorNamingWhy() {
        Cli.Result blank = cli.run("sessions", "list", "--principal", " ");
        Cli.Result control = cli.run("sessions", "revoke", "--principal", "a\u0007b", "--yes");

        assertThat(blank.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(blank.err()).contains("--principal", "blank");
        assertThat(control.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(control.err()).contains("control character");
    }

    @Test
    void deleteWhenStdinIsNotATerminalAndNoYesThenRefusedAndNothingDeleted() {
        String key = live.get(0).key().value();

        Cli.Result result = cli.run("sessions", "delete", key);

        assertThat(result.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(result.err()).contains("add --yes");
        assertThat(cli.run("sessions", "show", key).code()).isZero();
    }

    @Test
    void deleteWhenAnsweredNoAtTheTerminalThenNothingDeleted() {
        String key = live.get(0).key().value();

        Cli.Result result = cli.atTerminal("n\n").run("sessions", "delete", key);

        assertThat(result.code()).isEqualTo(ExitCodes.FAILED);
        assertThat(result.err()).contains("[y/N]", "not confirmed");
        assertThat(cli.run("sessions", "show", key).code()).isZero();
    }

    @Test
    void deleteWhenConfirmedThenGoneAndASecondDeleteIsUnknown() {
        String key = live.get(0).key().value();

        Cli.Result result = cli.atTerminal("y\n").run("sessions", "delete", key);

        assertThat(result.code()).isZero();
        assertThat(result.out()).isEqualTo("deleted session " + key + "\n");
        assertThat(new Cli(Map.of("SESSION_FILE_DIR", folder.toString())).run("sessions", "delete", key, "--yes").code())
                .isEqualTo(ExitCodes.FAILED);
    }

    @Test
    void purgeExpiredWhenYesThenOnlyTheExpiredAreDeleted() {
        Cli.Result result = cli.run("sessions", "purge", "--expired", "--yes", "--json");

        assertThat(result.code()).isZero();
        assertThat(result.json().get("deleted").asLong()).isEqualTo(2);
        Cli.Result count = cli.run("sessions", "count", "--json");
        assertThat(count.json().get("sessions").asLong()).isEqualTo(3);
        assertThat(count.json().get("expired").asLong()).isZero();
    }

    @Test
    void purgeAllWhenYesThenEverySessionIsDeleted() {
        Cli.Result result = cli.run("sessions", "purge", "--all", "--yes");

        assertThat(result.code()).isZero();
        assertThat(result.out()).isEqualTo("deleted 5 session(s)\n");
        assertThat(cli.run("sessions", "count", "--json").json().get("sessions").asLong()).isZero();
    }

    @Test
    void purgeWhenNeitherScopeGivenThenUsage() {
        Cli.Result result = cli.run("sessions", "purge", "--yes");

        assertThat(result.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(result.err().lines()).hasSize(1);
    }

    @Test
    void purgeAllWhenStdinIsNotATerminalThenRefusedAndEverySessionKept() {
        Cli.Result result = cli.run("sessions", "purge", "--all");

        assertThat(result.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(cli.run("sessions", "count", "--json").json().get("sessions").asLong()).isEqualTo(5);
    }

    @Test
    void sweepWhenExpiredSessionsStoredThenTheyAreSweptWithoutAsking() {
        Cli.Result result = cli.run("sessions", "sweep", "--json");

        assertThat(result.code()).isZero();
        assertThat(result.json().get("swept").asLong()).isEqualTo(2);
        assertThat(result.json().get("skipped").asBoolean()).isFalse();
    }

    @Test
    void statsWhenJsonThenCountsSizesAndTimes() {
        Cli.Result result = cli.run("sessions", "stats", "--json");

        assertThat(result.code()).isZero();
        JsonNode stats = result.json();
        assertThat(stats.get("sessions").asLong()).isEqualTo(5);
        assertThat(stats.get("live").asLong()).isEqualTo(3);
        assertThat(stats.get("expired").asLong()).isEqualTo(2);
        assertThat(stats.get("totalBytes").asLong()).isGreaterThanOrEqualTo(stats.get("largestBytes").asLong()).isPositive();
        assertThat(Instant.parse(stats.get("nextExpiryAt").asText())).isAfter(Instant.now());
    }

    @Test
    void doctorWhenTheFolderIsPrivateThenEveryCheckPasses() {
        Cli.Result result = cli.run("doctor", "--json");

        assertThat(result.code()).as(result.out()).isZero();
        assertThat(result.json().get("ok").asBoolean()).isTrue();
        List<String> names = new ArrayList<>();
        result.json().get("checks").forEach(check -> names.add(check.get("name").asText()));
        assertThat(names).contains("folder", "owner", "folder permissions", "file permissions", "reachable");
    }

    @Test
    void doctorWhenTheFolderAndAFileAreOpenToOthersThenItFailsNamingTheFix() throws IOException {
        Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwxr-xr-x"));
        String key = live.get(0).key().value();
        Path file = folder.resolve(key.substring(2, 4)).resolve(key);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));

        Cli.Result result = cli.run("doctor");

        assertThat(result.code()).isEqualTo(ExitCodes.FAILED);
        assertThat(result.out()).contains("FAIL  folder permissions", "chmod 700 " + folder, "FAIL  file permissions", file.toString());
    }

    @Test
    void doctorWhenTheFolderIsMissingThenItFailsAndDoesNotCreateIt() {
        Path missing = temp.resolve("nowhere");

        Cli.Result result = new Cli(Map.of("SESSION_FILE_DIR", missing.toString())).run("doctor");

        assertThat(result.code()).isEqualTo(ExitCodes.FAILED);
        assertThat(result.out()).contains("does not exist", "mkdir -m 700");
        assertThat(missing).doesNotExist();
    }

    @Test
    void anyCommandWhenASettingIsBadThenExitTwoNamingIt() {
        Cli.Result result = new Cli(Map.of("SESSION_FILE_DIR", folder.toString(), "PERMANENT_SESSION_LIFETIME", "soon"))
                .run("sessions", "count");

        assertThat(result.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(result.err()).startsWith("bad setting: PERMANENT_SESSION_LIFETIME").contains("'soon'");
        assertThat(result.err().lines()).hasSize(1);
    }

    @Test
    void anyCommandWhenTheStoreIsUnreachableThenExitThreeWithOneLineAndNoStackTrace() {
        Cli.Result result = new Cli(Map.of("SESSION_TYPE", "redis", "SESSION_REDIS", "redis://127.0.0.1:1",
                "SESSION_STORE_TIMEOUT_MS", "300")).run("sessions", "list");

        assertThat(result.code()).isEqualTo(ExitCodes.UNAVAILABLE);
        assertThat(result.err()).startsWith("store unavailable: ");
        assertThat(result.err().lines()).hasSize(1);
    }

    @Test
    void setWhenItHasNoEqualsSignThenUsage() {
        Cli.Result result = cli.run("sessions", "count", "--set", "SESSION_TYPE");

        assertThat(result.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(result.err()).contains("--set takes KEY=VALUE");
    }
}
