package dev.cloakroom.demo;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.CharacterCodingException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class TextLinesTest {

    @Test
    void ofWhenMixedLineEndingsThenSplitOnEachAndKeepEmptyLinesInside() throws Exception {
        assertThat(TextLines.of("a\nb\r\nc\rd\n\ne".getBytes(UTF_8))).containsExactly("a", "b", "c", "d", "", "e");
    }

    @Test
    void ofWhenTrailingTerminatorThenNoEmptyLastLine() throws Exception {
        assertThat(TextLines.of("a\n".getBytes(UTF_8))).containsExactly("a");
        assertThat(TextLines.of("a\r\n".getBytes(UTF_8))).containsExactly("a");
        assertThat(TextLines.of("a\r".getBytes(UTF_8))).containsExactly("a");
        assertThat(TextLines.of("a\n\n".getBytes(UTF_8))).containsExactly("a", "");
        assertThat(TextLines.of("\n".getBytes(UTF_8))).containsExactly("");
    }

    @Test
    void ofWhenEmptyThenNoLines() throws Exception {
        assertThat(TextLines.of(new byte[0])).isEmpty();
    }

    @Test
    void ofWhenByteOrderMarkThenStripped() throws Exception {
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, 'h', 'i', '\n', 'x'};
        assertThat(TextLines.of(bom)).containsExactly("hi", "x");
    }

    @Test
    void ofWhenByteOrderMarkInsideThenKept() throws Exception {
        assertThat(TextLines.of("a\n\uFEFFb".getBytes(UTF_8))).containsExactly("a", "\uFEFFb");
    }

    @Test
    void ofWhenMultibyteTextThenDecoded() throws Exception {
        assertThat(TextLines.of("Grüße, 世界 😀\r\nok".getBytes(UTF_8))).containsExactly("Grüße, 世界 😀", "ok");
    }

    @Test
    void ofWhenInvalidUtf8ThenThrowsInsteadOfReplacing() {
        assertThatThrownBy(() -> TextLines.of(new byte[] {'a', (byte) 0xFF, 'b'})).isInstanceOf(CharacterCodingException.class);
        // Latin-1 "é", a truncated sequence, an overlong encoding and a lone surrogate are all refused
        assertThatThrownBy(() -> TextLines.of(new byte[] {'c', 'a', 'f', (byte) 0xE9})).isInstanceOf(CharacterCodingException.class);
        assertThatThrownBy(() -> TextLines.of(new byte[] {(byte) 0xC0, (byte) 0xAF})).isInstanceOf(CharacterCodingException.class);
        assertThatThrownBy(() -> TextLines.of(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80})).isInstanceOf(CharacterCodingException.class);
    }
}
