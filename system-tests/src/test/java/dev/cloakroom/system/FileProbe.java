package dev.cloakroom.system;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cloakroom.SessionKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Stream;

/** The filesystem store's folder: one file per session, named by its key, in a shard folder. */
final class FileProbe extends StoreProbe {
    private final Path dir;

    private FileProbe(Path dir) {
        super(Store.FILESYSTEM, Map.of("SESSION_TYPE", "filesystem", "SESSION_FILE_DIR", dir.toString()));
        this.dir = dir;
    }

    static FileProbe open(String scenario) throws IOException {
        Path work = Path.of(System.getProperty("demo.work", "target/demo-work"));
        Files.createDirectories(work);
        return new FileProbe(work.toAbsolutePath().resolve(scenario + "-" + UUID.randomUUID().toString().substring(0, 8)));
    }

    /** A namespace in {@code dir}, a folder the caller provides (a small disk, say) and the probe empties on close. */
    static FileProbe in(Path dir) {
        return new FileProbe(dir.toAbsolutePath());
    }

    /** The store's folder. */
    Path dir() {
        return dir;
    }

    @Override
    Map<String, String> records() throws IOException {
        Map<String, String> records = new TreeMap<>();
        for (Path file : files()) {
            String name = file.getFileName().toString();
            if (SessionKey.isKey(name)) {
                records.put(name, Files.readString(file, StandardCharsets.UTF_8));
            }
        }
        return records;
    }

    /** Lists the shard folders' names only, and tolerates records that a sweep deletes meanwhile. */
    @Override
    Set<String> sessionKeys() throws IOException {
        Set<String> keys = new TreeSet<>();
        if (!Files.isDirectory(dir)) {
            return keys;
        }
        try (DirectoryStream<Path> shards = Files.newDirectoryStream(dir)) {
            for (Path shard : shards) {
                try (DirectoryStream<Path> names = Files.newDirectoryStream(shard)) {
                    for (Path file : names) {
                        if (SessionKey.isKey(file.getFileName().toString())) {
                            keys.add(file.getFileName().toString());
                        }
                    }
                } catch (NotDirectoryException | NoSuchFileException e) {
                    // not a shard folder, or removed meanwhile
                }
            }
        }
        return keys;
    }

    @Override
    Map<String, JsonNode> attributes(SessionKey key) throws Exception {
        String text = records().get(key.value());
        Map<String, String> texts = new LinkedHashMap<>();
        if (text != null) {
            Iterator<Map.Entry<String, JsonNode>> fields = JSON.readTree(text).path("attributes").fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                texts.put(field.getKey(), field.getValue().asText());
            }
        }
        return parsed(texts);
    }

    @Override
    Map<String, String> everything() throws IOException {
        Map<String, String> all = new TreeMap<>();
        for (Path file : files()) {
            all.put(dir.relativize(file).toString(), new String(Files.readAllBytes(file), StandardCharsets.UTF_8));
        }
        return all;
    }

    /** Every regular file under the folder, records, temp files and the lock file alike. */
    List<Path> files() throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).sorted().toList();
        }
    }

    @Override
    public void close() throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
