package dev.cloakroom.redis;

import dev.cloakroom.SessionKey;
import dev.cloakroom.spi.SessionStore;
import dev.cloakroom.testkit.SessionStoreContract;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The store contract against the standalone Redis on 127.0.0.1:6379, in listener mode: with a fake clock, expiry is
 * only visible to {@code sweep} through the deadline index (the real TTLs are still far off). Listener-off behaviour
 * has its own tests in {@link RedisSessionStoreTest}.
 */
@Tag("server")
class RedisSessionStoreContractTest extends SessionStoreContract {
    private static final String PREFIX = RedisInspector.uniquePrefix("contract");
    private static RedisInspector inspector;

    @BeforeAll
    static void connect() {
        inspector = RedisInspector.shared();
    }

    @AfterAll
    static void cleanUp() {
        inspector.deleteAll(PREFIX);
        inspector.close();
    }

    @Override
    protected SessionStore createStore() {
        return RedisSessionStore.builder("redis://127.0.0.1:6379").keyPrefix(PREFIX).expiryListeners(true).build();
    }

    /** Under a prefix of its own, which the suite's prefix begins and its clean-up covers. */
    @Override
    protected SessionStore createEmptyStore() {
        return RedisSessionStore.builder("redis://127.0.0.1:6379").keyPrefix(PREFIX + "empty:").expiryListeners(true).build();
    }

    @Override
    protected String dumpStorage() {
        return inspector.dump(PREFIX);
    }

    @Override
    protected String principalIndexOf(String principal) {
        return inspector.principalIndex(PREFIX, principal);
    }

    @Override
    protected void writeGarbage(SessionKey key) {
        String redisKey = new KeyLayout(PREFIX).sessionKey(key);
        inspector.redis().del(redisKey);
        inspector.redis().set(redisKey, "\u0000not a session\u00ff");
    }
}
