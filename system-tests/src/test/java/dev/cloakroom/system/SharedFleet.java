package dev.cloakroom.system;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives test methods (a {@code @BeforeAll} one, typically) the run's shared {@link Fleet}: one demo per store on
 * default settings, started on first use, reused by every scenario that needs nothing else (starting a JVM costs
 * seconds on a busy machine), and stopped when the whole run ends. A scenario that kills a shared demo gets a new one
 * on the same store on its next {@link Fleet#on}.
 *
 * <p>The store timeout is 10 s instead of 2 s: the scenarios that share these demos check atomicity and hostile input,
 * not latency, and on a 2-core machine shared with other builds 50 compare-and-set writes on one key can outlast 2 s,
 * after which {@code update()} gives up with a 503 by design.
 */
final class SharedFleet implements ParameterResolver {
    static final String STORE_TIMEOUT_MS = "10000";
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(SharedFleet.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == Fleet.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent("fleet", key -> new Closing(
                new Fleet("shared", launch -> launch.with("SESSION_STORE_TIMEOUT_MS", STORE_TIMEOUT_MS))), Closing.class).fleet();
    }

    /** Closes the fleet when the run's root context closes. */
    private record Closing(Fleet fleet) implements ExtensionContext.Store.CloseableResource {
        @Override
        public void close() throws Exception {
            fleet.close();
        }
    }
}
