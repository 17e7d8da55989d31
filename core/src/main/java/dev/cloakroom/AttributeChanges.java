package dev.cloakroom;

import dev.cloakroom.spi.SessionRecord;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What one request changed in its session's attributes, as {@link Session#pendingChanges} hands it to the manager:
 * encoded values to put, names to remove, and the attributes that could not be encoded (name to reason), which are
 * left out of the write.
 */
record AttributeChanges(Map<String, String> upserts, Set<String> removals, Map<String, String> rejected) {

    AttributeChanges {
        upserts = Map.copyOf(upserts);
        removals = Set.copyOf(removals);
        rejected = Map.copyOf(rejected);
    }

    /** Whether there is nothing to write (rejected attributes are never written). */
    boolean isEmpty() {
        return upserts.isEmpty() && removals.isEmpty();
    }

    /** These changes with {@code name} put as {@code encoded}, or removed if {@code encoded} is null. */
    AttributeChanges with(String name, String encoded) {
        Map<String, String> puts = new HashMap<>(upserts);
        Set<String> removes = new HashSet<>(removals);
        Map<String, String> refused = new HashMap<>(rejected);
        refused.remove(name);
        if (encoded == null) {
            puts.remove(name);
            removes.add(name);
        } else {
            removes.remove(name);
            puts.put(name, encoded);
        }
        return new AttributeChanges(puts, removes, refused);
    }

    /** These changes as the creation of a record: there is nothing to remove from a record that does not exist yet. */
    AttributeChanges withoutRemovals() {
        return new AttributeChanges(upserts, Set.of(), rejected);
    }

    /** The attributes {@code stored} becomes with these changes. */
    Map<String, String> applyTo(Map<String, String> stored) {
        Map<String, String> merged = new HashMap<>(stored);
        merged.keySet().removeAll(removals);
        merged.putAll(upserts);
        return merged;
    }

    /** The size, by the stores' one rule, of the record {@code stored} becomes with these changes. */
    long sizeAppliedTo(Map<String, String> stored) {
        return SessionRecord.sizeInBytes(applyTo(stored));
    }

    /** The failure to report once the other changes were saved. */
    UnsupportedAttributeException rejection() {
        StringBuilder message = new StringBuilder();
        new TreeMap<>(rejected).values().forEach(reason -> message.append(message.isEmpty() ? "" : "; ").append(reason));
        return new UnsupportedAttributeException(message + " (the request's other changes were saved)");
    }
}
