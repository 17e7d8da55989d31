package dev.cloakroom.file;

/**
 * What a {@link FileSessionStore} write waits for before it returns: the choice between a write that outlives a power
 * loss and one that saves a folder fsync. Either way a record is written to a temp file, fsynced, and renamed over the
 * old one, so a reader, and a restart after any crash, sees one whole record, never a torn one; and a deletion (an
 * invalidation, a sweep, the old key of an id change) is always fsynced, so an ended session stays ended.
 */
public enum FileSync {
    /**
     * The default: the record is fsynced before its rename and its folder after it, so a write that returned survives
     * a crash of the operating system or a power loss. Costs two fsyncs per write.
     */
    DURABLE,
    /**
     * The record is fsynced before its rename, its folder is not: one fsync per write. A crash of the process loses
     * nothing (the rename is done when the write returns). After an operating system crash or a power loss, each
     * record is as one complete write left it, but the writes of the last moments before it (until the file system
     * committed the folder on its own, within seconds: five on ext4 by default) may be lost, so a session can come back
     * as it was a few requests earlier, or a session created then be missing.
     */
    ATOMIC
}
