/**
 * Cloakroom's JDBC store: {@link dev.cloakroom.jdbc.JdbcSessionStore} keeps sessions in one table of PostgreSQL,
 * MariaDB/MySQL or H2, manages that table's schema, and sweeps expired rows in batches under a database lock.
 */
package dev.cloakroom.jdbc;
