package dev.cloakroom.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloakroom.Settings;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Starting and stopping: settings are validated before anything listens, and close releases the port. */
@Tag("unit")
class DemoAppStartTest {
    @TempDir
    Path dir;

    private Settings settings(String... pairs) {
        Map<String, String> values = new HashMap<>(Map.of("PORT", "0", "SESSION_FILE_DIR", dir.toString()));
        for (int i = 0; i < pairs.length; i += 2) {
            values.put(pairs[i], pairs[i + 1]);
        }
        return Settings.of(values);
    }

    @Test
    void startWhenPortOutOfRangeThenRejectedNamingTheSetting() {
        assertThatThrownBy(() -> DemoApp.start(settings("PORT", "70000")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PORT").hasMessageContaining("70000");
        assertThatThrownBy(() -> DemoApp.start(settings("PORT", "http")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PORT");
    }

    @Test
    void startWhenMaxContentLengthNotPositiveThenRejectedNamingTheSetting() {
        assertThatThrownBy(() -> DemoApp.start(settings("MAX_CONTENT_LENGTH", "0")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("MAX_CONTENT_LENGTH");
        assertThatThrownBy(() -> DemoApp.start(settings("MAX_CONTENT_LENGTH", String.valueOf(Long.MAX_VALUE))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("MAX_CONTENT_LENGTH");
    }

    @Test
    void startWhenStoreTypeUnknownThenRejectedListingTheKnownOnes() {
        assertThatThrownBy(() -> DemoApp.start(settings("SESSION_TYPE", "mongodb")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("mongodb")
                .hasMessageContaining("filesystem").hasMessageContaining("redis");
    }

    @Test
    void startWhenPortTakenThenIllegalStateWithCause() {
        try (DemoApp first = DemoApp.start(settings("SESSION_TYPE", "memory"))) {
            assertThatThrownBy(() -> DemoApp.start(settings("SESSION_TYPE", "memory", "PORT", String.valueOf(first.port()))))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining(String.valueOf(first.port())).hasCauseInstanceOf(IOException.class);
        }
    }

    @Test
    void closeWhenCalledThenPortReleasedAndSecondCloseHarmless() throws Exception {
        DemoApp app = DemoApp.start(settings("SESSION_TYPE", "memory"));
        int port = app.port();
        assertThat(app.uri().toString()).isEqualTo("http://127.0.0.1:" + port + "/");
        new Socket("127.0.0.1", port).close();

        app.close();
        app.close();

        assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).isInstanceOf(ConnectException.class);
    }
}
