package dev.cloakroom.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The options every command takes. */
final class GlobalOptions {
    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "A setting, as the environment would give it (repeatable; wins over the environment and -D).")
    List<String> sets = new ArrayList<>();

    @Option(names = "--json", description = "One JSON document on stdout, with stable field names, for scripts.")
    boolean json;

    @Option(names = {"-y", "--yes"}, description = "Do not ask before deleting (needed when stdin is not a terminal).")
    boolean yes;

    @Option(names = {"-v", "--verbose"}, description = "Show the store's log and the stack trace of an error.")
    boolean verbose;
}
