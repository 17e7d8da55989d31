package dev.cloakroom.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;

/**
 * Where the command talks: its output, its error stream, its input, and whether a person is at a terminal
 * ({@code System.console() != null}: stdin and stdout both a terminal), which confirmations and progress bars need.
 */
record Terminal(PrintWriter out, PrintWriter err, BufferedReader in, boolean interactive) {

    /**
     * Asks {@code question} and reads y/N; without a terminal, refuses unless {@code --yes} was given.
     *
     * @throws CliException when refused or not confirmed
     */
    void confirm(boolean yes, String question) {
        if (yes) {
            return;
        }
        if (!interactive) {
            throw new CliException(ExitCodes.USAGE, "refusing to go on without confirmation: stdin is not a terminal; add --yes");
        }
        err.print(question + " [y/N] ");
        err.flush();
        String answer;
        try {
            answer = in.readLine();
        } catch (IOException e) {
            throw new CliException(ExitCodes.FAILED, "could not read the answer: " + e.getMessage(), e);
        }
        if (answer == null || !(answer.trim().equalsIgnoreCase("y") || answer.trim().equalsIgnoreCase("yes"))) {
            throw new CliException(ExitCodes.FAILED, "not confirmed; nothing changed");
        }
    }

    /** A progress line on stderr for {@code total} steps (0 when unknown), drawn only at a terminal. */
    Progress progress(String label, long total) {
        return new Progress(interactive ? err : null, label, total);
    }
}
