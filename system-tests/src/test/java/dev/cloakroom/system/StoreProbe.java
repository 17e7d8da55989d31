package dev.cloakroom.system;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cloakroom.SessionKey;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One scenario's namespace in a store (a folder, a table, a Redis key prefix), read directly, without Cloakroom: the
 * settings that point a demo at it, and what it holds, as an operator would see it with {@code ls}, {@code psql} and
 * {@code redis-cli}. Closing removes everything stored in it.
 */
abstract class StoreProbe implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    private final Store store;
    private final Map<String, String> settings;

    StoreProbe(Store store, Map<String, String> settings) {
        this.store = store;
        this.settings = Map.copyOf(settings);
    }

    /** Which store this is. */
    final Store store() {
        return store;
    }

    /** The demo's settings that select this namespace. */
    final Map<String, String> settings() {
        return settings;
    }

    /**
     * Every session record, by its session key ({@code v1} + 64 hex digits), as the exact stored text: the file's
     * bytes, the row's columns, the hash's fields. Two reads are equal exactly when nothing was written in between.
     */
    abstract Map<String, String> records() throws Exception;

    /**
     * The session keys of every record, without reading the records: cheaper than {@link #records()} on a store that
     * holds thousands of sessions.
     */
    Set<String> sessionKeys() throws Exception {
        return records().keySet();
    }

    /** The stored text of the session filed under {@code key}, if there is one. */
    Optional<String> record(SessionKey key) throws Exception {
        return Optional.ofNullable(records().get(key.value()));
    }

    /**
     * The attributes of the session filed under {@code key}, each as its JSON value (an empty map if there is no such
     * session), whatever the store's own layout.
     */
    abstract Map<String, JsonNode> attributes(SessionKey key) throws Exception;

    /**
     * Every name in the namespace, session records or not (temp and lock files, sweep leases, index keys), mapped to
     * its content as text: what a search for a leaked raw id must look through.
     */
    abstract Map<String, String> everything() throws Exception;

    /** Removes everything this namespace holds. */
    @Override
    public abstract void close() throws Exception;

    /** Parses each stored attribute text into its JSON value, keeping the names' order. */
    static Map<String, JsonNode> parsed(Map<String, String> texts) throws Exception {
        Map<String, JsonNode> values = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : texts.entrySet()) {
            values.put(e.getKey(), JSON.readTree(e.getValue()));
        }
        return values;
    }

    @Override
    public String toString() {
        return store.label();
    }
}
