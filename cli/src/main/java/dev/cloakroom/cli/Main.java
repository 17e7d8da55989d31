package dev.cloakroom.cli;

import dev.cloakroom.SessionStoreException;
import dev.cloakroom.SessionStoreUnavailableException;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code cloakroom}: the operator's tool for any Cloakroom store. Every error ends the process with a non-zero code
 * ({@link ExitCodes}) and one line on stderr; a stack trace only with {@code --verbose}.
 */
@Command(name = "cloakroom", mixinStandardHelpOptions = true, version = "cloakroom 0.1.0",
        description = "Inspect and clean a Cloakroom session store, configured as the application is "
                + "(environment, -D, or --set KEY=VALUE after the command).")
public final class Main implements Callable<Integer> {
    /** The store's own log: quiet unless --verbose, so that the command's output is all that shows. */
    private static final String LOG_LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";

    private Main() {
    }

    public static void main(String[] args) {
        boolean verbose = Arrays.asList(args).contains("--verbose") || Arrays.asList(args).contains("-v");
        System.setProperty(LOG_LEVEL, verbose ? "debug" : "error");
        System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
        PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        Function<String, String> environment = name -> {
            String property = System.getProperty(name);
            return property != null ? property : System.getenv(name);
        };
        int code = run(args, new Terminal(out, err, in, System.console() != null), environment);
        out.flush();
        err.flush();
        System.exit(code);
    }

    /** Runs one command line; returns the exit code. */
    static int run(String[] args, Terminal terminal, Function<String, String> environment) {
        Context context = new Context(terminal, environment);
        CommandLine commandLine = new CommandLine(new Main())
                .addSubcommand(new CommandLine(new SessionsCommand(context)))
                .addSubcommand(new CommandLine(new DoctorCommand(context)));
        boolean verbose = Arrays.asList(args).contains("--verbose") || Arrays.asList(args).contains("-v");
        commandLine.setOut(terminal.out());
        commandLine.setErr(terminal.err());
        commandLine.setParameterExceptionHandler((e, arguments) -> {
            terminal.err().println(e.getMessage() + " (see: cloakroom " + String.join(" ", commandPath(e.getCommandLine())) + " --help)");
            return ExitCodes.USAGE;
        });
        commandLine.setExecutionExceptionHandler((e, line, parsed) -> {
            if (verbose) {
                e.printStackTrace(terminal.err());
            }
            terminal.err().println(message(e));
            return exitCode(e);
        });
        int code = commandLine.execute(args);
        terminal.out().flush();
        terminal.err().flush();
        return code;
    }

    @Spec
    private CommandSpec spec;

    /** {@code cloakroom} alone: the usage, as a mistake. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.USAGE;
    }

    private static String[] commandPath(CommandLine line) {
        return line.getCommandSpec().qualifiedName(" ").replaceFirst("^cloakroom ?", "").split(" ");
    }

    static int exitCode(Exception e) {
        if (e instanceof CliException cli) {
            return cli.exitCode();
        }
        if (e instanceof SessionStoreUnavailableException) {
            return ExitCodes.UNAVAILABLE;
        }
        return ExitCodes.FAILED;
    }

    static String message(Exception e) {
        String text = DoctorCommand.firstLine(e.getMessage());
        if (e instanceof CliException) {
            return text;
        }
        if (e instanceof SessionStoreUnavailableException) {
            return "store unavailable: " + text;
        }
        if (e instanceof SessionStoreException) {
            return "store error: " + text;
        }
        if (e instanceof IllegalStateException) {
            return "store not ready: " + text + " (cloakroom doctor says what to fix)";
        }
        return "error: " + e.getClass().getSimpleName() + ": " + text + " (--verbose shows where)";
    }
}
