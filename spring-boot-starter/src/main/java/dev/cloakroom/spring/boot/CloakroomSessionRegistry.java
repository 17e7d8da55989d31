package dev.cloakroom.spring.boot;

import dev.cloakroom.SessionInfo;
import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionManager;
import jakarta.servlet.http.HttpSession;
import java.security.Principal;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.stream.Collectors;
import org.springframework.security.core.AuthenticatedPrincipal;
import org.springframework.security.core.session.SessionInformation;
import org.springframework.security.core.session.SessionRegistry;
import org.springframework.security.core.userdetails.UserDetails;
import org.springframework.web.context.request.RequestAttributes;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

/**
 * Spring Security's {@link SessionRegistry} on Cloakroom's principal index, so {@code maximumSessions(n)} counts a
 * user's sessions in the store, across every instance, and ends the surplus there. Nothing is kept in memory:
 * registering and removing are no-ops, because the principal resolver indexes a session when it is saved and the
 * store drops it from the index when it ends. {@link SessionInformation#expireNow()} revokes the session in the store,
 * so its next request, on any instance, is simply not logged in (Spring's "this session has been expired" page never
 * shows: there is no session left to mark).
 *
 * <p>Session ids here are the hashed keys ({@code v1…}), never raw ids, except for the session of the request being
 * served, which is listed under its own {@code getId()} so Spring Security recognises it (a login within a session
 * that is already counted ends no session).
 */
final class CloakroomSessionRegistry implements SessionRegistry {
    private final SessionManager sessions;

    CloakroomSessionRegistry(SessionManager sessions) {
        this.sessions = sessions;
    }

    /** A full scan of the store: deliberately not offered. */
    @Override
    public List<Object> getAllPrincipals() {
        throw new UnsupportedOperationException("Cloakroom lists sessions by user (getAllSessions), not every user");
    }

    /** The user's live sessions; {@code includeExpiredSessions} changes nothing, as no session is kept marked expired. */
    @Override
    public List<SessionInformation> getAllSessions(Object principal, boolean includeExpiredSessions) {
        String current = currentSessionId();
        SessionKey currentKey = current == null ? null : SessionKey.of(current);
        return sessions.sessionsOf(nameOf(principal)).stream()
                .map(info -> (SessionInformation) new StoredSessionInformation(principal,
                        info.key().equals(currentKey) ? current : info.key().value(), info, sessions))
                // mutable: Spring Security sorts it in place to find the least recently used
                .collect(Collectors.toCollection(ArrayList::new));
    }

    /** Not tracked: a revoked session is gone from the store, so its request finds no session to check. */
    @Override
    public SessionInformation getSessionInformation(String sessionId) {
        return null;
    }

    @Override
    public void refreshLastRequest(String sessionId) {
        // the store keeps the last access
    }

    @Override
    public void registerNewSession(String sessionId, Object principal) {
        // the principal resolver indexes the session at its commit
    }

    @Override
    public void removeSessionInformation(String sessionId) {
        // an ended session leaves the index with its record
    }

    /** The name {@code Authentication.getName()} gives for this principal, which the resolver indexed. */
    static String nameOf(Object principal) {
        if (principal instanceof UserDetails user) {
            return user.getUsername();
        }
        if (principal instanceof AuthenticatedPrincipal authenticated) {
            return authenticated.getName();
        }
        if (principal instanceof Principal plain) {
            return plain.getName();
        }
        return String.valueOf(principal);
    }

    private static String currentSessionId() {
        RequestAttributes attributes = RequestContextHolder.getRequestAttributes();
        if (!(attributes instanceof ServletRequestAttributes servlet)) {
            return null;
        }
        HttpSession session = servlet.getRequest().getSession(false);
        return session == null ? null : session.getId();
    }

    /** One stored session; expiring it revokes it in the store. */
    private static final class StoredSessionInformation extends SessionInformation {
        private final transient SessionInfo info;
        private final transient SessionManager sessions;

        StoredSessionInformation(Object principal, String sessionId, SessionInfo info, SessionManager sessions) {
            super(principal, sessionId, Date.from(info.lastAccessedAt()));
            this.info = info;
            this.sessions = sessions;
        }

        @Override
        public void expireNow() {
            super.expireNow();
            sessions.revoke(info.key());
        }
    }
}
