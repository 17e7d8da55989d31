/**
 * The filesystem store, the embedded default: one crash-safe file per session under a private folder, locked across
 * threads and processes, swept by file modification time.
 */
package dev.cloakroom.file;
