package dev.cloakroom.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Each group is guarded by its classes: an application with Spring Security but without the OAuth2 client or Spring
 * MVC still gets a codec, with the groups it can use. Run in a class loader that holds the test class path minus
 * those jars.
 */
@Tag("unit")
class SpringCodecModuleWithoutOptionalJarsTest {

    @Test
    void buildWhenOAuth2ClientAndMvcAreAbsentThenTheSecurityGroupsStillWork() throws Exception {
        List<URL> urls = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!entry.contains("spring-security-oauth2") && !entry.contains("spring-webmvc")) {
                urls.add(new File(entry).toURI().toURL());
            }
        }
        ClassLoader previous = Thread.currentThread().getContextClassLoader();
        try (URLClassLoader app = new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader())) {
            Thread.currentThread().setContextClassLoader(app);
            assertThat(present(app, "org.springframework.security.oauth2.client.OAuth2AuthorizedClient")).isFalse();
            assertThat(present(app, "org.springframework.web.servlet.FlashMap")).isFalse();

            Class<?> codecType = app.loadClass("dev.cloakroom.SessionCodec");
            Object builder = codecType.getMethod("builder").invoke(null);
            Object codec = builder.getClass().getMethod("build").invoke(builder);
            Object token = app.loadClass("org.springframework.security.web.csrf.DefaultCsrfToken")
                    .getConstructor(String.class, String.class, String.class).newInstance("X-CSRF-TOKEN", "_csrf", "t");
            Object authority = app.loadClass("org.springframework.security.core.authority.SimpleGrantedAuthority")
                    .getConstructor(String.class).newInstance("ROLE_USER");

            Object encoded = codecType.getMethod("encode", Object.class).invoke(codec, List.of(token, authority));

            assertThat(encoded).asString().contains("\"@type\":\"spring.csrf-token\"").contains("\"@type\":\"spring.authority\"");
        } finally {
            Thread.currentThread().setContextClassLoader(previous);
        }
    }

    private static boolean present(ClassLoader loader, String name) {
        try {
            Class.forName(name, false, loader);
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }
}
