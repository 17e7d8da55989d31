package dev.cloakroom.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * docs/persistence.md cannot drift from the tests: every {@code Test: Class.method} line it holds names a test method
 * that exists and carries {@code // Proves docs/persistence.md#<anchor>} for the section the line stands in, and every
 * such comment in the tests names a section the document has.
 */
@Tag("unit")
class PersistenceDocTest {
    private static final String DOC = "docs/persistence.md";
    private static final Pattern ANCHOR = Pattern.compile("<a id=\"([a-z0-9-]+)\"></a>");
    private static final Pattern REFERENCE = Pattern.compile("^\\s*Test: (\\w+)\\.(\\w+)\\s*$");
    private static final Pattern PROVES = Pattern.compile("\\s*// Proves " + Pattern.quote(DOC) + "#([a-z0-9-]+)\\s*");
    /** Lines that may stand between a test method and the comments above it: annotations and line comments. */
    private static final Pattern ABOVE_METHOD = Pattern.compile("\\s*(@|//).*");

    @Test
    void docWhenReadThenEveryReferencedTestExistsAndProvesItsSection() throws IOException {
        Path root = repositoryRoot();
        List<String> doc = Files.readAllLines(root.resolve(DOC));

        assertThat(references(doc)).as("the document names tests").isNotEmpty();
        assertThat(problems(doc, testSources(root))).isEmpty();
    }

    @Test
    void problemsWhenAMethodIsMissingOrLacksItsCommentOrACommentNamesNoSectionThenEachIsNamed() {
        List<String> doc = List.of(
                "## Files <a id=\"files\"></a>",
                "Test: ProvedTest.proved",
                "Test: ProvedTest.unmarked",
                "Test: ProvedTest.absent",
                "Test: NoSuchTest.anything");
        Map<String, List<String>> sources = Map.of("ProvedTest", List.of(
                "    // Proves docs/persistence.md#files",
                "    @Test",
                "    void proved() {}",
                "    // Proves docs/persistence.md#elsewhere",
                "    @Test",
                "    void unmarked() {}"));

        assertThat(problems(doc, sources)).containsExactly(
                "ProvedTest.unmarked (section files): no '// Proves docs/persistence.md#files' above it",
                "ProvedTest.absent (section files): no method void absent( in ProvedTest",
                "NoSuchTest.anything (section files): no test class NoSuchTest",
                "ProvedTest: '// Proves docs/persistence.md#elsewhere' names no section of the document");
    }

    /** What is wrong between the document's lines and the test sources (simple class name to its lines). */
    static List<String> problems(List<String> doc, Map<String, List<String>> sources) {
        List<String> problems = new ArrayList<>();
        for (Reference reference : references(doc)) {
            String where = reference.type() + "." + reference.method() + " (section " + reference.anchor() + "): ";
            List<String> source = sources.get(reference.type());
            if (source == null) {
                problems.add(where + "no test class " + reference.type());
                continue;
            }
            int line = methodLine(source, reference.method());
            if (line < 0) {
                problems.add(where + "no method void " + reference.method() + "( in " + reference.type());
            } else if (!provedAbove(source, line).contains(reference.anchor())) {
                problems.add(where + "no '// Proves " + DOC + "#" + reference.anchor() + "' above it");
            }
        }
        List<String> anchors = anchors(doc);
        sources.forEach((type, lines) -> lines.forEach(text -> {
            Matcher proves = PROVES.matcher(text);
            if (proves.matches() && !anchors.contains(proves.group(1))) {
                problems.add(type + ": '" + text.strip() + "' names no section of the document");
            }
        }));
        return problems;
    }

    /** One {@code Test:} line, with the anchor of the section it stands in. */
    record Reference(String anchor, String type, String method) {
    }

    static List<Reference> references(List<String> doc) {
        List<Reference> references = new ArrayList<>();
        String anchor = "(before any section)";
        for (String line : doc) {
            Matcher section = ANCHOR.matcher(line);
            if (section.find()) {
                anchor = section.group(1);
            }
            Matcher reference = REFERENCE.matcher(line);
            if (reference.matches()) {
                references.add(new Reference(anchor, reference.group(1), reference.group(2)));
            }
        }
        return references;
    }

    private static List<String> anchors(List<String> doc) {
        List<String> anchors = new ArrayList<>();
        doc.forEach(line -> ANCHOR.matcher(line).results().forEach(found -> anchors.add(found.group(1))));
        return anchors;
    }

    private static int methodLine(List<String> source, String method) {
        Pattern declaration = Pattern.compile("\\bvoid " + Pattern.quote(method) + "\\(");
        for (int i = 0; i < source.size(); i++) {
            if (declaration.matcher(source.get(i)).find()) {
                return i;
            }
        }
        return -1;
    }

    /** The anchors named by the Proves comments in the block of annotations and comments right above the method. */
    private static List<String> provedAbove(List<String> source, int methodLine) {
        List<String> anchors = new ArrayList<>();
        for (int i = methodLine - 1; i >= 0 && ABOVE_METHOD.matcher(source.get(i)).matches(); i--) {
            Matcher proves = PROVES.matcher(source.get(i));
            if (proves.matches()) {
                anchors.add(proves.group(1));
            }
        }
        return anchors;
    }

    /**
     * Every module's test sources, and testkit's main sources, where {@code SessionStoreContract}, the suite every
     * store runs, lives.
     */
    private static Map<String, List<String>> testSources(Path root) throws IOException {
        Map<String, List<String>> sources = new HashMap<>();
        try (Stream<Path> modules = Files.list(root)) {
            for (Path module : modules.filter(Files::isDirectory).toList()) {
                addJavaFiles(module.resolve("src/test/java"), sources);
            }
        }
        addJavaFiles(root.resolve("testkit/src/main/java"), sources);
        return sources;
    }

    private static void addJavaFiles(Path tree, Map<String, List<String>> sources) throws IOException {
        if (!Files.isDirectory(tree)) {
            return;
        }
        try (Stream<Path> files = Files.walk(tree)) {
            files.filter(file -> file.toString().endsWith(".java")).forEach(file -> {
                String type = file.getFileName().toString().replaceFirst("\\.java$", "");
                try {
                    // Two modules may each have a helper of one name (TestServer): their lines are searched together.
                    sources.merge(type, Files.readAllLines(file), PersistenceDocTest::concat);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    private static List<String> concat(List<String> first, List<String> second) {
        List<String> both = new ArrayList<>(first);
        both.addAll(second);
        return both;
    }

    /** The demo's tests run in demo/; the document is at the repository's root. */
    private static Path repositoryRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve(DOC))) {
                return dir;
            }
        }
        throw new IllegalStateException(DOC + " not found above " + Path.of("").toAbsolutePath());
    }
}
