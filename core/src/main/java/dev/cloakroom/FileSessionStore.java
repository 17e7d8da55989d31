package dev.cloakroom;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Sessions as files in one folder on the local disk: the embedded default, no server needed.
 * TODO(file store): implementation in progress; the public API below is fixed.
 */
public final class FileSessionStore implements SessionStore {
    /** {@code SESSION_FILE_THRESHOLD}'s default, as in Flask-Session. */
    public static final long DEFAULT_FILE_THRESHOLD = 500;

    private final Path directory;
    private final long fileThreshold;
    private final long maxSessions;

    private FileSessionStore(Builder b) {
        this.directory = b.directory;
        this.fileThreshold = b.fileThreshold;
        this.maxSessions = b.maxSessions;
    }

    public static Builder builder(Path directory) {
        return new Builder(directory);
    }

    @Override
    public Optional<SessionRecord> load(SessionKey key) {
        throw new UnsupportedOperationException("not yet");
    }

    @Override
    public WriteResult write(SessionWrite write) {
        throw new UnsupportedOperationException("not yet");
    }

    @Override
    public boolean delete(SessionKey key) {
        throw new UnsupportedOperationException("not yet");
    }

    @Override
    public List<SessionRecord> sweep(Instant now, int limit) {
        throw new UnsupportedOperationException("not yet");
    }

    @Override
    public String describe() {
        return "filesystem " + directory.toAbsolutePath() + " (threshold " + fileThreshold + " files, max sessions "
                + (maxSessions == Long.MAX_VALUE ? "unlimited" : maxSessions) + ")";
    }

    @Override
    public void close() {
    }

    /** Settings of a {@link FileSessionStore}; {@link #build()} validates them and prepares the folder. */
    public static final class Builder {
        private final Path directory;
        private long fileThreshold = DEFAULT_FILE_THRESHOLD;
        private long maxSessions = Long.MAX_VALUE;

        private Builder(Path directory) {
            this.directory = Objects.requireNonNull(directory, "directory");
        }

        /** Number of session files at which a sweep of expired files starts at once; never evicts a live session. */
        public Builder fileThreshold(long value) { this.fileThreshold = value; return this; }

        /** Hard cap on stored sessions: beyond it new sessions are refused ({@link SessionLimitExceededException}). */
        public Builder maxSessions(long value) { this.maxSessions = value; return this; }

        public FileSessionStore build() {
            return new FileSessionStore(this);
        }
    }
}
