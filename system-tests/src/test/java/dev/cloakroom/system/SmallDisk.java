package dev.cloakroom.system;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;

/**
 * A tmpfs of a few megabytes mounted on a fresh folder, for a filesystem store whose disk fills up: {@link #fill()}
 * writes a filler file until the file system refuses another byte, {@link #drain()} removes it. Mounting needs root
 * (or {@code CAP_SYS_ADMIN}); {@link #isAvailable()} says whether this machine allows it.
 */
final class SmallDisk implements AutoCloseable {
    private static final String FILLER = "filler";

    private final Path mountPoint;

    private SmallDisk(Path mountPoint) {
        this.mountPoint = mountPoint;
    }

    /** Mounts a tmpfs of {@code megabytes} on a new folder under {@code parent}. */
    static SmallDisk mount(Path parent, int megabytes) throws IOException {
        Path mountPoint = Files.createTempDirectory(Files.createDirectories(parent), "small-disk-");
        Processes.run(Duration.ofSeconds(10), "mount", "-t", "tmpfs", "-o", "size=" + megabytes + "m,mode=0700", "tmpfs",
                mountPoint.toString());
        return new SmallDisk(mountPoint);
    }

    /** Whether this JVM may mount a tmpfs (it runs as root on Linux). */
    static boolean isAvailable() {
        return Processes.isRoot() && System.getProperty("os.name").startsWith("Linux");
    }

    /** The mounted folder. */
    Path root() {
        return mountPoint;
    }

    /** Fills the file system to its last byte; returns how many bytes that took. */
    long fill() throws IOException {
        Path filler = mountPoint.resolve(FILLER);
        byte[] block = new byte[4096];
        long written = 0;
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(block);
                written += block.length;
            }
        } catch (IOException full) {
            if (!String.valueOf(full.getMessage()).contains("No space left")) {
                throw full;
            }
        }
        // the last partial block: byte by byte until not even one more fits
        try (OutputStream out = Files.newOutputStream(filler, StandardOpenOption.APPEND)) {
            while (true) {
                out.write(0);
                out.flush();
                written++;
            }
        } catch (IOException full) {
            return written;
        }
    }

    /** Frees what {@link #fill()} took. */
    void drain() throws IOException {
        Files.deleteIfExists(mountPoint.resolve(FILLER));
    }

    /** Unmounts it (lazily, should a process still hold a file there) and removes the folder. */
    @Override
    public void close() throws IOException {
        Processes.run(Duration.ofSeconds(10), "umount", "-l", mountPoint.toString());
        Files.deleteIfExists(mountPoint);
    }
}
