/**
 * Cloakroom's application API: the per-request {@link dev.cloakroom.Session}, the {@link dev.cloakroom.SessionManager}
 * that holds all id, write and expiry policy, configuration, the JSON codec, listeners and the exceptions callers see.
 * Nothing here depends on a web API; a store is plugged in through {@link dev.cloakroom.spi}.
 */
package dev.cloakroom;
