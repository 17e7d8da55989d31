package dev.cloakroom.testkit;

import dev.cloakroom.file.FileSessionStore;
import dev.cloakroom.SessionKey;
import dev.cloakroom.spi.SessionStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;

@Tag("unit")
class FileSessionStoreContractTest extends SessionStoreContract {
    @TempDir
    Path folder;

    @Override
    protected SessionStore createStore() {
        return FileSessionStore.builder(folder.resolve("sessions")).build();
    }

    @Override
    protected SessionStore createEmptyStore() {
        return FileSessionStore.builder(folder.resolve("empty")).build();
    }

    /** Every path under the folder with its content, so that names and bytes are both checked for leaks. */
    @Override
    protected String dumpStorage() {
        StringBuilder dump = new StringBuilder();
        try (Stream<Path> paths = Files.walk(folder)) {
            for (Path path : (Iterable<Path>) paths.sorted()::iterator) {
                dump.append(folder.relativize(path)).append('\n');
                if (Files.isRegularFile(path)) {
                    dump.append(new String(Files.readAllBytes(path), StandardCharsets.ISO_8859_1)).append('\n');
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dump.toString();
    }

    /** The markers in the principal's index folder, named by the SHA-256 of the name, and whether the folder is there. */
    @Override
    protected String principalIndexOf(String principal) {
        Path index;
        try {
            index = folder.resolve("sessions").resolve("principals").resolve(HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-256").digest(principal.getBytes(StandardCharsets.UTF_8))));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        if (!Files.exists(index)) {
            return "";
        }
        try (Stream<Path> markers = Files.list(index)) {
            return "folder " + index.getFileName() + ": " + markers.map(p -> p.getFileName().toString()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    protected void writeGarbage(SessionKey key) {
        String value = key.value();
        Path record = folder.resolve("sessions").resolve(value.substring(2, 4)).resolve(value);
        try {
            Files.write(record, new byte[] {'{', '"', 0, (byte) 0xff, 'x'});
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
