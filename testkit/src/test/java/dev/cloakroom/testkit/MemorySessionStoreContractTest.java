package dev.cloakroom.testkit;

import dev.cloakroom.MemorySessionStore;
import dev.cloakroom.SessionStore;

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
