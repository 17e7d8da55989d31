package dev.cloakroom.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class DataColumnTest {

    @Test
    void attributesWhenEncodedAndDecodedThenTheSameTexts() {
        Map<String, String> attributes = Map.of("lines", "[\"a\",\"b  c\"]", "name", "\"Zoë\"", "n", "42");

        assertThat(DataColumn.decode(DataColumn.encode(attributes))).isEqualTo(attributes);
    }

    @Test
    void largeValueWhenDecodedThenNotRefusedByAParserLimit() {
        String big = "\"" + "x".repeat(25_000_000) + "\"";

        assertThat(DataColumn.decode(DataColumn.encode(Map.of("big", big))).get("big")).hasSize(big.length());
    }

    @Test
    void rowsThisStoreDidNotWriteWhenDecodedThenRefused() {
        assertThatThrownBy(() -> DataColumn.decode(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DataColumn.decode("not json")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DataColumn.decode("[1, 2]")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DataColumn.decode("{\"a\": 1}")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'a'");
        assertThatThrownBy(() -> DataColumn.decode("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DataColumn.decode("{\"a\": \"1\"")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DataColumn.decode("{\"a\": \"1\", \"b\": [\"2\"]}")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'b'");
        assertThatThrownBy(() -> DataColumn.decode("\"a\"")).isInstanceOf(IllegalArgumentException.class);
    }
}
