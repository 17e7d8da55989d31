package dev.cloakroom.servlet;

import jakarta.servlet.http.HttpSession;
import java.util.function.UnaryOperator;

/**
 * The {@link HttpSession} that {@link CloakroomFilter} hands out, with what the servlet API lacks: an atomic
 * read-modify-write of one attribute ({@code ((CloakroomHttpSession) request.getSession()).update("n", n -> n + 1)}).
 */
public interface CloakroomHttpSession extends HttpSession {

    /**
     * Atomically replaces one attribute with {@code fn(current)} in the store, retrying when a concurrent request
     * changed the session meanwhile, so that no update is lost. See {@link dev.cloakroom.Session#update}.
     */
    <T> T update(String name, UnaryOperator<T> fn);
}
