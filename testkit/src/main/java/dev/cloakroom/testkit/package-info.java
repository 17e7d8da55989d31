/**
 * The store contract suite: {@link dev.cloakroom.testkit.SessionStoreContract} holds the tests every
 * {@link dev.cloakroom.spi.SessionStore} must pass; a store's own test module extends it. {@link dev.cloakroom.testkit.TestClock}
 * lets tests move time instead of sleeping, {@link dev.cloakroom.testkit.RecordingStore} shows what a store holds,
 * {@link dev.cloakroom.testkit.TcpProxy}, {@link dev.cloakroom.testkit.RedisServerProcess} and
 * {@link dev.cloakroom.testkit.LocalRedisCluster} give outage and failover tests servers of their own.
 */
package dev.cloakroom.testkit;
