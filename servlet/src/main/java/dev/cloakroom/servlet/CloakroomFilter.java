package dev.cloakroom.servlet;

import dev.cloakroom.SessionManager;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import java.io.IOException;
import java.util.Objects;

/**
 * Serves {@code request.getSession()} from Cloakroom. TODO(servlet): implementation in progress; the constructor is fixed.
 */
public final class CloakroomFilter implements Filter {
    private final SessionManager manager;

    public CloakroomFilter(SessionManager manager) {
        this.manager = Objects.requireNonNull(manager, "manager");
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain) throws IOException, ServletException {
        throw new UnsupportedOperationException("not yet");
    }
}
