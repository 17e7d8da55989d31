package dev.cloakroom.spring.boot;

import dev.cloakroom.Session;
import java.util.function.Function;

/**
 * Tells the name of the user signed in with a session, or {@code null} for none, at each commit; the session is indexed
 * by it ({@link dev.cloakroom.SessionManager#sessionsOf}, {@code revokeAll}, the {@code sessions} endpoint, the
 * {@code SessionRegistry} behind {@code maximumSessions}). With Spring Security on the class path the starter registers
 * one that reads the {@code Authentication} in the session's {@code SPRING_SECURITY_CONTEXT}; an app's own bean of this
 * type replaces it. It must be cheap and free of I/O: it runs on every commit.
 */
@FunctionalInterface
public interface CloakroomPrincipalResolver extends Function<Session, String> {
}
