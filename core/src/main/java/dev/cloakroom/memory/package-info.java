/**
 * A store in this process's memory, for tests and single-process development; nothing survives a restart.
 */
package dev.cloakroom.memory;
