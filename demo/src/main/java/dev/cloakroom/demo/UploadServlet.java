package dev.cloakroom.demo;

import dev.cloakroom.SessionManager;
import dev.cloakroom.servlet.CloakroomHttpSession;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;
import jakarta.servlet.http.Part;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The seed's two Flask views: {@code greeting} on {@code /} (GET shows the form, POST keeps the file's lines in the
 * session under {@code file_contents} and redirects) and {@code action} on {@code /action} (lists them), plus
 * {@code POST /logout}, which ends the session. Also renders every error page, so that those carry the same headers
 * as the others.
 *
 * <p>Bad input never reaches the session: the upload is read and checked completely before the session is opened.
 */
final class UploadServlet extends HttpServlet {
    private static final Logger LOG = LoggerFactory.getLogger(UploadServlet.class);
    static final String FILE_FIELD = "textfile";
    static final String FILE_CONTENTS = "file_contents";
    static final String UPLOADS = "uploads";
    static final String ALLOWED_METHODS = "GET, HEAD, POST, OPTIONS";
    /** How much of a refused body, as a multiple of the limit, is read away so that the client sees the refusal. */
    static final long DRAINED_BODY_FACTOR = 4;
    static final String NO_FILE_MESSAGE = "No file was chosen. Choose a text file, then press Upload.";

    private final transient Pages pages;
    private final transient SessionManager manager;
    private final long maxContentLength;

