package dev.cloakroom.spi;

/** How a store answered a {@link SessionWrite}. */
public enum WriteResult {
    /** The write was applied atomically. */
    WRITTEN,
    /** Nothing was written: the version did not match, or a create found the key taken. */
    CONFLICT,
    /** Nothing was written: the session no longer exists (invalidated, expired or swept) and is not recreated. */
    GONE,
    /** Nothing was written: the merged record would exceed the write's {@link SessionWrite#maxBytes()}. */
    TOO_LARGE
}
