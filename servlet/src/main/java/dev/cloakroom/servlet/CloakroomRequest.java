package dev.cloakroom.servlet;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpSession;

/** The request the application sees: every session method is answered by the {@link SessionBinding}, never the container. */
final class CloakroomRequest extends HttpServletRequestWrapper {
    private final SessionBinding binding;

    CloakroomRequest(HttpServletRequest request, SessionBinding binding) {
        super(request);
        this.binding = binding;
    }

    SessionBinding binding() {
        return binding;
    }

    @Override
    public HttpSession getSession(boolean create) {
        return binding.session(create);
    }

    @Override
    public HttpSession getSession() {
        return binding.session(true);
    }

    @Override
    public String changeSessionId() {
        return binding.changeId();
    }

    /** The id from the session cookie (verified, when cookies are signed); ids in URLs or parameters are ignored. */
    @Override
    public String getRequestedSessionId() {
        return binding.requestedId();
    }

    @Override
    public boolean isRequestedSessionIdValid() {
        return binding.requestedIdValid();
    }

    @Override
    public boolean isRequestedSessionIdFromCookie() {
        return binding.requestedId() != null;
    }

    @Override
    public boolean isRequestedSessionIdFromURL() {
        return false;
    }
}
