package dev.cloakroom.testkit;

import org.junit.jupiter.api.Tag;

import dev.cloakroom.memory.MemorySessionStore;
import dev.cloakroom.spi.SessionStore;

@Tag("unit")
class MemorySessionStoreContractTest extends SessionStoreContract {
    private RecordingStore recording;
    private MemorySessionStore memory;

    @Override
    protected SessionStore createStore() {
        memory = new MemorySessionStore();
        recording = new RecordingStore(memory);
        return recording;
    }

    @Override
    protected String principalIndexOf(String principal) {
        return memory.holdsPrincipalIndexFor(principal) ? "an entry for " + principal : "";
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
