package dev.cloakroom.file;

import dev.cloakroom.SessionKey;
import dev.cloakroom.UnsupportedAttributeException;
import dev.cloakroom.spi.SessionRecord;
import dev.cloakroom.spi.SessionWrite;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamWriteException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * The bytes of one record file, and the only place that knows them, so that what a write encodes and what a read
 * accepts cannot drift apart. A small JSON document: {@code format}, {@code key}, {@code version}, the timestamps as
 * ISO-8601 text, {@code maxInactiveInterval} as an ISO-8601 duration, and {@code attributes} mapping each name to its
 * encoded JSON text, kept as a string so that it reads back exactly as written, and {@code principal}, the signed-in
 * user's name, only when there is one (a record written before principals existed reads as having none).
 *
 * <p>Parsing is strict: anything this store would not have written (another key, a duplicate field, a time outside
 * four-digit years, an idle timeout that is not positive or beyond {@link #LONGEST_INTERVAL}) is a
 * {@link CorruptRecordException}, so that no stored value can make later arithmetic overflow.
 */
final class RecordFormat {
    static final int FORMAT = 1;
    /** Bound on a record file, read or written; far above the default session size cap of 4 MiB. */
    static final int MAX_RECORD_BYTES = 64 * 1024 * 1024;
    /** Bounds on a stored instant: four-digit years, what a real clock writes. */
    static final Instant EARLIEST_INSTANT = Instant.parse("0000-01-01T00:00:00Z");
    static final Instant LATEST_INSTANT = Instant.parse("9999-12-31T23:59:59.999999999Z");
    /** Bound on a stored idle timeout: ten thousand years is beyond any session, and far below an overflow. */
    static final Duration LONGEST_INTERVAL = Duration.ofDays(3_652_425);

    private static final ObjectMapper JSON = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(MAX_RECORD_BYTES).build())
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private RecordFormat() {
    }

    static byte[] encode(SessionRecord record) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(512);
        try (JsonGenerator json = JSON.getFactory().createGenerator(out)) {
            json.writeStartObject();
            json.writeNumberField("format", FORMAT);
            json.writeStringField("key", record.key().value());
            json.writeNumberField("version", record.version());
            json.writeStringField("createdAt", record.createdAt().toString());
            json.writeStringField("lastAccessedAt", record.lastAccessedAt().toString());
            json.writeStringField("maxInactiveInterval", record.maxInactiveInterval().toString());
            json.writeStringField("expiresAt", record.expiresAt().toString());
            if (record.principal() != null) {
                json.writeStringField("principal", record.principal());
            }
            json.writeObjectFieldStart("attributes");
            for (Map.Entry<String, String> entry : new TreeMap<>(record.attributes()).entrySet()) {
                json.writeStringField(entry.getKey(), entry.getValue());
            }
            json.writeEndObject();
            json.writeEndObject();
        } catch (StreamWriteException e) {
            throw new UnsupportedAttributeException("an attribute of " + record.key() + " cannot be written as UTF-8 JSON: "
                    + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new IllegalStateException("writing to memory cannot fail", e);
        }
        out.write('\n');
        return out.toByteArray();
    }

    static SessionRecord parse(SessionKey key, byte[] bytes) throws CorruptRecordException {
        try {
            JsonNode root = JSON.readTree(bytes);
            if (root == null || !root.isObject()) {
                throw new CorruptRecordException("not a JSON object");
            }
            if (root.path("format").asInt(-1) != FORMAT || !root.path("format").isInt()) {
                throw new CorruptRecordException("unknown format " + root.path("format"));
            }
            if (!key.value().equals(root.path("key").textValue())) {
                throw new CorruptRecordException("holds another key");
            }
            JsonNode version = root.path("version");
            if (!version.isIntegralNumber() || !version.canConvertToLong()) {
                throw new CorruptRecordException("bad version");
            }
            JsonNode attributes = root.path("attributes");
            if (!attributes.isObject()) {
                throw new CorruptRecordException("no attributes object");
            }
            Map<String, String> values = new TreeMap<>();
            for (Map.Entry<String, JsonNode> entry : attributes.properties()) {
                if (!entry.getValue().isTextual()) {
                    throw new CorruptRecordException("attribute is not text");
                }
                values.put(entry.getKey(), entry.getValue().textValue());
            }
            JsonNode principal = root.path("principal");
            if (!principal.isMissingNode() && (!principal.isTextual() || principal.textValue().isEmpty())) {
                throw new CorruptRecordException("principal is not text");
            }
            return new SessionRecord(key, values, instant(root, "createdAt"), instant(root, "lastAccessedAt"),
                    interval(root, "maxInactiveInterval"), instant(root, "expiresAt"), version.longValue(),
                    principal.isMissingNode() ? null : principal.textValue());
        } catch (IOException e) {
            throw new CorruptRecordException("not JSON: " + e.getClass().getSimpleName());
        } catch (RuntimeException e) {
            throw new CorruptRecordException("bad field: " + e.getClass().getSimpleName());
        }
    }

    /**
     * Refuses text that UTF-8 cannot carry (a lone surrogate), which the JSON writer would otherwise replace silently,
     * so that what is read back is always exactly what was written.
     */
    static void requireWellFormedText(SessionWrite write) {
        for (Map.Entry<String, String> entry : write.upserts().entrySet()) {
            if (hasLoneSurrogate(entry.getKey()) || hasLoneSurrogate(entry.getValue())) {
                throw new UnsupportedAttributeException("attribute '" + entry.getKey().replaceAll("[\\x{D800}-\\x{DFFF}]", "?")
                        + "' of " + write.key() + " holds a lone UTF-16 surrogate, which a session file cannot store");
            }
        }
        if (write.principal() != null && hasLoneSurrogate(write.principal())) {
            throw new IllegalArgumentException("the principal of " + write.key() + " holds a lone UTF-16 surrogate");
        }
    }

    private static boolean hasLoneSurrogate(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    private static Instant instant(JsonNode root, String field) throws CorruptRecordException {
        Instant value = Instant.parse(text(root, field));
        if (value.isBefore(EARLIEST_INSTANT) || value.isAfter(LATEST_INSTANT)) {
            throw new CorruptRecordException(field + " out of range: " + value);
        }
        return value;
    }

    private static Duration interval(JsonNode root, String field) throws CorruptRecordException {
        Duration value = Duration.parse(text(root, field));
        if (value.isNegative() || value.isZero() || value.compareTo(LONGEST_INTERVAL) > 0) {
            throw new CorruptRecordException(field + " out of range: " + value);
        }
        return value;
    }

    private static String text(JsonNode root, String field) throws CorruptRecordException {
        String value = root.path(field).textValue();
        if (value == null) {
            throw new CorruptRecordException("no " + field);
        }
        return value;
    }
}
