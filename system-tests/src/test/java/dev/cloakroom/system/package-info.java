/**
 * System tests: the demo app as its own process on the filesystem, PostgreSQL and Redis stores, driven over real HTTP
 * the way an attacker and an operator meet it, with assertions on the responses and on what each store holds. Every
 * scenario records what it tried and what held in {@code target/reliability}, from which {@code docs/reliability.md}
 * is regenerated.
 */
package dev.cloakroom.system;
