package dev.cloakroom.servlet;

import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.CommitOutcome;
import dev.cloakroom.Session;
import dev.cloakroom.SessionManager;
import dev.cloakroom.SessionMetrics;
import dev.cloakroom.SessionStoreException;
import dev.cloakroom.SessionTooLargeException;
import dev.cloakroom.UnsupportedAttributeException;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request's tie to its session: looks the session up on first use, commits it before the response commits,
 * and keeps the browser's cookie in step. Also answers 503/413 when the store fails, 422 when a value cannot be stored.
 *
 * <p>Its state is the request's {@link Phase}, plus three facts that change independently of it and of each other:
 * what the {@link Lookup} of the browser's cookie found (it may happen in any phase, even in the async part after the
 * first pass ended), which {@link BrowserCookie} the browser will hold, and whether the session changed since the
 * last commit. All of it is guarded by this object's lock.
 */
final class SessionBinding {
    private static final Logger LOG = LoggerFactory.getLogger(SessionBinding.class);
    /** During an outage every request fails alike: one WARN per interval says so, the rest go to DEBUG. */
    private static final long FAILURE_WARNING_INTERVAL_NANOS = Duration.ofSeconds(10).toNanos();
    private static final AtomicLong LAST_FAILURE_WARNING = new AtomicLong(System.nanoTime() - FAILURE_WARNING_INTERVAL_NANOS);

    private final SessionManager manager;
    private final ServletSessionEvents events;
    private final SessionCookies cookies;
    private final HttpServletRequest request;
    private final HttpServletResponse response;
    private final ServletContext context;
    /** What the cookie says; read on first need, so requests that never use the session do not even verify it. */
    private SessionCookies.Presented presented;

    /** Where the request is; it only moves forward, one step at a time. */
    private enum Phase {
        /** The filter's first pass runs the application: each response hook and the end of the pass commit. */
        SERVING,
        /**
         * The first pass ended (normally, with an exception, or by going async): the async part and an error
         * dispatch may still commit; a nested dispatch of the filter now starts an error dispatch, not a forward.
         */
        FINISHED,
        /**
         * A failure was answered (503, 413, 422) or, after an application error, logged: nothing more is saved and
         * no cookie is sent any more.
         */
        ANSWERED
    }

    /** What the browser's cookie led to. */
    private enum Lookup {
        /** Not looked up yet, or the lookup failed in the store and is tried again on the next use. */
        PENDING,
        /** The cookie names a live session: {@link #current} is that session (or what it became). */
        FOUND,
        /** No usable cookie, or one that names no live session. */
        ABSENT
    }

    /**
     * The session cookie the browser will hold once this response arrives, as far as this request has decided. Moves
     * AS_SENT → STALE when the lookup finds nothing for a cookie; any → SET when the live session's cookie is sent;
     * SET or AS_SENT (with a cookie sent) → STALE when the session is invalidated; any → CLEARED when the cookie is
     * cleared. A header the committed response could not carry changes nothing.
     */
    private enum BrowserCookie {
        /** Whatever the browser sent (perhaps nothing), not known to be wrong; this response says nothing about it. */
        AS_SENT,
        /** The cookie it sent, or that this response set, names no live session: it is cleared at commit. */
        STALE,
        /** This response sets the cookie of the live session. */
        SET,
        /** This response clears the cookie. */
        CLEARED
    }

    private Phase phase = Phase.SERVING;
    private Lookup lookup = Lookup.PENDING;
    private BrowserCookie cookie = BrowserCookie.AS_SENT;
    /** Whether the cookie may have to change since the last commit: lets the buffer-size hook skip needless commits. */
    private boolean changedSinceCommit;
    /**
     * A commit runs foreign code (the store, core listeners, the container's response) that may reach one of this
     * request's hooks again on the same thread; that nested call must not commit a session half-way through its commit.
     */
    private boolean committing;
    private ServletSession current;
    private RuntimeException failure;
    private String lastCookieHeader;
    /** The raw id of the cookie this response sets, when {@link #cookie} is SET. */
    private String sentId;

    SessionBinding(SessionManager manager, ServletSessionEvents events, SessionCookies cookies,
                   HttpServletRequest request, HttpServletResponse response, ServletContext context) {
        this.manager = manager;
        this.events = events;
        this.cookies = cookies;
        this.request = request;
        this.response = response;
        this.context = context;
    }

    private SessionCookies.Presented presented() {
        if (presented == null) {
            presented = cookies.read(request);
        }
        return presented;
    }

    CloakroomConfig config() {
        return manager.config();
    }

    ServletSessionEvents events() {
        return events;
    }

    ServletContext servletContext() {
        return context;
    }

