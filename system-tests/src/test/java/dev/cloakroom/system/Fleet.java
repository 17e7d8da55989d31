package dev.cloakroom.system;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The demo processes of one scenario class, one per store (or several on one store), each started on first use on a
 * namespace of its own and stopped, with its namespace removed, by {@link #close()}.
 */
final class Fleet implements AutoCloseable {
    private final String scenario;
    private final UnaryOperator<DemoProcess.Launch> settings;
    private final Map<Store, Running> running = new EnumMap<>(Store.class);
    private final List<AutoCloseable> opened = new ArrayList<>();

    /** Demos named after {@code scenario}, each launch given {@code settings} on top of its store's. */
    Fleet(String scenario, UnaryOperator<DemoProcess.Launch> settings) {
        this.scenario = scenario;
        this.settings = settings;
    }

    /** A demo and its store's namespace. */
    record Running(StoreProbe probe, DemoProcess demo) {
    }

    /** The scenario's demo on {@code store}, started now if it is not running yet. */
    synchronized Running on(Store store) throws Exception {
        Running current = running.get(store);
        if (current == null || !current.demo().isAlive()) {
            StoreProbe probe = current == null ? open(store) : current.probe();
            current = new Running(probe, start(probe, 1).get(0));
            running.put(store, current);
        }
        return current;
    }

    /** Opens a further namespace on {@code store}, closed with the fleet. */
    synchronized StoreProbe open(Store store) throws Exception {
        StoreProbe probe = store.open(scenario);
        opened.add(probe);
        return probe;
    }

    /** Starts {@code count} demos on {@code probe}'s namespace, stopped with the fleet. */
    synchronized List<DemoProcess> start(StoreProbe probe, int count) throws Exception {
        List<DemoProcess> demos = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            DemoProcess demo = settings.apply(DemoProcess.on(probe)
                    .name(scenario + "-" + probe.store().name().toLowerCase() + (count > 1 ? "-" + (i + 1) : ""))).start();
            // stopped before the namespaces are removed: close() goes through `opened` in reverse
            opened.add(demo);
            demos.add(demo);
        }
        return demos;
    }

    @Override
    public synchronized void close() throws Exception {
        Exception failure = null;
        for (int i = opened.size() - 1; i >= 0; i--) {
            try {
                opened.get(i).close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        opened.clear();
        running.clear();
        if (failure != null) {
            throw failure;
        }
    }
}
