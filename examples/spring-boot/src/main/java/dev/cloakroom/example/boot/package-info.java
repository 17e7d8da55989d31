/**
 * The Spring Boot example: form login, a page behind it, logout; sessions in Cloakroom through the starter.
 */
package dev.cloakroom.example.boot;
