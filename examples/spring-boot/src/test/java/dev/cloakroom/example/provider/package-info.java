/**
 * A local OpenID Connect provider for the example's tests: Spring Authorization Server in a Boot app of its own.
 */
package dev.cloakroom.example.provider;
