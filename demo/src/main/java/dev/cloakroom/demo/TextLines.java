package dev.cloakroom.demo;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Turns an uploaded file into its lines: strict UTF-8, no byte order mark, any of LF, CRLF and CR ends a line. */
final class TextLines {
    private static final char BYTE_ORDER_MARK = '\uFEFF';

    private TextLines() {
    }

    /**
     * The lines of {@code bytes}, without their terminators; a terminator at the very end does not start another
     * (empty) line, so an empty file has no lines.
     *
     * @throws CharacterCodingException if {@code bytes} are not valid UTF-8 (decoding is strict: nothing is replaced)
     */
    static List<String> of(byte[] bytes) throws CharacterCodingException {
        String text = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes))
                .toString();
        int start = !text.isEmpty() && text.charAt(0) == BYTE_ORDER_MARK ? 1 : 0;
        List<String> lines = new ArrayList<>();
        for (int i = start; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\n' || c == '\r') {
                lines.add(text.substring(start, i));
                if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
                    i++;
                }
                start = i + 1;
            }
        }
        if (start < text.length()) {
            lines.add(text.substring(start));
        }
        return lines;
    }
}
