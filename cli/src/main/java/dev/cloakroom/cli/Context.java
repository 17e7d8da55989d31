package dev.cloakroom.cli;

import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.spi.SessionStore;

import java.util.function.Function;

/** What every command runs with: the terminal, and the settings lookup under the {@code --set}s. */
record Context(Terminal terminal, Function<String, String> environment) {

    StoreSettings settings(GlobalOptions options) {
        return StoreSettings.of(options.sets, environment);
    }

    /** The configured store with its configuration; the caller closes the store. */
    Opened open(GlobalOptions options) {
        StoreSettings settings = settings(options);
        CloakroomConfig config = settings.config();
        return new Opened(config, settings.openStore(config));
    }

    /** A store and the configuration it was built with. */
    record Opened(CloakroomConfig config, SessionStore store) implements AutoCloseable {
        @Override
        public void close() {
            store.close();
        }
    }
}
