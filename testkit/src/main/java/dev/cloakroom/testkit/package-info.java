/**
 * The store contract suite: {@link dev.cloakroom.testkit.SessionStoreContract} holds the tests every
 * {@link dev.cloakroom.spi.SessionStore} must pass; a store's own test module extends it. {@link dev.cloakroom.testkit.TestClock}
 * lets tests move time instead of sleeping, {@link dev.cloakroom.testkit.RecordingStore} shows what a store holds.
 */
package dev.cloakroom.testkit;
