package dev.cloakroom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloakroom.DiscoveredTestModule.Ticket;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Converters, modules, and what happens to a typed value that can no longer be rebuilt. */
@Tag("unit")
class SessionCodecConvertersTest {
    /** Not readable by Jackson, and holding a converted type: the codec must recurse into the converter's data. */
    static final class Stay {
        final LocalDate from;
        final LocalDate to;

        Stay(LocalDate from, LocalDate to) {
            this.from = from;
            this.to = to;
        }
    }

    static class Badge {
        final String label;

        Badge(String label) {
            this.label = label;
        }
    }

    static final class GoldBadge extends Badge {
        GoldBadge(String label) {
            super(label);
        }
    }

    record Cart(List<String> items) { }

    private static final ValueConverter<LocalDate> DATE = ValueConverter.of(LocalDate::toString, data -> LocalDate.parse((String) data));
    private static final ValueConverter<Stay> STAY = new ValueConverter<>() {
        @Override
        public Object toData(Stay stay) {
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("from", stay.from);
            data.put("to", stay.to);
            return data;
        }

        @Override
        public Stay fromData(Object data) {
            Map<?, ?> map = (Map<?, ?>) data;
            return new Stay((LocalDate) map.get("from"), (LocalDate) map.get("to"));
        }
    };

    private final SessionCodec codec = SessionCodec.builder()
            .convert("date", LocalDate.class, DATE)
            .convert("stay", Stay.class, STAY)
            .convert("badge", Badge.class, ValueConverter.of(b -> b.label, data -> new Badge((String) data)))
            .register("cart", Cart.class)
            .build();

    @Test
    void encodeWhenAConvertedValueHoldsConvertedValuesThenStoredByNameNotClassNameAndReadBack() {
        Stay stay = new Stay(LocalDate.of(2026, 5, 1), LocalDate.of(2026, 5, 3));

        String json = codec.encode(List.of(stay));

        assertThat(json).isEqualTo("[{\"@type\":\"stay\",\"value\":{\"from\":{\"@type\":\"date\",\"value\":\"2026-05-01\"},"
                + "\"to\":{\"@type\":\"date\",\"value\":\"2026-05-03\"}}}]");
        Stay back = (Stay) ((List<?>) codec.decode(json)).get(0);
        assertThat(back.from).isEqualTo(stay.from);
        assertThat(back.to).isEqualTo(stay.to);
    }

    @Test
    void encodeWhenOnlyASupertypeHasAConverterThenRefusedNamingBoth() {
        assertThatThrownBy(() -> codec.encode(new GoldBadge("gold")))
                .isInstanceOf(UnsupportedAttributeException.class)
                .hasMessageContaining(GoldBadge.class.getName())
                .hasMessageContaining(Badge.class.getName() + " has one, but names match the exact class");
    }

    @Test
    void encodeWhenTypeUnknownThenMessageShowsTheLineThatRegistersIt() {
        assertThatThrownBy(() -> codec.encode(new Object() { }))
                .hasMessageContaining("SessionCodec.builder().register(\"my-type\", ");
        assertThatThrownBy(() -> codec.encode(new GoldBadge("x")))
                .hasMessageContaining("SessionManager.builder(store).codec(SessionCodec.builder().register(\"gold-badge\", "
                        + "dev.cloakroom.SessionCodecConvertersTest.GoldBadge.class).build())")
                .hasMessageContaining(".convert(\"gold-badge\", dev.cloakroom.SessionCodecConvertersTest.GoldBadge.class, converter)");
    }

    @Test
    void encodeWhenConverterDataHoldsAnUnknownTypeThenMessageSaysWhere() {
        SessionCodec holder = SessionCodec.builder()
                .convert("holder", Stay.class, ValueConverter.of(stay -> List.of(new Object()), data -> null))
                .build();

        assertThatThrownBy(() -> holder.encode(new Stay(null, null)))
                .isInstanceOf(UnsupportedAttributeException.class)
                .hasMessageContaining("cannot store a java.lang.Object")
                .hasMessageContaining("[inside 'holder']");
    }

