package dev.cloakroom.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.File;
import java.lang.reflect.InvocationTargetException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * HikariCP is an optional dependency: this loads the store in a class loader that has everything on the test class
 * path except HikariCP, as an application that passes its own DataSource would.
 */
@Tag("server")
class WithoutHikariTest {

    private static URLClassLoader loaderWithoutHikari() {
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        URL[] urls = Arrays.stream(classPath.split(File.pathSeparator))
                .filter(entry -> !entry.contains("HikariCP"))
                .map(entry -> {
                    try {
                        return Path.of(entry).toUri().toURL();
                    } catch (MalformedURLException e) {
                        throw new IllegalStateException(e);
                    }
                })
                .toArray(URL[]::new);
        return new URLClassLoader(urls, ClassLoader.getPlatformClassLoader());
    }

    @Test
    void urlWhenHikariIsMissingThenClearErrorNamingIt() throws Exception {
        try (URLClassLoader loader = loaderWithoutHikari()) {
            assertThat(catchThrowable(() -> loader.loadClass("com.zaxxer.hikari.HikariDataSource"))).isInstanceOf(ClassNotFoundException.class);
            Object builder = loader.loadClass("dev.cloakroom.jdbc.JdbcSessionStore").getMethod("builder").invoke(null);
            builder.getClass().getMethod("url", String.class).invoke(builder, TestDatabases.POSTGRES_URL);

            Throwable thrown = catchThrowable(() -> builder.getClass().getMethod("build").invoke(builder));

            assertThat(thrown).isInstanceOf(InvocationTargetException.class);
            assertThat(thrown.getCause()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("HikariCP").hasMessageContaining("dataSource(");
        }
    }

    @Test
    void dataSourceWhenHikariIsMissingThenTheStoreWorks() throws Exception {
        Path directory = Files.createTempDirectory("cloakroom-h2-nohikari");
        try (URLClassLoader loader = loaderWithoutHikari()) {
            Object dataSource = loader.loadClass("org.h2.jdbcx.JdbcDataSource").getConstructor().newInstance();
            dataSource.getClass().getMethod("setURL", String.class).invoke(dataSource, "jdbc:h2:file:" + directory.resolve("s").toAbsolutePath());
            Class<?> dataSourceType = loader.loadClass("javax.sql.DataSource");
            Object builder = loader.loadClass("dev.cloakroom.jdbc.JdbcSessionStore").getMethod("builder").invoke(null);
            builder.getClass().getMethod("dataSource", dataSourceType).invoke(builder, dataSource);
            Object store = builder.getClass().getMethod("build").invoke(builder);
            try {
                Class<?> keyType = loader.loadClass("dev.cloakroom.SessionKey");
                Object key = keyType.getMethod("of", String.class).invoke(null, "no-hikari");
                Object loaded = store.getClass().getMethod("load", keyType).invoke(store, key);
                assertThat(loaded).isEqualTo(Optional.empty());
            } finally {
                store.getClass().getMethod("close").invoke(store);
            }
        } finally {
            try (var files = Files.walk(directory)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }
}
