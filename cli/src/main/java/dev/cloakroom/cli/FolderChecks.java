package dev.cloakroom.cli;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code doctor}'s checks of a filesystem store's folder, made without building the store (which would create a missing
 * folder): it exists and is a real folder, is 0700 and owned by the user running this, its shard folders are 0700 and
 * its files 0600. Links are never followed, as the store follows none.
 */
final class FolderChecks {
    /** Offending paths named in a finding; the rest are counted. */
    private static final int NAMED = 3;
    private static final Set<PosixFilePermission> FOLDER = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");

    private FolderChecks() {
    }

    static List<Check> check(String setting) {
        Path folder = Path.of(setting).toAbsolutePath().normalize();
        List<Check> checks = new ArrayList<>();
        try {
            BasicFileAttributes basic = lstat(folder);
            if (basic == null) {
                checks.add(Check.fail("folder", folder + " does not exist", "the application creates it (0700) when it starts; "
                        + "or create it yourself: mkdir -m 700 " + folder + " (and check SESSION_FILE_DIR)"));
                return checks;
            }
            if (!basic.isDirectory()) {
                checks.add(Check.fail("folder", folder + " is " + (basic.isSymbolicLink() ? "a symbolic link, which the store refuses"
                        : "not a folder"), "point SESSION_FILE_DIR at a real folder"));
                return checks;
            }
            checks.add(Check.pass("folder", folder + " exists"));
            if (!folder.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                checks.add(Check.pass("permissions", "not checked: this file system has no POSIX permissions"));
                return checks;
            }
            PosixFileAttributes posix = Files.readAttributes(folder, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            String user = System.getProperty("user.name");
            checks.add(posix.owner().getName().equals(user)
                    ? Check.pass("owner", "owned by " + user + ", who runs this")
                    : Check.fail("owner", "owned by " + posix.owner().getName() + ", not by " + user + " who runs this",
                            "run the application and this command as the folder's owner, or chown -R " + user + " " + folder));
            checks.add(posix.permissions().equals(FOLDER)
                    ? Check.pass("folder permissions", "0700")
                    : Check.fail("folder permissions", PosixFilePermissions.toString(posix.permissions()) + " instead of rwx------",
                            "chmod 700 " + folder));
            checks.add(contents(folder));
        } catch (IOException e) {
            checks.add(Check.fail("folder", "cannot read " + folder + ": " + e, "check SESSION_FILE_DIR and its permissions"));
        }
        return checks;
    }

    /** The shard folders (0700) and files (0600) one level below the folder, its hidden lock folder included. */
    private static Check contents(Path folder) throws IOException {
        List<String> wrong = new ArrayList<>();
        long checked = 0;
        try (DirectoryStream<Path> shards = Files.newDirectoryStream(folder)) {
            for (Path shard : shards) {
                checked++;
                PosixFileAttributes attributes = Files.readAttributes(shard, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (!attributes.isDirectory()) {
                    continue;
                }
                if (!attributes.permissions().equals(FOLDER)) {
                    wrong.add(shard + " " + PosixFilePermissions.toString(attributes.permissions()));
                }
                try (DirectoryStream<Path> files = Files.newDirectoryStream(shard)) {
                    for (Path file : files) {
                        checked++;
                        PosixFileAttributes fileAttributes = Files.readAttributes(file, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                        if (fileAttributes.isRegularFile() && !fileAttributes.permissions().equals(FILE)) {
                            wrong.add(file + " " + PosixFilePermissions.toString(fileAttributes.permissions()));
                        }
                    }
                }
            }
        }
        if (wrong.isEmpty()) {
            return Check.pass("file permissions", checked + " entries checked: folders 0700, files 0600");
        }
        String named = String.join(", ", wrong.subList(0, Math.min(NAMED, wrong.size())))
                + (wrong.size() > NAMED ? " and " + (wrong.size() - NAMED) + " more" : "");
        return Check.fail("file permissions", wrong.size() + " entries open to others: " + named,
                "find " + folder + " -type d -exec chmod 700 {} + ; find " + folder + " -type f -exec chmod 600 {} +");
    }

    private static BasicFileAttributes lstat(Path path) throws IOException {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.NoSuchFileException e) {
            return null;
        }
    }
}