    synchronized boolean isFinished() {
        return phase != Phase.SERVING;
    }

    /** The session, looked up from the cookie on first use; a new one if {@code create} and none is live. */
    synchronized ServletSession session(boolean create) {
        if (current != null && !current.session().isInvalidated()) {
            return current;
        }
        if (lookup == Lookup.PENDING) {
            if (presented().rawId() != null) {
                Optional<Session> found;
                try {
                    found = manager.find(presented().rawId());
                } catch (SessionStoreException e) {
                    throw failed(e);
                }
                if (found.isPresent()) {
                    lookup = Lookup.FOUND;
                    current = new ServletSession(found.get(), this);
                    return current;
                }
            }
            lookup = Lookup.ABSENT;
            if (presented().present()) {
                cookie = BrowserCookie.STALE;
                if (presented().rawId() == null) {
                    // the manager never sees this value: not id-shaped, or with signing on, not verified
                    manager.metrics().idRejected(manager.config().signingKeys().isEmpty()
                            ? SessionMetrics.RejectedId.MALFORMED : SessionMetrics.RejectedId.BAD_SIGNATURE);
                }
            }
        }
        if (!create) {
            return null;
        }
        if (response.isCommitted()) {
            throw new IllegalStateException("cannot create a session after the response has been committed");
        }
        current = new ServletSession(manager.create(), this);
        changedSinceCommit = true;
        events.created(current);
        return current;
    }

    synchronized String changeId() {
        ServletSession session = session(false);
        if (session == null) {
            throw new IllegalStateException("no session is associated with this request");
        }
        if (response.isCommitted()) {
            throw new IllegalStateException("cannot change the session id after the response has been committed: the browser would keep the old one");
        }
        String oldId = session.getId();
        session.session().changeId();
        changedSinceCommit = true;
        events.idChanged(session, oldId);
        return session.getId();
    }

    /** The verified id from the cookie, or null. */
    synchronized String requestedId() {
        return presented().rawId();
    }

    synchronized boolean requestedIdValid() {
        if (presented().rawId() == null) {
            return false;
        }
        ServletSession session = session(false);
        return lookup == Lookup.FOUND && session != null && presented().rawId().equals(session.getId());
    }

    /** The store confirmed the end of the current session: the browser's cookie for it is now stale. */
    synchronized void invalidated() {
        changedSinceCommit = true;
        if (cookie == BrowserCookie.SET || (cookie == BrowserCookie.AS_SENT && presented().present())) {
            cookie = BrowserCookie.STALE;
        }
    }

    /** Records a store failure seen by the application, so that the request is answered 503 even if it is caught. */
    synchronized RuntimeException failed(RuntimeException e) {
        if (failure == null) {
            failure = e;
        }
        return e;
    }

    /**
     * Saves the session and sets or clears the cookie, if the response can still carry it. Called before anything
     * commits the response and at the end of the request; repeating it is harmless (core writes only changes).
     *
     * @throws SessionStoreException if the store fails
     * @throws SessionTooLargeException if the session outgrew its cap
     * @throws UnsupportedAttributeException if a value turned unstorable after {@code setAttribute} (mutated in place)
     */
    synchronized void commit() {
        if (phase == Phase.ANSWERED || committing) {
            return;
        }
        committing = true;
        try {
            commitNow();
        } catch (SessionStoreException | SessionTooLargeException | UnsupportedAttributeException e) {
            if (failure == null) {
                failure = e;
            }
            throw e;
        } finally {
            committing = false;
        }
    }

    /** Notes a change that may alter the cookie (new data, new id, invalidation). */
    synchronized void changed() {
        changedSinceCommit = true;
    }

    synchronized boolean changedSinceCommit() {
        return changedSinceCommit;
    }

    private void commitNow() {
        changedSinceCommit = false;
        ServletSession servletSession = current;
        if (servletSession == null) {
            if (cookie == BrowserCookie.STALE) {
                clearCookie();
            }
            return;
        }
        Session session = servletSession.session();
        if (session.isNew() && !session.isInvalidated() && response.isCommitted()) {
            // Its cookie could not reach the browser: storing it would only leave an orphan record behind.
            LOG.warn("{} was created after the response had been committed; its data is dropped", session.key());
            return;
        }
        CommitOutcome outcome;
        try {
            outcome = manager.commit(session);
        } catch (RuntimeException e) {
            // A commit that threw may still have stored the session (a new one, or under its new id) before refusing
            // an attribute: the browser needs that cookie with the error answer.
            keepCookieInStep(session, false);
            throw e;
        }
        keepCookieInStep(session, outcome == CommitOutcome.SAVED);
    }

