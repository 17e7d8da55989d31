package dev.cloakroom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloakroom.memory.MemorySessionStore;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class SessionCodecTest {
    record Cart(String owner, List<String> items) { }

    private final SessionCodec plain = SessionCodec.plain();
    private final SessionCodec withCart = SessionCodec.builder().register("cart", Cart.class).build();

    @Test
    void jsonValuesRoundTrip() {
        Map<String, Object> nested = new LinkedHashMap<>();
        nested.put("text", "Zoë \"quoted\" <b>");
        nested.put("int", 7);
        nested.put("long", 9_000_000_000L);
        nested.put("double", 0.25);
        nested.put("big", new BigDecimal("12345678901234567890.123456789"));
        nested.put("flag", true);
        nested.put("nothing", null);
        nested.put("list", List.of("a", 1, false));

        Object decoded = plain.decode(plain.encode(nested));

        assertThat(decoded).isEqualTo(nested);
    }

    @Test
    void decodedValuesAreFreshMutableCollections() {
        @SuppressWarnings("unchecked")
        List<Object> list = (List<Object>) plain.decode(plain.encode(List.of("a")));
        list.add("b");
        assertThat(list).containsExactly("a", "b");
    }

    @Test
    void setsAreStoredAsLists() {
        assertThat(plain.decode(plain.encode(Set.of("only")))).isEqualTo(List.of("only"));
    }

    @Test
    void registeredTypeRoundTripsByNameNotClassName() {
        Cart cart = new Cart("anon", new ArrayList<>(List.of("tea")));

        String json = withCart.encode(List.of(cart));

        assertThat(json).contains("\"@type\":\"cart\"").doesNotContain(Cart.class.getName());
        assertThat(withCart.decode(json)).isEqualTo(List.of(cart));
    }

    @Test
    void encodeWhenTypeNotRegisteredThenRejectedWithAHint() {
        assertThatThrownBy(() -> plain.encode(new Cart("a", List.of())))
                .isInstanceOf(UnsupportedAttributeException.class)
                .hasMessageContaining(Cart.class.getName())
                .hasMessageContaining("register");
        assertThatThrownBy(() -> plain.encode(LocalDate.of(2026, 1, 1))).isInstanceOf(UnsupportedAttributeException.class);
        assertThatThrownBy(() -> plain.encode(List.of(new Object()))).isInstanceOf(UnsupportedAttributeException.class);
        assertThatThrownBy(() -> plain.encode(new String[] {"a"})).isInstanceOf(UnsupportedAttributeException.class);
    }

    @Test
    void encodeWhenMapUsesTheReservedKeyOrNonStringKeysThenRejected() {
        assertThatThrownBy(() -> plain.encode(Map.of("@type", "cart"))).isInstanceOf(UnsupportedAttributeException.class);
        assertThatThrownBy(() -> plain.encode(Map.of(1, "one"))).isInstanceOf(UnsupportedAttributeException.class);
    }

    @Test
    void encodeWhenNotFiniteOrCyclicThenRejected() {
        assertThatThrownBy(() -> plain.encode(Double.NaN)).isInstanceOf(UnsupportedAttributeException.class);
        List<Object> cycle = new ArrayList<>();
        cycle.add(cycle);
        assertThatThrownBy(() -> plain.encode(cycle)).isInstanceOf(UnsupportedAttributeException.class);
    }

    @Test
    void decodeWhenTypeNameUnknownThenDecodingException() {
        String foreign = "{\"@type\":\"java.lang.ProcessBuilder\",\"value\":{\"command\":[\"touch\",\"/tmp/pwned\"]}}";

        assertThatThrownBy(() -> withCart.decode(foreign)).isInstanceOf(SessionDecodingException.class);
    }

    @Test
    void decodeNeverInstantiatesClassesNamedInData() {
        String polymorphic = "[\"java.util.concurrent.atomic.AtomicBoolean\",{\"@class\":\"java.lang.Thread\"}]";

        assertThat(plain.decode(polymorphic)).isEqualTo(List.of("java.util.concurrent.atomic.AtomicBoolean", Map.of("@class", "java.lang.Thread")));
    }

    @Test
    void decodeWhenTextIsNotJsonThenDecodingException() {
        assertThatThrownBy(() -> plain.decode("{not json")).isInstanceOf(SessionDecodingException.class);
        assertThatThrownBy(() -> plain.decode("\u00ac\u00ed\u0000\u0005sr")).isInstanceOf(SessionDecodingException.class);
        assertThatThrownBy(() -> plain.decode("")).isInstanceOf(SessionDecodingException.class);
    }

    @Test
    void decodeWhenValueIsFollowedByMoreTextThenDecodingException() {
        assertThatThrownBy(() -> plain.decode("1 2")).isInstanceOf(SessionDecodingException.class);
        assertThatThrownBy(() -> plain.decode("[\"a\"]]garbage")).isInstanceOf(SessionDecodingException.class);
        assertThatThrownBy(() -> plain.decode("{\"a\":1}{\"b\":2}")).isInstanceOf(SessionDecodingException.class);
    }

    @Test
    void encodeWhenARegisteredValueHoldsAnUnpairedSurrogateThenRefused() {
        assertThatThrownBy(() -> withCart.encode(new Cart("al\uD800ice", List.of())))
                .isInstanceOf(UnsupportedAttributeException.class).hasMessageContaining("unpaired surrogate \\uD800 at index 2");
        assertThatThrownBy(() -> withCart.encode(new Cart("alice", List.of("ok", "\uDFFF"))))
                .isInstanceOf(UnsupportedAttributeException.class).hasMessageContaining("unpaired surrogate");
    }

    @Test
    void encodeWhenSurrogatesArePairedThenAcceptedAndDecodedExactly() {
        String text = "\uD83D\uDE00 \uDBFF\uDFFF \uFFFF";

        assertThat(withCart.decode(withCart.encode(Map.of(text, List.of(text))))).isEqualTo(Map.of(text, List.of(text)));
    }

    @Test
    void registerWhenNameInvalidOrTakenThenRejected() {
        assertThatThrownBy(() -> SessionCodec.builder().register("1cart", Cart.class)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SessionCodec.builder().register("cart", Cart.class).register("cart", String.class))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void mapKeyWhenLongerThanJacksonsDefaultNameLimitThenRoundTrips() {
        Map<String, Object> map = Map.of("k".repeat(60_000), 1);

        assertThat(plain.decode(plain.encode(map))).isEqualTo(map);
    }

    @Test
    void encodeWhenANumberHasMoreDigitsThanDecodingReadsThenRejected() {
        BigInteger longest = BigInteger.TEN.pow(SessionCodec.MAX_NUMBER_LENGTH - 1);
        assertThat(plain.decode(plain.encode(longest))).isEqualTo(longest);

        assertThatThrownBy(() -> plain.encode(List.of(BigInteger.TEN.pow(SessionCodec.MAX_NUMBER_LENGTH))))
                .isInstanceOf(UnsupportedAttributeException.class).hasMessageContaining("1001 characters");
        assertThatThrownBy(() -> plain.encode(new BigDecimal(BigInteger.TEN.pow(SessionCodec.MAX_NUMBER_LENGTH), 3)))
                .isInstanceOf(UnsupportedAttributeException.class);
    }

    @Test
    void decodeWhenNestedBeyondTheDepthLimitThenDecodingException() {
        String deep = "[".repeat(SessionCodec.MAX_READ_DEPTH + 1) + "]".repeat(SessionCodec.MAX_READ_DEPTH + 1);

        assertThatThrownBy(() -> plain.decode(deep)).isInstanceOf(SessionDecodingException.class);
    }

    @Test
    void decodeWhenAStringExceedsTheLimitOfTheDefaultCapThenDecodingException() {
        String longest = "x".repeat(SessionCodec.DEFAULT_MAX_STRING_LENGTH);
        assertThat(plain.decode(plain.encode(longest))).isEqualTo(longest);

        String tooLong = "\"" + longest + "x\"";
        assertThatThrownBy(() -> plain.decode(tooLong)).isInstanceOf(SessionDecodingException.class);
        assertThatThrownBy(() -> plain.withMaxBytes(CloakroomConfig.DEFAULT_MAX_SESSION_BYTES).decode(tooLong))
                .isInstanceOf(SessionDecodingException.class);
    }

    @Test
    void withMaxBytesWhenNotPositiveThenRejected() {
        assertThatThrownBy(() -> plain.withMaxBytes(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxBytes must be positive: 0");
    }

    @Test
    void withMaxBytesKeepsTheRegisteredTypes() {
        Cart cart = new Cart("anon", List.of("tea"));

        assertThat(withCart.withMaxBytes(1_000).decode(withCart.encode(cart))).isEqualTo(cart);
    }

    @Test
    void stringWhenLongerThanJacksonsDefaultButWithinTheCapThenRoundTripsThroughTheManager() {
        long cap = 30L * 1024 * 1024;
        String big = "x".repeat(25 * 1024 * 1024);
        try (SessionManager manager = SessionManager.builder(new MemorySessionStore())
                .config(CloakroomConfig.builder().maxSessionBytes(cap).build()).sweeping(false).build()) {
            Session session = manager.create();
            session.setAttribute("big", big);
            manager.commit(session);

            Session loaded = manager.find(session.id()).orElseThrow(() -> new AssertionError("the session was dropped on load"));

            assertThat(loaded.getAttribute("big")).isEqualTo(big);
        }
    }
}
