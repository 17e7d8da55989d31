/**
 * A contender server: one embedded Jetty 12 in a JVM of its own, serving the same pages over one product's session
 * machinery, with a JDBC statement counter around its pool.
 */
package dev.cloakroom.bench.server;