    @Test
    void encodeWhenConverterRefusesTheValueThenMessageSaysWhereOnce() {
        SessionCodec refusing = SessionCodec.builder()
                .convert("stay", Stay.class, ValueConverter.of(stay -> { throw new UnsupportedAttributeException("an open stay"); }, data -> null))
                .build();

        assertThatThrownBy(() -> refusing.encode(new Stay(null, null)))
                .isInstanceOf(UnsupportedAttributeException.class)
                .hasMessage("an open stay [inside 'stay']");
    }

    @Test
    void encodeWhenConverterThrowsThenUnsupportedNamingTheConverter() {
        SessionCodec failing = SessionCodec.builder()
                .convert("stay", Stay.class, ValueConverter.of(stay -> { throw new IllegalStateException("no dates"); }, data -> null))
                .build();

        assertThatThrownBy(() -> failing.encode(new Stay(null, null)))
                .isInstanceOf(UnsupportedAttributeException.class)
                .hasMessageContaining("the converter for 'stay' could not store")
                .hasMessageContaining("no dates");
    }

    @Test
    void encodeAttributeWhenRefusedThenMessageNamesTheAttribute() {
        assertThatThrownBy(() -> codec.encodeAttribute("SPRING_SECURITY_CONTEXT", new GoldBadge("x")))
                .hasMessageStartingWith("attribute 'SPRING_SECURITY_CONTEXT': cannot store a " + GoldBadge.class.getName());
    }

