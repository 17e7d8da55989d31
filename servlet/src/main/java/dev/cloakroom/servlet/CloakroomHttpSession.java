package dev.cloakroom.servlet;

import jakarta.servlet.http.HttpSession;
import java.util.function.UnaryOperator;

/**
 * The {@link HttpSession} that {@link CloakroomFilter} hands out, with what the servlet API lacks: an atomic
 * read-modify-write of one attribute ({@code ((CloakroomHttpSession) request.getSession()).update("n", n -> n + 1)}).
 *
 * <p>Beyond {@link HttpSession}'s contract: {@link #getId()} is the raw id, which is the cookie value (without its
 * signature when cookies are signed): a bearer credential, so never log it. {@code setAttribute} accepts only values
 * the session codec can store and throws {@link dev.cloakroom.UnsupportedAttributeException} otherwise.
 * {@code setMaxInactiveInterval(i <= 0)} sets the configured idle timeout, since Cloakroom sessions always expire.
 * Methods the Servlet API lists throw {@link IllegalStateException} once the session is invalidated.
 */
public interface CloakroomHttpSession extends HttpSession {

    /**
     * Atomically replaces one attribute with {@code fn(current)} in the store, retrying when a concurrent request
     * changed the session meanwhile, so that no update is lost. {@code fn} may run more than once and must have no
     * side effects; returning {@code null} removes the attribute. Attribute listeners hear of the final change.
     * See {@link dev.cloakroom.Session#update}.
     *
     * @return the value written
     * @throws dev.cloakroom.SessionEndedException if another request invalidated the session, or it expired, meanwhile
     *     (uncaught, the filter answers 409 and clears the cookie)
     * @throws IllegalStateException if this request invalidated the session already
     * @throws dev.cloakroom.SessionStoreException if the store fails (the filter then answers 503)
     */
    <T> T update(String name, UnaryOperator<T> fn);
}
