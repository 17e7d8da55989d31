package dev.cloakroom;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Tag;

/**
 * Fuzzes the codec's decoder on stored text, with a registered type, a converter and the module this class path
 * lists, as {@link SessionManager} reads a record. Whatever the text: nothing is thrown but
 * {@link SessionDecodingException}; nothing comes out but plain data and the exact classes the application chose; no
 * class is looked up by a name from the data (a recording context class loader is where Jackson would look); and what
 * was read writes back and reads back the same. Regression mode replays {@code SessionCodecFuzzTestInputs/};
 * {@code JAZZER_FUZZ=1} fuzzes (see the README's "Tests and CI").
 */
@Tag("unit")
class SessionCodecFuzzTest {
    record Line(String text, int number) { }

    record Cart(String owner, List<Line> lines, Map<String, Integer> counts, Object note) { }

    private static final ValueConverter<LocalDate> DATE = ValueConverter.of(LocalDate::toString, data -> LocalDate.parse((String) data));
    private static final Set<Class<?>> PLAIN = Set.of(String.class, Boolean.class, Integer.class, Long.class, BigInteger.class,
            Double.class, BigDecimal.class, ArrayList.class, LinkedHashMap.class);
    private static final Set<Class<?>> CHOSEN = Set.of(Cart.class, Line.class, LocalDate.class, DiscoveredTestModule.Ticket.class);

    private final SessionCodec codec = SessionCodec.builder().register("cart", Cart.class).convert("date", LocalDate.class, DATE).build();

    /** The input is one stored attribute value, as UTF-8. */
    @FuzzTest(maxDuration = "5m")
    void decodeWhenAnyStoredTextThenPlainDataOrSessionDecodingException(byte[] input) {
        String stored = new String(input, StandardCharsets.UTF_8);
        RecordingLoader loader = new RecordingLoader();
        Thread thread = Thread.currentThread();
        ClassLoader before = thread.getContextClassLoader();
        thread.setContextClassLoader(loader);
        Object decoded;
        try {
            decoded = codec.decode(stored);
        } catch (SessionDecodingException e) {
            assertThat(loader.asked).as("classes looked up").isEmpty();
            return;
        } finally {
            thread.setContextClassLoader(before);
        }
        assertThat(loader.asked).as("classes looked up").isEmpty();
        assertOnlyPlainOrChosen(decoded);
        assertThat(codec.decode(codec.encode(decoded))).as("written back and read again").isEqualTo(decoded);
    }

    /** The input is a record's attributes, one per line, name and value parted by the first tab, as a store hands them. */
    @FuzzTest(maxDuration = "5m")
    void decodeAllWhenAnyStoredRecordThenTheReadableAttributesOrSessionDecodingException(byte[] input) {
        Map<String, String> stored = new LinkedHashMap<>();
        for (String line : new String(input, StandardCharsets.UTF_8).split("\n", -1)) {
            int tab = line.indexOf('\t');
            stored.put(tab < 0 ? line : line.substring(0, tab), tab < 0 ? "" : line.substring(tab + 1));
        }
        Map<String, Object> decoded;
        try {
            decoded = codec.decodeAll(SessionKey.of("q3Zc1oP4cV7yq0tJ3h9XwQm2s8Lr5nB6aK1dE0fGhIU"), stored);
        } catch (SessionDecodingException e) {
            return;
        }
        assertThat(stored.keySet()).containsAll(decoded.keySet());
        decoded.forEach((name, value) -> {
            assertOnlyPlainOrChosen(value);
            assertThat(codec.decode(stored.get(name))).as(name).isEqualTo(value);
        });
    }

    private static void assertOnlyPlainOrChosen(Object value) {
        if (value == null) {
            return;
        }
        assertThat(PLAIN.contains(value.getClass()) || CHOSEN.contains(value.getClass())).as("%s is plain data or chosen", value.getClass()).isTrue();
        if (value instanceof List<?> list) {
            list.forEach(SessionCodecFuzzTest::assertOnlyPlainOrChosen);
        } else if (value instanceof Map<?, ?> map) {
            map.forEach((k, v) -> {
                assertThat(k).isInstanceOf(String.class);
                assertOnlyPlainOrChosen(v);
            });
        } else if (value instanceof Cart cart) {
            assertOnlyPlainOrChosen(cart.lines());
            assertOnlyPlainOrChosen(cart.counts());
            assertOnlyPlainOrChosen(cart.note());
        }
    }

    /** Records every class asked of it by name; where Jackson, a {@code ServiceLoader} or a type id would look one up. */
    private static final class RecordingLoader extends ClassLoader {
        final List<String> asked = new ArrayList<>();

        RecordingLoader() {
            super(SessionCodecFuzzTest.class.getClassLoader());
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            asked.add(name);
            return super.loadClass(name, resolve);
        }
    }
}
