package dev.cloakroom.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloakroom.Session;
import dev.cloakroom.SessionManager;
import dev.cloakroom.file.FileSessionStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The packaged jar, run through {@code bin/cloakroom} as an operator would (after {@code package}). */
@Tag("unit")
class BuiltJarIT {
    private static final Path LAUNCHER = Path.of("..", "bin", "cloakroom").toAbsolutePath().normalize();
    private static final Path JAR = Path.of("target", "cloakroom-cli.jar").toAbsolutePath();

    @TempDir
    Path folder;

    private record Run(int code, String out, String err) {
    }

    private Run run(String... args) throws IOException, InterruptedException {
        Assumptions.assumeTrue(Files.exists(JAR), "the jar is built in the package phase");
        List<String> command = new ArrayList<>(List.of("sh", LAUNCHER.toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.PIPE).start();
        process.getOutputStream().close(); // stdin is not a terminal, and empty
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(process.exitValue(), out, err);
    }

    @Test
    void countWhenRunFromTheLauncherThenItAnswersOnStdout() throws Exception {
        Run run = run("sessions", "count", "--json", "--set", "SESSION_FILE_DIR=" + folder.resolve("s"));

        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out()).isEqualTo("{\"sessions\":0,\"expired\":0}\n");
        assertThat(run.err()).isEmpty();
    }

    @Test
    void purgeWhenStdinIsNotATerminalThenRefusedWithOneLineAndTheSessionKept() throws Exception {
        Path sessions = folder.resolve("s");
        try (SessionManager manager = SessionManager.builder(FileSessionStore.builder(sessions).build()).sweeping(false).build()) {
            Session session = manager.create();
            session.setAttribute("name", "visitor");
            manager.commit(session);
        }

        Run run = run("sessions", "purge", "--all", "--set", "SESSION_FILE_DIR=" + sessions);

        assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err().lines()).containsExactly("refusing to go on without confirmation: stdin is not a terminal; add --yes");
        assertThat(run("sessions", "count", "--set", "SESSION_FILE_DIR=" + sessions).out()).startsWith("1 session(s)");
    }

    @Test
    void countWhenASettingIsBadThenExitTwoWithOneLineNamingIt() throws Exception {
        Run run = run("sessions", "count", "--set", "PERMANENT_SESSION_LIFETIME=-1");

        assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err().lines()).singleElement().asString().startsWith("bad setting: PERMANENT_SESSION_LIFETIME");
    }

    @Test
    void doctorWhenRunFromTheLauncherThenItExitsZeroOnAPrivateFolder() throws Exception {
        run("sessions", "count", "--set", "SESSION_FILE_DIR=" + folder.resolve("s"));

        Run run = run("doctor", "--set", "SESSION_FILE_DIR=" + folder.resolve("s"));

        assertThat(run.code()).as(run.out()).isZero();
        assertThat(run.out()).contains("ok    folder permissions: 0700");
    }
}