    @Test
    void convertWhenNameOrTypeTakenByATypeOrAConverterThenRejected() {
        assertThatThrownBy(() -> SessionCodec.builder().register("date", Cart.class).convert("date", LocalDate.class, DATE))
                .hasMessage("type name registered twice: date");
        assertThatThrownBy(() -> SessionCodec.builder().convert("date", LocalDate.class, DATE).register("date", Cart.class))
                .hasMessage("type name registered twice: date");
        assertThatThrownBy(() -> SessionCodec.builder().convert("date", LocalDate.class, DATE).convert("day", LocalDate.class, DATE))
                .hasMessage("type registered twice: java.time.LocalDate");
        assertThatThrownBy(() -> SessionCodec.builder().register("cart", Cart.class).convert("basket", Cart.class, null))
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> SessionCodec.builder().convert("1date", LocalDate.class, DATE))
                .hasMessageContaining("type name must match");
    }

    @Test
    void registerOrConvertWhenAnArgumentIsMissingThenNullPointerNamingIt() {
        assertThatThrownBy(() -> SessionCodec.builder().register(null, Cart.class)).isInstanceOf(NullPointerException.class).hasMessage("name");
        assertThatThrownBy(() -> SessionCodec.builder().convert(null, LocalDate.class, DATE)).isInstanceOf(NullPointerException.class).hasMessage("name");
        assertThatThrownBy(() -> SessionCodec.builder().convert("date", null, DATE)).isInstanceOf(NullPointerException.class).hasMessage("type");
        assertThatThrownBy(() -> SessionCodec.builder().convert("date", LocalDate.class, null)).isInstanceOf(NullPointerException.class).hasMessage("converter");
    }

    @Test
    void decodeAllWhenAConverterCannotRebuildItsValueThenOnlyThatAttributeIsDropped() {
        SessionCodec newerRelease = SessionCodec.builder()
                .convert("date", LocalDate.class, ValueConverter.of(LocalDate::toString, data -> { throw new IllegalArgumentException("changed"); }))
                .build();
        Map<String, String> stored = Map.of("day", codec.encode(LocalDate.of(2026, 1, 2)), "name", codec.encode("Zoë"),
                "days", codec.encode(List.of(LocalDate.of(2026, 1, 3))));

        assertThat(newerRelease.decodeAll(SessionKey.of("id"), stored)).isEqualTo(Map.of("name", "Zoë"));
        assertThatThrownBy(() -> newerRelease.decode(stored.get("day"))).isInstanceOf(SessionDecodingException.class);
    }

    @Test
    void decodeAllWhenTypeNameNoLongerRegisteredOrTypeNoLongerReadsThenThoseAttributesAreDropped() {
        Map<String, String> stored = new LinkedHashMap<>();
        stored.put("gone", "{\"@type\":\"java.lang.ProcessBuilder\",\"value\":{\"command\":[\"touch\",\"/tmp/pwned\"]}}");
        stored.put("cart", "{\"@type\":\"cart\",\"value\":{\"items\":\"not a list\"}}");
        stored.put("kept", "[1,2]");

        assertThat(codec.decodeAll(SessionKey.of("id"), stored)).isEqualTo(Map.of("kept", List.of(1, 2)));
    }

    @Test
    void decodeAllWhenAnAttributeIsNotJsonOrATypedValueIsMalformedThenTheWholeRecordFails() {
        assertThatThrownBy(() -> codec.decodeAll(SessionKey.of("id"), Map.of("a", "1", "b", "{not json")))
                .isInstanceOf(SessionDecodingException.class);
        assertThatThrownBy(() -> codec.decodeAll(SessionKey.of("id"), Map.of("a", "{\"@type\":\"date\",\"value\":\"2026-01-01\",\"x\":1}")))
                .isInstanceOf(SessionDecodingException.class);
    }

    @Test
    void decodeWhenConverterReturnsAnotherClassThenNotRebuilt() {
        SessionCodec lying = SessionCodec.builder()
                .convert("badge", Badge.class, ValueConverter.of(b -> b.label, data -> new GoldBadge((String) data)))
                .build();

        assertThat(lying.decodeAll(SessionKey.of("id"), Map.of("b", lying.encode(new Badge("x"))))).isEmpty();
    }

    @Test
    void buildWhenModuleListedOnTheClassPathThenInstalledUnlessDiscoveryIsOff() {
        Ticket ticket = new Ticket("A1");

        assertThat(SessionCodec.builder().build().encode(ticket)).isEqualTo("{\"@type\":\"test.ticket\",\"value\":\"A1\"}");
        assertThat(SessionCodec.builder().build().decode("{\"@type\":\"test.ticket\",\"value\":\"A1\"}")).isEqualTo(ticket);
        assertThatThrownBy(() -> SessionCodec.builder().discoverModules(false).build().encode(ticket))
                .isInstanceOf(UnsupportedAttributeException.class);
        assertThatThrownBy(() -> SessionCodec.plain().encode(ticket)).isInstanceOf(UnsupportedAttributeException.class);
    }

    @Test
    void installWhenTheAppConfiguresADiscoveredModuleThenItsInstanceReplacesTheDiscoveredOne() {
        SessionCodec configured = SessionCodec.builder().install(new DiscoveredTestModule("v2:")).build();

        assertThat(configured.encode(new Ticket("A1"))).isEqualTo("{\"@type\":\"test.ticket\",\"value\":\"v2:A1\"}");
        assertThatThrownBy(() -> SessionCodec.builder().install(new DiscoveredTestModule()).install(new DiscoveredTestModule()))
                .hasMessageContaining("module installed twice");
    }

    @Test
    void installWhenAModuleFailsHalfwayThenNothingOfItStays() {
        SessionCodec.Builder builder = SessionCodec.builder().discoverModules(false).register("cart", Cart.class);
        SessionCodecModule clashing = b -> b.convert("date", LocalDate.class, DATE).register("cart", Stay.class);

        assertThatThrownBy(() -> builder.install(clashing)).hasMessage("type name registered twice: cart");

        assertThatThrownBy(() -> builder.install(clashing)).as("not counted as installed")
                .hasMessage("type name registered twice: cart");
        SessionCodec codec = builder.convert("day", LocalDate.class, DATE).build();
        assertThat(codec.encode(LocalDate.of(2026, 1, 2))).isEqualTo("{\"@type\":\"day\",\"value\":\"2026-01-02\"}");
    }

    @Test
    void buildWhenADiscoveredModuleClashesWithTheAppsRegistrationsThenRefusedSayingHowToResolveIt() {
        assertThatThrownBy(() -> SessionCodec.builder().register("test.ticket", Cart.class).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(DiscoveredTestModule.class.getName())
                .hasMessageContaining("discoverModules(false)");
    }

    @Test
    void encodeWhenConvertersAreRegisteredTooThenRegisteredTypesKeepTheirForm() {
        Cart cart = new Cart(new ArrayList<>(List.of("tea")));

        String json = codec.encode(cart);

        assertThat(json).isEqualTo("{\"@type\":\"cart\",\"value\":{\"items\":[\"tea\"]}}");
        assertThat(codec.decode(json)).isEqualTo(cart);
    }
}
