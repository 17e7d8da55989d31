package dev.cloakroom;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Records each call as a word ({@code created}, {@code rejected MALFORMED}, {@code call LOAD}, ...), in order. */
final class RecordingMetrics implements SessionMetrics {
    private final List<String> events = new ArrayList<>();

    /** The calls so far, and forgets them. */
    synchronized List<String> take() {
        List<String> taken = List.copyOf(events);
        events.clear();
        return taken;
    }

    private synchronized void add(String event) {
        events.add(event);
    }

    @Override public void sessionCreated() { add("created"); }
    @Override public void sessionLoaded() { add("loaded"); }
    @Override public void sessionSaved() { add("saved"); }
    @Override public void sessionTouched() { add("touched"); }
    @Override public void sessionIdChanged() { add("id changed"); }
    @Override public void sessionInvalidated() { add("invalidated"); }
    @Override public void updateConflict() { add("conflict"); }
    @Override public void updateGaveUp() { add("gave up"); }
    @Override public void sessionExpired() { add("expired"); }
    @Override public void idRejected(RejectedId reason) { add("rejected " + reason); }

    @Override
    public void storeCall(StoreOperation operation, Duration elapsed) {
        if (elapsed.isNegative()) {
            throw new AssertionError("negative latency " + elapsed);
        }
        add("call " + operation);
    }

    @Override
    public void storeError(StoreOperation operation, StoreError error) {
        add("error " + operation + " " + error);
    }
}
