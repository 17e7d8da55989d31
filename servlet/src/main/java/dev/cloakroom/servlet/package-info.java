/**
 * The Jakarta Servlet integration: {@link dev.cloakroom.servlet.CloakroomFilter} makes {@code HttpSession} a Cloakroom
 * session ({@link dev.cloakroom.servlet.CloakroomHttpSession}); {@link dev.cloakroom.servlet.ServletSessionEvents}
 * delivers the Servlet session events. Request/response wrappers, the cookie codec and the per-request binding are
 * package-private.
 */
package dev.cloakroom.servlet;