    /**
     * Sets or clears the cookie from what the session's state says the store holds now: an ended session's cookie is
     * cleared; a stored one's is sent when {@link SessionCookies#mustSend} says so, or to re-sign it with the current
     * key; otherwise a stale cookie is cleared.
     */
    private void keepCookieInStep(Session session, boolean saved) {
        if (session.isInvalidated()) {
            if (presented().present() || cookie == BrowserCookie.SET || cookie == BrowserCookie.STALE) {
                clearCookie();
            }
            return;
        }
        if (session.isStored()) {
            boolean heldAsSent = cookie == BrowserCookie.AS_SENT && lookup == Lookup.FOUND
                    && session.id().equals(presented().rawId());
            boolean held = heldAsSent || (cookie == BrowserCookie.SET && session.id().equals(sentId));
            if (cookies.mustSend(held, saved) || (heldAsSent && presented().oldKey())) {
                setCookie(session);
            }
            return;
        }
        // Not stored under its current id: a new session without data, or one whose id change is not saved yet (the
        // browser's cookie still names the stored session then).
        if (cookie == BrowserCookie.STALE) {
            clearCookie();
        }
    }

    private void setCookie(Session session) {
        if (writeCookie(cookies.set(session, cookies.secure(request)))) {
            cookie = BrowserCookie.SET;
            sentId = session.id();
        }
    }

    private void clearCookie() {
        if (writeCookie(cookies.clear(cookies.secure(request)))) {
            cookie = BrowserCookie.CLEARED;
        }
    }

    private boolean writeCookie(String header) {
        if (header.equals(lastCookieHeader)) {
            return true;
        }
        if (response.isCommitted()) {
            LOG.warn("the response was committed before the session cookie could be {}",
                    current == null ? "cleared" : "sent for " + current.session().key());
            return false;
        }
        response.addHeader("Set-Cookie", header);
        response.setHeader("Cache-Control", "no-store");
        lastCookieHeader = header;
        return true;
    }

    /** After {@code response.reset()} or {@code setHeader("Set-Cookie", ...)}: puts back the cookie header they removed. */
    synchronized void reapplyCookie() {
        if (lastCookieHeader != null && phase != Phase.ANSWERED) {
            response.addHeader("Set-Cookie", lastCookieHeader);
            response.setHeader("Cache-Control", "no-store");
        }
    }

    /** The end of the request (or of an error dispatch): commit, or answer a store failure. */
    synchronized void finish() {
        if (commitOrAnswer()) {
            dropUnstored();
        }
    }

    /** @return true if the session was saved, false if the request was answered with an error instead */
    private boolean commitOrAnswer() {
        advanceTo(Phase.FINISHED);
        if (phase == Phase.ANSWERED) {
            return false;
        }
        if (failure != null) {
            answer(failure);
            return false;
        }
        try {
            commit();
            return true;
        } catch (SessionStoreException | SessionTooLargeException | UnsupportedAttributeException e) {
            answer(e);
            return false;
        }
    }

    /**
     * The application threw {@code thrown}: answer it if it is a store failure or the failure of one of our commits
     * passed on; otherwise it is the application's own, which stands, and what can be saved is saved.
     */
    synchronized boolean finishAfter(Throwable thrown) {
        advanceTo(Phase.FINISHED);
        RuntimeException ours = ourFailure(thrown);
        if (ours != null) {
            answer(ours);
            return true;
        }
        try {
            commit();
            dropUnstored();
        } catch (SessionStoreException | SessionTooLargeException | UnsupportedAttributeException e) {
            logFailure("saving the session after an application error failed too: {}", e);
            advanceTo(Phase.ANSWERED);
        }
        return false;
    }

    /**
     * The first dispatch of an async request returned: commit now, while the cookie can surely still be set; again
     * before {@code AsyncContext.complete()} (through {@link CloakroomAsyncContext}); and once more when the request
     * has completed, for async code that bypassed the wrappers (its changes are saved, its cookie changes are lost).
     */
    synchronized void finishInitialDispatch(AsyncContext async) {
        if (!commitOrAnswer()) {
            async.complete();
            return;
        }
        async.addListener(new AsyncListener() {
            @Override
            public void onComplete(AsyncEvent event) {
                commitQuietly();
            }

            @Override
            public void onTimeout(AsyncEvent event) {
            }

            @Override
            public void onError(AsyncEvent event) {
            }

            @Override
            public void onStartAsync(AsyncEvent event) {
                event.getAsyncContext().addListener(this);
            }
        });
    }

    /** {@code AsyncContext.complete()} was called: the last moment the cookie can still be set. */
    synchronized void beforeAsyncComplete() {
        commitOrAnswer();
    }

