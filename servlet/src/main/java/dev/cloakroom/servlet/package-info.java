/** The Jakarta Servlet integration: {@link dev.cloakroom.servlet.CloakroomFilter} makes {@code HttpSession} a Cloakroom session. */
package dev.cloakroom.servlet;
