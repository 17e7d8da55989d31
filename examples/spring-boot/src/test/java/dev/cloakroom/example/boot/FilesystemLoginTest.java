package dev.cloakroom.example.boot;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterAll;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The example on the filesystem store (the starter's default store, so only its folder is set). */
@Tag("unit")
class FilesystemLoginTest extends LoginOverHttpContract {
    private static final Path DIR = temporaryFolder();

    private static final Map<String, String> PROPERTIES = Map.of("cloakroom.filesystem.dir", DIR.toString());

    @DynamicPropertySource
    static void store(DynamicPropertyRegistry registry) {
        PROPERTIES.forEach((name, value) -> registry.add(name, () -> value));
    }

    @Override
    Map<String, String> storeProperties() {
        return PROPERTIES;
    }

    @Override
    List<String> storedText() throws IOException {
        List<String> texts = new ArrayList<>();
        try (Stream<Path> files = Files.walk(DIR)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                texts.add(DIR.relativize(file).toString());
                texts.add(Files.readString(file, StandardCharsets.ISO_8859_1));
            }
        }
        return texts;
    }

    @AfterAll
    static void removeFolder() throws IOException {
        try (Stream<Path> paths = Files.walk(DIR.getParent())) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    private static Path temporaryFolder() {
        try {
            // The store creates the folder itself (0700); only its parent is made here.
            return Files.createTempDirectory("cloakroom-boot-example").resolve("sessions");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