    private synchronized void commitQuietly() {
        try {
            commit();
        } catch (SessionStoreException | SessionTooLargeException | UnsupportedAttributeException e) {
            logFailure("saving the session at the end of an async request failed; its changes are lost: {}", e);
        }
    }

    /** Moves the phase forward to {@code next}; never back. */
    private void advanceTo(Phase next) {
        if (next.compareTo(phase) > 0) {
            phase = next;
        }
    }

    private void dropUnstored() {
        ServletSession servletSession = current;
        if (servletSession != null && servletSession.session().isNew() && !servletSession.session().isInvalidated()) {
            servletSession.dropped();
        }
    }

    /**
     * Writes the 503 (store down), 413 (session too large) or 422 (unstorable value) response, unless the response is
     * already committed.
     */
    private void answer(RuntimeException cause) {
        if (cause instanceof UnsupportedAttributeException unsupported) {
            answerUnsupported(unsupported);
            return;
        }
        advanceTo(Phase.ANSWERED);
        boolean tooLarge = cause instanceof SessionTooLargeException;
        if (response.isCommitted()) {
            logFailure("session store failure after the response was committed; the session's changes are lost: {}", cause);
            return;
        }
        logFailure(tooLarge ? "session too large, answered 413: {}" : "session store failed, answered 503: {}", cause);
        response.reset();
        response.setStatus(tooLarge ? 413 : HttpServletResponse.SC_SERVICE_UNAVAILABLE);
        if (tooLarge) {
            // What was stored before the refused write is real: the browser must hold its cookie.
            putBackCookie();
        } else {
            response.setHeader("Retry-After", Long.toString(CloakroomFilter.RETRY_AFTER.toSeconds()));
        }
        writeBody(tooLarge
                ? "This request would make your session larger than this site allows, so it was not saved.\n"
                : "Sessions are unavailable at the moment. Please try again in a few seconds.\n");
    }

    /**
     * An attribute the codec or the store refused at commit (a value mutated in place after {@code setAttribute}).
     * Answered 422 Unprocessable Content (RFC 9110, 15.5.21): the request was well-formed, so not 400, and retrying it
     * unchanged cannot help, so not 503; but what it carried (typically a lone UTF-16 surrogate from the client's
     * input) cannot be kept. The application's own answer stands: a committed response, or an error status it set.
     * The cookie decided at commit stays: the other changes were saved, perhaps as a new session or under a new id.
     */
    private void answerUnsupported(UnsupportedAttributeException cause) {
        advanceTo(Phase.ANSWERED);
        if (response.isCommitted() || response.getStatus() >= 400) {
            logFailure("an attribute could not be stored, the application's answer stands and the attribute is lost: {}", cause);
            return;
        }
        logFailure("an attribute could not be stored, answered 422: {}", cause);
        response.reset();
        response.setStatus(422);
        putBackCookie();
        writeBody("This request could not be completed: some of its data cannot be kept in your session. "
                + "Please check what you entered and try again.\n");
    }

    /** After {@code response.reset()} in an error answer: the cookie this response was to carry, if any. */
    private void putBackCookie() {
        if (lastCookieHeader != null) {
            response.addHeader("Set-Cookie", lastCookieHeader);
        }
    }

    private void writeBody(String body) {
        response.setHeader("Cache-Control", "no-store");
        response.setContentType("text/plain;charset=UTF-8");
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        response.setContentLength(bytes.length);
        try {
            try {
                ServletOutputStream out = response.getOutputStream();
                out.write(bytes);
            } catch (IllegalStateException writerInUse) {
                PrintWriter writer = response.getWriter();
                writer.write(body);
            }
            response.flushBuffer();
        } catch (IOException e) {
            LOG.debug("could not send the error response", e);
        }
    }

    /** Messages of core exceptions name sessions only by their hashed key, so they are safe to log. */
    private static void logFailure(String message, RuntimeException cause) {
        long now = System.nanoTime();
        long last = LAST_FAILURE_WARNING.get();
        if (now - last >= FAILURE_WARNING_INTERVAL_NANOS && LAST_FAILURE_WARNING.compareAndSet(last, now)) {
            LOG.warn(message + " (more failures in the next 10 s are logged at DEBUG)", cause.toString());
            LOG.debug("failure detail", cause);
        } else {
            LOG.debug(message, cause.toString(), cause);
        }
    }

    /** A store failure, or the failure of one of our own commits, in {@code thrown}'s cause chain; else null. */
    private RuntimeException ourFailure(Throwable thrown) {
        Throwable t = thrown;
        for (int depth = 0; t != null && depth < 16; depth++, t = t.getCause()) {
            if (t instanceof SessionStoreException || t instanceof SessionTooLargeException || t == failure) {
                return (RuntimeException) t;
            }
        }
        return null;
    }
}
