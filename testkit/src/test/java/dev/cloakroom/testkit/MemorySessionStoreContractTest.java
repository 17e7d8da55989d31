package dev.cloakroom.testkit;

import dev.cloakroom.memory.MemorySessionStore;
import dev.cloakroom.spi.SessionStore;

class MemorySessionStoreContractTest extends SessionStoreContract {
    private MemorySessionStore memory;

    @Override
    protected SessionStore createStore() {
        memory = new MemorySessionStore();
        return memory;
    }

    @Override
    protected String dumpStorage() {
        StringBuilder dump = new StringBuilder();
        memory.snapshot().forEach(r -> dump.append(r.key().value()).append(' ').append(r.attributes()).append('\n'));
        return dump.toString();
    }
}
