package dev.cloakroom.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.time.Instant;

/**
 * Streams one JSON document to stdout: a listing of a million sessions is written as it is read, never held. Times are
 * ISO-8601 UTC text, sizes are numbers of bytes.
 */
final class Json implements AutoCloseable {
    private static final JsonFactory FACTORY = JsonFactory.builder().build()
            .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);

    final JsonGenerator out;

    Json(PrintWriter writer) {
        try {
            this.out = FACTORY.createGenerator(writer);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    interface Body {
        void write(JsonGenerator out) throws IOException;
    }

    /** Writes {@code body}; an I/O failure of stdout is unchecked, as nothing can be done about it. */
    static void write(PrintWriter writer, Body body) {
        try (Json json = new Json(writer)) {
            body.write(json.out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void time(JsonGenerator out, String name, Instant time) throws IOException {
        if (time == null) {
            out.writeNullField(name);
        } else {
            out.writeStringField(name, time.toString());
        }
    }

    @Override
    public void close() {
        try {
            out.writeRaw('\n');
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
