/**
 * Cloakroom core: the session model ({@link dev.cloakroom.Session}), ids and their hashed keys, the JSON codec,
 * the {@link dev.cloakroom.SessionStore} SPI with its memory and filesystem implementations, the
 * {@link dev.cloakroom.SessionManager} that holds all write and expiry policy, and the background {@link dev.cloakroom.Sweeper}.
 * Nothing here depends on a web API.
 */
package dev.cloakroom;
