package dev.cloakroom.spring.boot;

import dev.cloakroom.Session;
import org.springframework.security.authentication.AuthenticationTrustResolver;
import org.springframework.security.authentication.AuthenticationTrustResolverImpl;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.web.context.HttpSessionSecurityContextRepository;

/**
 * The name of the {@code Authentication} Spring Security keeps in the session ({@link Authentication#getName()}, the
 * name {@code SessionRegistry} lookups use too), unless it is anonymous or not authenticated. Reads the value the
 * request already decoded: no store I/O.
 */
final class SecurityContextPrincipalResolver implements CloakroomPrincipalResolver {
    private final AuthenticationTrustResolver trust = new AuthenticationTrustResolverImpl();

    @Override
    public String apply(Session session) {
        if (!(session.getAttribute(HttpSessionSecurityContextRepository.SPRING_SECURITY_CONTEXT_KEY) instanceof SecurityContext context)) {
            return null;
        }
        Authentication authentication = context.getAuthentication();
        if (authentication == null || !authentication.isAuthenticated() || trust.isAnonymous(authentication)) {
            return null;
        }
        return authentication.getName();
    }
}
