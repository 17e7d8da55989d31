package dev.cloakroom.spring;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Reading the plain data a converter stored, with a clear failure when it does not have the expected shape (data from
 * another release, say): the codec then drops only the attribute that held it.
 */
final class Data {
    private Data() {
    }

    /** A fresh map to fill in {@code toData}; null values are kept, so that every field has its key. */
    static Map<String, Object> fields() {
        return new LinkedHashMap<>();
    }

    static Map<String, Object> map(Object data) {
        if (!(data instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException("expected a map, found " + describe(data));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> fields = (Map<String, Object>) map;
        return fields;
    }

    static Map<String, Object> map(Map<String, Object> fields, String name) {
        Object value = fields.get(name);
        return value == null ? null : map(value);
    }

    static String string(Map<String, Object> fields, String name) {
        Object value = fields.get(name);
        if (value != null && !(value instanceof String)) {
            throw new IllegalArgumentException("'" + name + "' should be a string, found " + describe(value));
        }
        return (String) value;
    }

    static String requiredString(Map<String, Object> fields, String name) {
        String value = string(fields, name);
        if (value == null) {
            throw new IllegalArgumentException("'" + name + "' is missing");
        }
        return value;
    }

    static boolean bool(Map<String, Object> fields, String name) {
        if (!(fields.get(name) instanceof Boolean value)) {
            throw new IllegalArgumentException("'" + name + "' should be true or false, found " + describe(fields.get(name)));
        }
        return value;
    }

    static long number(Map<String, Object> fields, String name) {
        if (!(fields.get(name) instanceof Integer || fields.get(name) instanceof Long)) {
            throw new IllegalArgumentException("'" + name + "' should be a whole number, found " + describe(fields.get(name)));
        }
        return ((Number) fields.get(name)).longValue();
    }

    static <T> List<T> list(Map<String, Object> fields, String name, Class<T> type) {
        Object value = fields.get(name);
        if (!(value instanceof List<?> list)) {
            throw new IllegalArgumentException("'" + name + "' should be a list, found " + describe(value));
        }
        List<T> typed = new ArrayList<>(list.size());
        for (Object element : list) {
            if (!type.isInstance(element)) {
                throw new IllegalArgumentException("'" + name + "' should hold " + type.getSimpleName() + "s, found " + describe(element));
            }
            typed.add(type.cast(element));
        }
        return typed;
    }

    static String instant(Instant value) {
        return value == null ? null : value.toString();
    }

    static Instant instant(Map<String, Object> fields, String name) {
        String value = string(fields, name);
        return value == null ? null : Instant.parse(value);
    }

    static <T> List<Object> each(Collection<? extends T> values, Function<T, Object> toData) {
        List<Object> data = new ArrayList<>(values.size());
        values.forEach(value -> data.add(toData.apply(value)));
        return data;
    }

    /**
     * A key whose {@link String#hashCode()} is {@code hash}. Remember-me and anonymous tokens keep only their key's
     * hash, and can be built only from a key: the stored hash is written out as seven base-31 digits, which
     * {@code hashCode}, computed modulo 2^32, turns back into the same hash. The application's key is never stored.
     */
    static String keyWithHash(int hash) {
        long rest = Integer.toUnsignedLong(hash);
        char[] digits = new char[7];
        for (int i = digits.length - 1; i >= 0; i--) {
            digits[i] = (char) (rest % 31);
            rest /= 31;
        }
        return new String(digits);
    }

    private static String describe(Object value) {
        return value == null ? "nothing" : "a " + value.getClass().getSimpleName();
    }
}
