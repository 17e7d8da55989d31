package dev.cloakroom.servlet;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpSession;

/** The request the application sees: every session method is answered by the {@link SessionBinding}, never the container. */
final class CloakroomRequest extends HttpServletRequestWrapper {
    private final SessionBinding binding;
    private final CloakroomResponse response;
    private CloakroomAsyncContext async;

    CloakroomRequest(HttpServletRequest request, CloakroomResponse response, SessionBinding binding) {
        super(request);
        this.binding = binding;
        this.response = response;
    }

    /** Starts async with this request and its response wrapper, so the async part keeps the save-before-commit hooks. */
    @Override
    public AsyncContext startAsync() {
        return startAsync(this, response);
    }

    @Override
    public synchronized AsyncContext startAsync(ServletRequest servletRequest, ServletResponse servletResponse) {
        async = new CloakroomAsyncContext(super.startAsync(servletRequest, servletResponse), binding);
        return async;
    }

    @Override
    public synchronized AsyncContext getAsyncContext() {
        AsyncContext current = super.getAsyncContext();
        return async != null ? async : current;
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
