package dev.cloakroom.jdbc;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.HashMap;
import java.util.Map;

/**
 * The {@code data} column: one JSON object whose members are the session's attributes, each value being the
 * attribute's encoded JSON text held as a JSON string. Holding the text (rather than the parsed value) gives back the
 * exact bytes the codec wrote, whatever the database does to JSON ({@code jsonb} reorders keys, adds spaces, rewrites
 * numbers); the manager compares those bytes to decide whether anything changed. The object still lets the database
 * merge deltas member by member, and {@code (data->>'name')::jsonb} reads a value in SQL.
 */
final class DataColumn {
    // The session size cap is the manager's business; a valid row must never be refused (and then deleted as
    // unreadable) for a length limit of the parser, so Jackson's default 20 MB string limit is lifted here.
    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build())
            .build());

    private DataColumn() {
    }

    /** The object for {@code attributes}; a {@code null} value becomes a JSON {@code null} member (a removal in a patch). */
    static String encode(Map<String, String> attributes) {
        try {
            return JSON.writeValueAsString(attributes);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a map of strings always serialises", e);
        }
    }

    /**
     * The attributes held in {@code text}.
     *
     * @throws IllegalArgumentException if {@code text} is not a JSON object of strings (a row this store did not write)
     */
    static Map<String, String> decode(String text) {
        if (text == null) {
            throw new IllegalArgumentException("data is null");
        }
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("data is not JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("data is not a JSON object");
        }
        Map<String, String> attributes = new HashMap<>();
        for (Map.Entry<String, JsonNode> member : root.properties()) {
            if (!member.getValue().isTextual()) {
                throw new IllegalArgumentException("attribute '" + member.getKey() + "' is not an encoded text");
            }
            attributes.put(member.getKey(), member.getValue().textValue());
        }
        return attributes;
    }
}
