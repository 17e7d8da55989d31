/**
 * The {@code cloakroom} command: counts, lists, shows, deletes, purges and sweeps the sessions of any store, and checks
 * a store's setup ({@code doctor}). Configured by the demo's settings; shows sessions by their hashed keys only.
 */
package dev.cloakroom.cli;
