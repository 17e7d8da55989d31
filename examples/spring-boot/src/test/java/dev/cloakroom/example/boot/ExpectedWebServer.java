package dev.cloakroom.example.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ApplicationContext;

/**
 * The web server a test must run on: Tomcat, or the one the build execution names in {@code example.web-server}
 * ({@code jetty} in the {@code jetty-test} execution). Checked, so that a class path mistake cannot let a Jetty run
 * pass on Tomcat.
 */
final class ExpectedWebServer {
    private ExpectedWebServer() {
    }

    static void assertStartedBy(ApplicationContext context) {
        String server = ((WebServerApplicationContext) context).getWebServer().getClass().getSimpleName();
        assertThat(server.toLowerCase(Locale.ROOT)).startsWith(System.getProperty("example.web-server", "tomcat"));
    }
}