    UploadServlet(Pages pages, SessionManager manager, long maxContentLength) {
        this.pages = pages;
        this.manager = manager;
        this.maxContentLength = maxContentLength;
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws ServletException, IOException {
        if (request.getDispatcherType() == DispatcherType.ERROR) {
            // Jetty forwards its own errors here (ErrorPageErrorHandler): whatever the method, answer with a page.
            Object status = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
            errorPage(response, status instanceof Integer code ? code : HttpServletResponse.SC_INTERNAL_SERVER_ERROR);
            return;
        }
        switch (request.getMethod()) {
            case "GET", "HEAD", "POST", "OPTIONS" -> super.service(request, response);
            // HttpServlet would answer these with sendError, which Jetty renders without a body or our headers;
            // TRACE would echo the request's headers, the cookie included.
            default -> {
                response.setHeader("Allow", ALLOWED_METHODS);
                errorPage(response, HttpServletResponse.SC_METHOD_NOT_ALLOWED);
            }
        }
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        switch (path(request)) {
            case "/" -> greeting(request, response, HttpServletResponse.SC_OK, null);
            case "/action" -> action(request, response);
            default -> errorPage(response, HttpServletResponse.SC_NOT_FOUND);
        }
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        switch (path(request)) {
            case "/" -> upload(request, response);
            case "/action" -> action(request, response);
            case "/logout" -> logout(request, response);
            default -> errorPage(response, HttpServletResponse.SC_NOT_FOUND);
        }
    }

    /** Forgets the upload: the session is deleted from the store and its cookie cleared; back to the form. */
    private void logout(HttpServletRequest request, HttpServletResponse response) {
        HttpSession session = request.getSession(false);
        if (session != null) {
            session.invalidate();
        }
        response.setStatus(HttpServletResponse.SC_SEE_OTHER);
        Pages.securityHeaders(response::setHeader);
        response.setHeader("Location", Pages.ROUTES.get("greeting"));
        response.setContentLength(0);
    }

    private void upload(HttpServletRequest request, HttpServletResponse response) throws IOException {
        // A declared length over the cap is refused before a byte of the body is read; a chunked body is cut off by
        // the multipart limits (maxRequestSize = MAX_CONTENT_LENGTH) while it is parsed.
        if (request.getContentLengthLong() > maxContentLength) {
            refuseTooLarge(request, response);
            return;
        }
        // Jetty signals a body that is not multipart with the same IllegalStateException as the size limit: tell them
        // apart here, so that a wrong content type is not answered "too large"
        if (!isMultipartForm(request.getContentType())) {
            refuseWithoutFile(request, response);
            return;
        }
        Part file;
        try {
            file = request.getPart(FILE_FIELD);
        } catch (IllegalStateException e) {
            refuseTooLarge(request, response);
            return;
        } catch (ServletException | IOException e) {
            if (isSizeLimit(e)) {
                refuseTooLarge(request, response);
                return;
            }
            LOG.debug("upload without a readable multipart body: {}", e.toString());
            refuseWithoutFile(request, response);
            return;
        }
        if (file == null || file.getSubmittedFileName() == null || file.getSubmittedFileName().isBlank()) {
            greeting(request, response, HttpServletResponse.SC_BAD_REQUEST, NO_FILE_MESSAGE);
            return;
        }
        byte[] bytes;
        try (InputStream in = file.getInputStream()) {
            bytes = in.readNBytes((int) maxContentLength + 1);
        }
        if (bytes.length > maxContentLength) {
            tooLarge(response);
            return;
        }
        List<String> lines;
        try {
            lines = TextLines.of(bytes);
        } catch (CharacterCodingException e) {
            errorPage(response, HttpServletResponse.SC_BAD_REQUEST, "Not a text file",
                    "The file is not UTF-8 text, so it cannot be shown. Upload a plain text file saved as UTF-8.");
            return;
        }
        // The session size cap would refuse this at commit, after the upload count was already written: check first,
        // counting the count at its largest too, as the session will hold both.
        long encodedSize = FILE_CONTENTS.length()
                + (long) manager.codec().encode(lines).getBytes(StandardCharsets.UTF_8).length
                + UPLOADS.length() + Long.toString(Long.MAX_VALUE).length();
        if (encodedSize > manager.config().maxSessionBytes()) {
            errorPage(response, HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE, "File too large",
                    "This file takes more room than a session may hold (" + manager.config().maxSessionBytes()
                            + " bytes). Upload a smaller file.");
            return;
        }
        HttpSession session = request.getSession();
        session.setAttribute(FILE_CONTENTS, lines);
        // Atomic in the store: parallel uploads of one visitor are all counted.
        ((CloakroomHttpSession) session).<Number>update(UPLOADS, n -> n == null ? 1 : n.longValue() + 1);
        response.setStatus(HttpServletResponse.SC_SEE_OTHER);
        Pages.securityHeaders(response::setHeader);
        response.setHeader("Location", Pages.ROUTES.get("action"));
        response.setContentLength(0);
    }

    private void greeting(HttpServletRequest request, HttpServletResponse response, int status, String message)
            throws IOException {
        Map<String, Object> context = new HashMap<>();
        context.put("session", sessionView(request));
        context.put("message", message);
        pages.render(response, status, "greeting.html", context);
    }

    private void action(HttpServletRequest request, HttpServletResponse response) throws IOException {
        pages.render(response, HttpServletResponse.SC_OK, "action.html", Map.of("session", sessionView(request)));
    }

    /** What the templates read from the session (as Jinja's {@code session.file_contents}); never creates one. */
    private static Map<String, Object> sessionView(HttpServletRequest request) {
        Map<String, Object> view = new HashMap<>();
        HttpSession session = request.getSession(false);
        Object uploads = session == null ? null : session.getAttribute(UPLOADS);
        view.put(FILE_CONTENTS, session == null ? null : session.getAttribute(FILE_CONTENTS));
        view.put(UPLOADS, uploads == null ? 0 : uploads);
        return view;
    }

    private void refuseTooLarge(HttpServletRequest request, HttpServletResponse response) throws IOException {
        discardBody(request);
        tooLarge(response);
    }

    private void refuseWithoutFile(HttpServletRequest request, HttpServletResponse response) throws IOException {
        discardBody(request);
        greeting(request, response, HttpServletResponse.SC_BAD_REQUEST, NO_FILE_MESSAGE);
    }

    /**
     * Reads away what is left of a refused request's body, so that the client sees the refusal. Closing a connection
     * with unread bytes in its receive buffer makes the kernel reset it, and a client still sending (a browser, the
     * JDK's client) then loses the page and shows "connection reset"; and a connection Jetty closes after answering
     * is one the client may already have picked for its next request. Beyond {@value #DRAINED_BODY_FACTOR} times the
     * limit the body is not worth reading and the connection is closed.
     */
    private void discardBody(HttpServletRequest request) {
        long budget = DRAINED_BODY_FACTOR * maxContentLength;
        if (request.getContentLengthLong() > budget) {
            return;
        }
        try (InputStream body = request.getInputStream()) {
            byte[] buffer = new byte[8192];
            int read;
            while (budget > 0 && (read = body.read(buffer, 0, (int) Math.min(buffer.length, budget))) >= 0) {
                budget -= read;
            }
        } catch (IllegalStateException | IOException e) {
            LOG.debug("the rest of a refused upload could not be read: {}", e.toString());
        }
    }

    private void tooLarge(HttpServletResponse response) throws IOException {
        errorPage(response, HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE, "File too large",
                "The upload is larger than the limit of " + maxContentLength + " bytes (MAX_CONTENT_LENGTH). "
                        + "Upload a smaller file.");
    }

    private void errorPage(HttpServletResponse response, int status) throws IOException {
        switch (status) {
            case HttpServletResponse.SC_NOT_FOUND -> errorPage(response, status, "Not found",
                    "There is no page at this address.");
            case HttpServletResponse.SC_METHOD_NOT_ALLOWED -> errorPage(response, status, "Method not allowed",
                    "This page answers GET and POST only.");
            case HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE -> tooLarge(response);
            case HttpServletResponse.SC_SERVICE_UNAVAILABLE -> errorPage(response, status, "Try again shortly",
                    "The session store is not answering right now. Please try again in a moment.");
            default -> errorPage(response, status, status >= 500 ? "Something went wrong" : "Bad request",
                    status >= 500 ? "The server could not answer this request." : "The server could not understand this request.");
        }
    }

    private void errorPage(HttpServletResponse response, int status, String heading, String message) throws IOException {
        Map<String, Object> context = new HashMap<>();
        context.put("heading", heading);
        context.put("message", message);
        pages.render(response, status, "error.html", context);
    }

    private static String path(HttpServletRequest request) {
        String pathInfo = request.getPathInfo();
        return request.getServletPath() + (pathInfo == null ? "" : pathInfo);
    }

    /** Whether {@code contentType} is {@code multipart/form-data} with a boundary, as the upload form sends it. */
    private static boolean isMultipartForm(String contentType) {
        if (contentType == null) {
            return false;
        }
        String[] parts = contentType.split(";");
        if (!parts[0].strip().equalsIgnoreCase("multipart/form-data")) {
            return false;
        }
        for (int i = 1; i < parts.length; i++) {
            String parameter = parts[i].strip();
            int equals = parameter.indexOf('=');
            if (equals > 0 && parameter.substring(0, equals).strip().equalsIgnoreCase("boundary")
                    && !parameter.substring(equals + 1).strip().replace("\"", "").isEmpty()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether a multipart parsing failure was the size limit: the Servlet specification signals it with an
     * {@link IllegalStateException}, which Jetty 12 wraps (ServletException, then BadMessageException).
     */
    private static boolean isSizeLimit(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof IllegalStateException) {
                return true;
            }
        }
        return false;
    }
}
