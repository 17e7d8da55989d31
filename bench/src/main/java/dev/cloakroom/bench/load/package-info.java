/**
 * The load generator: starts each contender in a JVM of its own, drives it over HTTP from this process, reads its
 * store directly, and collects the figures of one run.
 */
package dev.cloakroom.bench.load;
