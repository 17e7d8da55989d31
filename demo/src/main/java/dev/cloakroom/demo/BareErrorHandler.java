package dev.cloakroom.demo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's error pages for what fails before the demo's servlet context (a malformed request line, a bad header):
 * Jetty's short page, but with the same security headers as every other page and no stack trace.
 */
final class BareErrorHandler extends ErrorHandler {
    BareErrorHandler() {
        setShowStacks(false);
        setShowCauses(false);
    }

    @Override
    protected boolean generateAcceptableResponse(Request request, Response response, Callback callback, String contentType,
            List<Charset> charsets, int code, String message, Throwable cause) throws IOException {
        Pages.securityHeaders(response.getHeaders()::put);
        // HTML in UTF-8 like every other page, whatever the client's Accept and Accept-Charset ask for
        return super.generateAcceptableResponse(request, response, callback, "text/html", List.of(StandardCharsets.UTF_8),
                code, message, cause);
    }

    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        Pages.securityHeaders(fields::put);
        return super.badMessageError(status, reason, fields);
    }
}
