/**
 * What the contender servers and the load generator agree on: the contenders, where each keeps its sessions, and
 * the pages every contender serves.
 */
package dev.cloakroom.bench;
