package dev.cloakroom.bench.micro;

import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionManager;
import dev.cloakroom.memory.MemorySessionStore;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * A new session's id (32 bytes from {@code SecureRandom}, base64url), through the public {@code create()}, which
 * touches no store; and the hash that stores see instead of the id ({@code SessionKey.of}: SHA-256, hex).
 */
@State(Scope.Benchmark)
public class IdBenchmark {
    private SessionManager manager;
    private String rawId;

    @Setup
    public void setUp() {
        manager = SessionManager.builder(new MemorySessionStore()).config(CloakroomConfig.builder().build())
                .sweeping(false).build();
        rawId = manager.create().id();
    }

    @TearDown
    public void tearDown() {
        manager.close();
    }

    @Benchmark
    public String newSessionId() {
        return manager.create().id();
    }

    @Benchmark
    public SessionKey hashId() {
        return SessionKey.of(rawId);
    }
}
