/**
 * The store contract suite: {@link dev.cloakroom.testkit.SessionStoreContract} holds the tests every
 * {@link dev.cloakroom.spi.SessionStore} must pass; a store's own test module extends it. {@link dev.cloakroom.testkit.TestClock}
 * lets tests move time instead of sleeping.
 */
package dev.cloakroom.testkit;
