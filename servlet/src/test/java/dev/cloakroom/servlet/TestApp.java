package dev.cloakroom.servlet;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** The application under test: one action per path, answers in plain text. */
final class TestApp extends HttpServlet {
    private final transient Runnable afterBody;

    TestApp() {
        this(() -> { });
    }

    /** {@code afterBody}: run by {@code /get-sized} once its whole body is written (a test advances its clock there). */
    TestApp(Runnable afterBody) {
        this.afterBody = afterBody;
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        response.setContentType("text/plain;charset=UTF-8");
        String name = request.getParameter("name");
        String value = request.getParameter("value");
        switch (String.valueOf(request.getPathInfo())) {
            case "/none" -> response.getWriter().print("untouched");
            case "/set" -> {
                request.getSession().setAttribute(name, value);
                response.getWriter().print("ok");
            }
            case "/get" -> {
                HttpSession session = request.getSession(false);
                response.getWriter().print(session == null ? "no session" : String.valueOf(session.getAttribute(name)));
            }
            case "/get-sized" -> {
                // a declared length, reached by the one write: containers may commit the response right there
                byte[] body = String.valueOf(request.getSession().getAttribute(name)).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                response.setContentLength(body.length);
                response.getOutputStream().write(body);
                afterBody.run();
            }
            case "/remove" -> {
                request.getSession().removeAttribute(name);
                response.getWriter().print("ok");
            }
            case "/touch" -> {
                HttpSession session = request.getSession();
                response.getWriter().print("new=" + session.isNew());
            }
            case "/is-new" -> {
                HttpSession session = request.getSession();
                session.setAttribute("seen", "yes");
                response.getWriter().print("new=" + session.isNew());
            }
            case "/redirect" -> {
                request.getSession().setAttribute(name, value);
                response.sendRedirect("/get?name=" + name);
            }
            case "/error" -> {
                request.getSession().setAttribute(name, value);
                response.sendError(409, "conflict on purpose");
            }
            case "/create-after-commit" -> {
                response.getWriter().print("committed;");
                response.flushBuffer();
                try {
                    request.getSession();
                    response.getWriter().print("created");
                } catch (IllegalStateException e) {
                    response.getWriter().print("refused");
                }
            }
            case "/throw" -> {
                request.getSession().setAttribute(name, value);
                throw new IllegalStateException("application failure on purpose");
            }
            case "/own-cookie" -> {
                response.setBufferSize(8192);
                request.getSession().setAttribute(name, value);
                // Enough chars that the session is saved (the writer may fill the buffer), not enough to commit.
                response.getWriter().print("x".repeat(4000));
                response.reset();
                response.setHeader("Set-Cookie", "theme=dark; Path=/");
                response.setContentType("text/plain;charset=UTF-8");
                response.getWriter().print("own cookie");
            }
            case "/flush" -> {
                request.getSession().setAttribute(name, value);
                PrintWriter writer = response.getWriter();
                writer.print("flushed");
                writer.flush();
            }
            case "/large-body" -> {
                request.getSession().setAttribute(name, value);
                byte[] body = new byte[Integer.parseInt(request.getParameter("size"))];
                java.util.Arrays.fill(body, (byte) 'x');
                response.setContentLength(body.length);
                response.getOutputStream().write(body);
            }
            case "/invalidate" -> {
                HttpSession session = request.getSession(false);
                if (session != null) {
                    session.invalidate();
                }
                response.getWriter().print("invalidated");
            }
            case "/change-id" -> {
                String newId = request.changeSessionId();
                response.getWriter().print(newId.equals(request.getRequestedSessionId()) ? "same" : "changed");
            }
            case "/max-inactive" -> {
                HttpSession session = request.getSession();
                if (value != null) {
                    session.setMaxInactiveInterval(Integer.parseInt(value));
                }
                response.getWriter().print(session.getMaxInactiveInterval());
            }
            case "/increment" -> {
                Number n = ((CloakroomHttpSession) request.getSession()).update("n", (Number current) -> current == null ? 1 : current.intValue() + 1);
                response.getWriter().print(n);
            }
            case "/requested" -> {
                String id = request.getRequestedSessionId();
                response.getWriter().print("present=" + (id != null) + " valid=" + request.isRequestedSessionIdValid()
                        + " cookie=" + request.isRequestedSessionIdFromCookie() + " url=" + request.isRequestedSessionIdFromURL());
            }
            case "/after-invalidate" -> {
                HttpSession session = request.getSession();
                session.setAttribute("a", "1");
                session.invalidate();
                StringBuilder thrown = new StringBuilder();
                for (Runnable call : new Runnable[] {
                        () -> session.getAttribute("a"), () -> session.setAttribute("a", "2"), session::isNew,
                        session::getCreationTime, session::getAttributeNames, session::invalidate}) {
                    try {
                        call.run();
                        thrown.append("-");
                    } catch (IllegalStateException e) {
                        thrown.append("I");
                    }
                }
                response.getWriter().print(thrown);
            }
            case "/unsupported" -> {
                try {
                    request.getSession().setAttribute(name, new Object());
                    response.getWriter().print("stored");
                } catch (IllegalArgumentException e) {
                    response.getWriter().print("rejected: " + e.getClass().getSimpleName());
                }
            }
            case "/mutate-in-place" -> mutateInPlace(request, response, name, value);
            case "/grow" -> {
                HttpSession session = request.getSession();
                session.setAttribute(name, value);
                before(request, response);
                session.setAttribute("big", "x".repeat(Integer.parseInt(request.getParameter("size"))));
                response.getWriter().print("ok");
            }
            case "/async" -> {
                request.getSession().setAttribute(name, value);
                AsyncContext async = request.startAsync();
                async.start(() -> {
                    try {
                        async.getResponse().getWriter().print("async ok");
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                    async.complete();
                });
            }
            case "/async-late" -> {
                AsyncContext async = request.startAsync();
                async.start(() -> {
                    try {
                        request.getSession().setAttribute(name, value);
                        async.getResponse().getWriter().print("late ok");
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                    request.getAsyncContext().complete();
                });
            }
            case "/get-catching" -> {
                try {
                    response.getWriter().print(String.valueOf(request.getSession().getAttribute(name)));
                } catch (dev.cloakroom.SessionStoreException e) {
                    response.getWriter().print("degraded page");
                }
            }
            case "/context" -> response.getWriter().print(request.getSession().getServletContext() != null);
            default -> response.sendError(404);
        }
    }

    /**
     * Sets {@code name=value}, then a list that turns unstorable after {@code setAttribute} checked it, which only
     * commit can find out: {@code bad=surrogate} adds a lone UTF-16 surrogate, anything else an {@code Object}.
     * {@code before} acts before the list turns bad (see {@link #before}); {@code after=throw} or {@code after=409} is
     * the application's own failure.
     */
    private static void mutateInPlace(HttpServletRequest request, HttpServletResponse response, String name, String value)
            throws IOException {
        HttpSession session = request.getSession();
        session.setAttribute(name, value);
        session.setAttribute("list", new ArrayList<>(List.of("fine")));
        before(request, response);
        @SuppressWarnings("unchecked")
        List<Object> held = (List<Object>) session.getAttribute("list");
        held.add("surrogate".equals(request.getParameter("bad")) ? "\uD800" : new Object());
        switch (String.valueOf(request.getParameter("after"))) {
            case "throw" -> throw new IllegalStateException("application failure on purpose");
            case "409" -> {
                response.setStatus(409);
                response.getWriter().print("conflict");
            }
            default -> response.getWriter().print("ok");
        }
    }

    /**
     * What the {@code before} parameter asks for: {@code save} gets the session saved (not the response committed),
     * {@code commit} commits the response, {@code change-id} changes the session id.
     */
    private static void before(HttpServletRequest request, HttpServletResponse response) throws IOException {
        switch (String.valueOf(request.getParameter("before"))) {
            case "save" -> {
                // Enough chars that the session is saved (the writer may fill the buffer), not enough to commit.
                response.setBufferSize(8192);
                response.getWriter().print("x".repeat(4000));
            }
            case "commit" -> response.flushBuffer();
            case "change-id" -> request.changeSessionId();
            default -> { }
        }
    }
}
