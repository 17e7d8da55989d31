/**
 * What a session store implements: {@link dev.cloakroom.spi.SessionStore} and the values it exchanges with the
 * manager, plus {@link dev.cloakroom.spi.SessionStoreProvider} for choosing a store by name from settings.
 */
package dev.cloakroom.spi;
