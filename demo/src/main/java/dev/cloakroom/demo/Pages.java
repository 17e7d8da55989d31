package dev.cloakroom.demo;

import io.pebbletemplates.pebble.PebbleEngine;
import io.pebbletemplates.pebble.error.PebbleException;
import io.pebbletemplates.pebble.extension.AbstractExtension;
import io.pebbletemplates.pebble.extension.Function;
import io.pebbletemplates.pebble.loader.ClasspathLoader;
import io.pebbletemplates.pebble.template.EvaluationContext;
import io.pebbletemplates.pebble.template.PebbleTemplate;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Renders the Pebble templates under {@code templates/} (autoescaping on) and sets the headers every page carries.
 * Templates call {@code url_for('greeting')} and {@code url_for('action')} as the seed's Jinja templates do.
 */
final class Pages {
    static final String CONTENT_TYPE = "text/html;charset=utf-8";
    /** No script, no plugin, no style sheet: the pages need none, so an injected one cannot run. */
    static final String CONTENT_SECURITY_POLICY =
            "default-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
    /** Route names as the seed's Flask view functions are called, and their paths. */
    static final Map<String, String> ROUTES = Map.of("greeting", "/", "action", "/action", "logout", "/logout");

    private final PebbleEngine engine;

    Pages() {
        ClasspathLoader loader = new ClasspathLoader(Pages.class.getClassLoader());
        loader.setPrefix("templates");
        loader.setCharset(StandardCharsets.UTF_8.name());
        this.engine = new PebbleEngine.Builder()
                .loader(loader)
                .autoEscaping(true)
                .defaultEscapingStrategy("html")
                .extension(new UrlForExtension())
                .build();
    }

    /** Headers of every response the demo writes itself, error pages and redirects included. */
    static void securityHeaders(BiConsumer<String, String> header) {
        header.accept("X-Content-Type-Options", "nosniff");
        header.accept("Content-Security-Policy", CONTENT_SECURITY_POLICY);
        header.accept("Referrer-Policy", "no-referrer");
        // pages show what a visitor uploaded: keep them out of shared caches and the back-forward cache's disk
        header.accept("Cache-Control", "no-store");
    }

    /**
     * Writes {@code template} rendered with {@code context} as the whole response. The page is rendered into memory
     * first, so a template error yields an error page instead of half a page.
     */
    void render(HttpServletResponse response, int status, String template, Map<String, Object> context) throws IOException {
        StringWriter out = new StringWriter();
        engine.getTemplate(template).evaluate(out, context);
        byte[] body = out.toString().getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        securityHeaders(response::setHeader);
        response.setContentType(CONTENT_TYPE);
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }

    /** {@code url_for('action')}: the path of a route by its name, as in Flask. */
    private static final class UrlForExtension extends AbstractExtension {
        @Override
        public Map<String, Function> getFunctions() {
            return Map.of("url_for", new Function() {
                @Override
                public List<String> getArgumentNames() {
                    return List.of("endpoint");
                }

                @Override
                public Object execute(Map<String, Object> args, PebbleTemplate self, EvaluationContext context, int line) {
                    Object endpoint = args.get("endpoint");
                    String path = ROUTES.get(String.valueOf(endpoint));
                    if (path == null) {
                        throw new PebbleException(null, "url_for: no route named '" + endpoint + "'; known: " + ROUTES.keySet(),
                                line, self.getName());
                    }
                    return path;
                }
            });
        }
    }
}
