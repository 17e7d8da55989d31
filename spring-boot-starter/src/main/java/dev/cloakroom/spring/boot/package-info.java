/**
 * Spring Boot auto-configuration for Cloakroom: {@code CloakroomFilter} registered before Spring Security, a store
 * chosen by the {@code cloakroom.*} properties, and Spring's session objects stored as data.
 */
package dev.cloakroom.spring.boot;
