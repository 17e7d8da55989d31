package dev.cloakroom.bench.server;

import dev.cloakroom.bench.Pages;
import dev.cloakroom.servlet.CloakroomHttpSession;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The four pages, the same for every contender, through the plain {@link HttpSession} API. The one difference is the
 * counter: on Cloakroom it goes through {@link CloakroomHttpSession#update}, the atomic increment the product
 * offers; the peers offer none, so their counter is the usual read and set.
 */
final class WorkloadServlet extends HttpServlet {

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        switch (request.getServletPath()) {
            case Pages.NONE -> answer(response, "none");
            case Pages.READ -> read(request, response);
            default -> response.sendError(HttpServletResponse.SC_METHOD_NOT_ALLOWED, "POST only");
        }
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        switch (request.getServletPath()) {
            case Pages.INCREMENT -> answer(response, Integer.toString(increment(request.getSession())));
            case Pages.UPLOAD -> upload(request, response);
            default -> response.sendError(HttpServletResponse.SC_METHOD_NOT_ALLOWED, "GET only");
        }
    }

    /** Answers {@code <count> <lines>}: what the session holds, read and not changed. */
    private static void read(HttpServletRequest request, HttpServletResponse response) throws IOException {
        HttpSession session = request.getSession(false);
        if (session == null) {
            response.sendError(HttpServletResponse.SC_NOT_FOUND, "no session");
            return;
        }
        Object count = session.getAttribute(Pages.COUNT);
        Object lines = session.getAttribute(Pages.LINES);
        answer(response, (count == null ? 0 : ((Number) count).intValue()) + " "
                + (lines == null ? 0 : ((List<?>) lines).size()));
    }

    private static int increment(HttpSession session) {
        if (session instanceof CloakroomHttpSession cloakroom) {
            return cloakroom.<Number>update(Pages.COUNT, n -> n == null ? 1 : n.intValue() + 1).intValue();
        }
        Object current = session.getAttribute(Pages.COUNT);
        int next = current == null ? 1 : ((Number) current).intValue() + 1;
        session.setAttribute(Pages.COUNT, next);
        return next;
    }

    /** Keeps the body's lines, as the seed's upload page does, and answers how many there were. */
    private static void upload(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String body = new String(request.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        ArrayList<String> lines = new ArrayList<>(body.lines().toList());
        request.getSession().setAttribute(Pages.LINES, lines);
        answer(response, Integer.toString(lines.size()));
    }

    private static void answer(HttpServletResponse response, String text) throws IOException {
        response.setContentType("text/plain;charset=utf-8");
        response.getWriter().write(text);
    }
}
