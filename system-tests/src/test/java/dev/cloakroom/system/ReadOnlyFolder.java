package dev.cloakroom.system;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A store folder made read-only under a running store. Permission bits do not stop root, and a file system cannot be
 * remounted read-only while the store holds its lock file open for writing, so this sets the immutable attribute
 * ({@code chattr +i}, which binds root too) on the folder and on each shard folder in it: no file can be created,
 * renamed or removed there. The store's own {@code .cloakroom} folder, with its lock file, stays writable, as on a
 * real disk the lock is taken on an open file. Needs a file system with the attribute (ext4, xfs, btrfs) and root.
 */
final class ReadOnlyFolder implements AutoCloseable {
    private final List<Path> folders;
    private boolean readOnly;

    private ReadOnlyFolder(List<Path> folders) {
        this.folders = folders;
    }

    /** Makes {@code folder} and its shard folders read-only; {@link #close()} undoes it. */
    static ReadOnlyFolder of(Path folder) throws IOException {
        List<Path> folders = new ArrayList<>(List.of(folder));
        try (Stream<Path> entries = Files.list(folder)) {
            entries.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))
                    .filter(p -> !p.getFileName().toString().startsWith("."))
                    .sorted().forEach(folders::add);
        }
        ReadOnlyFolder readOnly = new ReadOnlyFolder(folders);
        readOnly.attribute("+i");
        readOnly.readOnly = true;
        return readOnly;
    }

    /** Whether this machine can do it: root on Linux with {@code chattr}. */
    static boolean isAvailable() {
        return Processes.isRoot() && Files.isExecutable(Path.of("/usr/bin/chattr"));
    }

    /** Makes the folders writable again. */
    @Override
    public void close() throws IOException {
        if (readOnly) {
            attribute("-i");
            readOnly = false;
        }
    }

    private void attribute(String change) throws IOException {
        List<String> command = new ArrayList<>(List.of("chattr", change));
        folders.forEach(f -> command.add(f.toString()));
        Processes.run(Duration.ofSeconds(10), command);
    }
}
