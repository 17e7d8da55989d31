package dev.cloakroom.bench.server;

import dev.cloakroom.bench.Pages;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/** The harness's endpoints on a contender: its JDBC counters, and its cleanup run on demand. Never uses the session. */
final class AdminServlet extends HttpServlet {
    private final Wiring wiring;

    AdminServlet(Wiring wiring) {
        this.wiring = wiring;
    }

    /** {@code statements commits}. */
    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        response.setContentType("text/plain");
        response.getWriter().write(wiring.statements() + " " + wiring.commits());
    }

    /** Runs the cleanup to its end; answers {@code milliseconds deleted} (deleted is -1 when the product does not say). */
    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (!Pages.CLEANUP.equals(request.getServletPath())) {
            response.sendError(HttpServletResponse.SC_NOT_FOUND);
            return;
        }
        long started = System.nanoTime();
        long deleted = wiring.cleanUp();
        response.setContentType("text/plain");
        response.getWriter().write((System.nanoTime() - started) / 1_000_000 + " " + deleted);
    }
}
