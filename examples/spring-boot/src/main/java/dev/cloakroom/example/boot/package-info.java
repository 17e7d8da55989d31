/**
 * The Spring Boot example: form login with remember-me, OpenID Connect login when a provider is configured, one
 * session per user, "sign out everywhere", a page behind the login, a form that confirms with a flash message,
 * logout; sessions in Cloakroom through the starter.
 */
package dev.cloakroom.example.boot;
