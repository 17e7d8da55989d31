package dev.cloakroom.spring.boot;

import dev.cloakroom.SessionInfo;
import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionManager;
import dev.cloakroom.SessionStoreException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.springframework.boot.actuate.endpoint.annotation.DeleteOperation;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.boot.actuate.endpoint.web.annotation.WebEndpoint;

/**
 * The {@code sessions} Actuator endpoint, as Spring Boot's own is for Spring Session: {@code GET
 * /actuator/sessions?username=…} lists that user's live sessions (hashed keys, never raw ids; no attribute values),
 * {@code DELETE /actuator/sessions/{key}} revokes one. A bad user name or key answers 400 with the reason, an unknown
 * key 404, a store that fails 503. Exposed and secured like any endpoint ({@code management.endpoints.web.exposure}).
 */
@WebEndpoint(id = "sessions")
public final class CloakroomSessionsEndpoint {
    private final SessionManager sessions;

    CloakroomSessionsEndpoint(SessionManager sessions) {
        this.sessions = sessions;
    }

    @ReadOperation
    public WebEndpointResponse<Object> sessionsOf(String username) {
        try {
            return new WebEndpointResponse<>(new Sessions(sessions.sessionsOf(username).stream().map(Described::of).toList()));
        } catch (IllegalArgumentException e) {
            return problem(WebEndpointResponse.STATUS_BAD_REQUEST, e.getMessage());
        } catch (SessionStoreException e) {
            return problem(WebEndpointResponse.STATUS_SERVICE_UNAVAILABLE, "the session store did not answer");
        }
    }

    @DeleteOperation
    public WebEndpointResponse<Object> revoke(@Selector String key) {
        if (!SessionKey.isKey(key)) {
            return problem(WebEndpointResponse.STATUS_BAD_REQUEST, "not a session key: expected v1 and 64 lowercase hex digits");
        }
        try {
            return sessions.revoke(new SessionKey(key))
                    ? new WebEndpointResponse<>(WebEndpointResponse.STATUS_NO_CONTENT)
                    : problem(WebEndpointResponse.STATUS_NOT_FOUND, "no live session has this key");
        } catch (SessionStoreException e) {
            return problem(WebEndpointResponse.STATUS_SERVICE_UNAVAILABLE, "the session store did not answer");
        }
    }

    private static WebEndpointResponse<Object> problem(int status, String message) {
        return new WebEndpointResponse<>(Map.of("message", message), status);
    }

    /** The body of a listing. */
    public record Sessions(List<Described> sessions) {
    }

    /** One session, as {@link SessionInfo} has it; {@code absoluteDeadline} is null without an absolute timeout. */
    public record Described(String key, String principal, Instant createdAt, Instant lastAccessedAt, Instant idleDeadline,
                            Instant absoluteDeadline, Instant expiresAt, long sizeInBytes) {
        static Described of(SessionInfo info) {
            return new Described(info.key().value(), info.principal(), info.createdAt(), info.lastAccessedAt(),
                    info.idleDeadline(), info.absoluteDeadline(), info.expiresAt(), info.sizeInBytes());
        }
    }
}
