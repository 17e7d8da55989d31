package dev.cloakroom;

/** When the session cookie carries the {@code Secure} attribute. */
public enum CookieSecure {
    /** When the request came over HTTPS, directly or as told by a trusted {@code X-Forwarded-Proto}. The default. */
    AUTO,
    /** Always: the cookie is never sent over plain HTTP. */
    ALWAYS,
    /** Never (local development over plain HTTP only). */
    NEVER
}
