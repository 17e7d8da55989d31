package dev.cloakroom.file;

import dev.cloakroom.SessionKey;
import java.nio.file.Path;

/** Lets tests outside this package see where a {@link FileSessionStore} keeps a record, without widening its API. */
public final class FileStoreProbe {
    private FileStoreProbe() {
    }

    public static Path fileOf(FileSessionStore store, SessionKey key) {
        return store.fileOf(key);
    }

    public static long fileCount(FileSessionStore store) {
        return store.approximateFileCount();
    }
}
