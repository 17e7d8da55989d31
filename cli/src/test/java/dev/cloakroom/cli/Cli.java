package dev.cloakroom.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Runs the command in this JVM with captured streams and only the given settings (no environment). */
final class Cli {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, String> settings;
    private boolean interactive;
    private String input = "";

    Cli(Map<String, String> settings) {
        this.settings = settings;
    }

    /** As if at a terminal, typing {@code typed}. */
    Cli atTerminal(String typed) {
        this.interactive = true;
        this.input = typed;
        return this;
    }

    Result run(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        settings.forEach((name, value) -> all.add("--set=" + name + "=" + value));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Terminal terminal = new Terminal(new PrintWriter(out, true), new PrintWriter(err, true),
                new BufferedReader(new StringReader(input)), interactive);
        int code = Main.run(all.toArray(String[]::new), terminal, name -> null);
        return new Result(code, out.toString(), err.toString());
    }

    record Result(int code, String out, String err) {
        JsonNode json() {
            try {
                return JSON.readTree(out);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
