package dev.cloakroom.testkit;

import org.junit.jupiter.api.Tag;

import dev.cloakroom.memory.MemorySessionStore;
import dev.cloakroom.spi.SessionStore;

@Tag("unit")
class MemorySessionStoreContractTest extends SessionStoreContract {
    private RecordingStore recording;

    @Override
    protected SessionStore createStore() {
        recording = new RecordingStore(new MemorySessionStore());
        return recording;
    }

    @Override
    protected SessionStore createEmptyStore() {
        return new MemorySessionStore();
    }

    @Override
    protected String dumpStorage() {
        StringBuilder dump = new StringBuilder();
        recording.snapshot().forEach(r -> dump.append(r.key().value()).append(' ').append(r.attributes()).append('\n'));
        return dump.toString();
    }
}
