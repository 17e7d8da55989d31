package dev.cloakroom.file;

/**
 * A file at a key's path that is not a record this store wrote: bad bytes, a field out of range, a FIFO, a folder, or a
 * file too large to be one. The store treats it as absent; a checked exception, so that no read path forgets that case.
 */
final class CorruptRecordException extends Exception {
    CorruptRecordException(String message) {
        super(message, null, false, false);
    }
}
