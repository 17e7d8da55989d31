/**
 * Cloakroom's {@link dev.cloakroom.SessionMetrics} as Micrometer meters: {@link MicrometerSessionMetrics}. An
 * application without this module, or without Micrometer, pays nothing for metrics.
 */
package dev.cloakroom.micrometer;
