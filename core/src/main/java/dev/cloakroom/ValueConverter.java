package dev.cloakroom;

import java.util.Objects;
import java.util.function.Function;

/**
 * Stores a type that Jackson cannot read plainly (a framework class without a default constructor, say) as data. Register
 * it with {@link SessionCodec.Builder#convert}; the value is then stored as {@code {"@type": "<name>", "value": <data>}}.
 *
 * <p>{@link #toData} returns the codec's own value model: strings, numbers, booleans, null, lists, maps with string keys,
 * and values that are themselves registered types or have converters (the codec encodes those in turn, so a converter
 * for a container hands its parts back as they are). {@link #fromData} receives that data decoded the same way: maps as
 * {@code Map<String, Object>}, lists as {@code List<Object>}, whole numbers as {@link Integer}, {@link Long} or
 * {@link java.math.BigInteger}, nested typed values already rebuilt.
 *
 * <p>A converter matches its exact class only: a subclass needs a converter of its own, so that no type is stored by
 * a converter that does not know its extra state. If {@link #fromData} throws (the class changed, the data comes from
 * an older release), only that attribute is dropped, with one warning, and the rest of the session is kept.
 * Implementations must be thread-safe and must not store secrets the application does not need back.
 *
 * @param <T> the exact class converted
 */
public interface ValueConverter<T> {
    /** The value as plain data; may throw {@link UnsupportedAttributeException} for a value it will not store. */
    Object toData(T value);

    /** Rebuilds a value from what {@link #toData} returned; throws any runtime exception when it cannot. */
    T fromData(Object data);

    /** A converter from two functions, for a one-line registration. */
    static <T> ValueConverter<T> of(Function<? super T, ?> toData, Function<Object, ? extends T> fromData) {
        Objects.requireNonNull(toData, "toData");
        Objects.requireNonNull(fromData, "fromData");
        return new ValueConverter<>() {
            @Override
            public Object toData(T value) {
                return toData.apply(value);
            }

            @Override
            public T fromData(Object data) {
                return fromData.apply(data);
            }
        };
    }
}
