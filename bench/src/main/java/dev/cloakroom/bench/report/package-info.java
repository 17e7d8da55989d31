/**
 * The report generator: {@code docs/benchmarks.md} and its PNG charts, from the figures of one run.
 */
package dev.cloakroom.bench.report;
