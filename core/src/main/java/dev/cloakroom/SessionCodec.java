package dev.cloakroom;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns attribute values into JSON text and back. Data only: strings, numbers, booleans, null, lists (any
 * {@link Collection}, read back as a {@link List}), maps with string keys, and the types the application registers
 * by name. Numbers come back as {@link Integer}, {@link Long} or {@link BigInteger} when whole, otherwise as
 * {@link Double}, or as {@link BigDecimal} when a double would lose digits. Nothing else is accepted, no class name is ever read from stored data, and Java serialization is never
 * used, so a stored record cannot make the application instantiate anything it did not choose.
 *
 * <p>A registered value is stored as {@code {"@type": "<name>", "value": <its Jackson form>}}; for that reason a
 * plain map may not use the key {@code "@type"}. Instances are immutable and thread-safe.
 *
 * <p>A type Jackson cannot read plainly gets a {@link ValueConverter}, stored the same way with the converter's data
 * as {@code "value"}; libraries contribute converters as {@link SessionCodecModule}s, found on the class path by
 * {@link Builder#build()}. Registered types and converters match the exact class of a value, never a subclass, so an
 * unknown type is refused, not stored as its supertype. A typed value that cannot be rebuilt on read (its class
 * changed, its name is no longer registered, its converter throws) costs only its attribute: {@link #decodeAll} drops
 * it with one warning, and the next commit removes it from the store.
 *
 * <p>What this codec writes it reads back: strings and map keys up to {@link #DEFAULT_MAX_STRING_LENGTH} characters,
 * or as many as the session size cap allows when it is larger ({@link #withMaxBytes}, which {@link SessionManager}
 * applies); numbers of up to {@link #MAX_NUMBER_LENGTH} characters (a longer one is refused when encoded); nesting up
 * to {@link #MAX_READ_DEPTH} levels in the text. Nor does it read what it would refuse to write (an unpaired surrogate,
 * plain values nested more than 64 levels): such text is not decodable, since a session holding it could never be
 * saved again.
 */
public final class SessionCodec {
    private static final Logger LOG = LoggerFactory.getLogger(SessionCodec.class);

    /**
     * Longest string or map key read when no larger cap was given: Jackson's own default (20 million characters), so
     * that a codec is never stricter on read than a plain Jackson reader.
     */
    public static final int DEFAULT_MAX_STRING_LENGTH = StreamReadConstraints.DEFAULT_MAX_STRING_LEN;
    /** Longest number, in characters of its JSON text: Jackson's default (1000); longer ones are refused on encode. */
    public static final int MAX_NUMBER_LENGTH = StreamReadConstraints.DEFAULT_MAX_NUM_LEN;
    /** Deepest nesting read: Jackson's default (1000); encoding refuses values nested more than 64 levels. */
    public static final int MAX_READ_DEPTH = StreamReadConstraints.DEFAULT_MAX_DEPTH;

    static final String TYPE_FIELD = "@type";
    static final String VALUE_FIELD = "value";
    private static final int MAX_DEPTH = 64;
    private static final Pattern TYPE_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_.-]{0,63}");
    private static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);
    private static final String NOT_WELL_FORMED = "only well-formed Unicode text can be stored and read back exactly";

    private final ObjectMapper mapper;
    private final Map<String, Class<?>> typesByName;
    private final Map<Class<?>, String> namesByType;
    private final Map<String, RegisteredConverter<?>> convertersByName;
    private final Map<Class<?>, RegisteredConverter<?>> convertersByType;
    private final int maxStringLength;

    private SessionCodec(Map<String, Class<?>> typesByName, Map<String, RegisteredConverter<?>> converters, int maxStringLength) {
        StreamReadConstraints limits = StreamReadConstraints.builder()
                .maxStringLength(maxStringLength)
                .maxNameLength(maxStringLength)
                .maxNumberLength(MAX_NUMBER_LENGTH)
                .maxNestingDepth(MAX_READ_DEPTH)
                .build();
        this.mapper = JsonMapper.builder(JsonFactory.builder().streamReadConstraints(limits).build())
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                // read every fraction exactly; fromTree turns it into a Double when that loses nothing
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                // a stored value is exactly one JSON value: text after it means the record is damaged
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .nodeFactory(NODES)
                .build();
        this.typesByName = Map.copyOf(typesByName);
        var names = new HashMap<Class<?>, String>();
        typesByName.forEach((name, type) -> names.put(type, name));
        this.namesByType = Map.copyOf(names);
        this.convertersByName = Map.copyOf(converters);
        var byType = new HashMap<Class<?>, RegisteredConverter<?>>();
        converters.values().forEach(converter -> byType.put(converter.type(), converter));
        this.convertersByType = Map.copyOf(byType);
        this.maxStringLength = maxStringLength;
    }

    /** A codec for plain JSON values only. */
    public static SessionCodec plain() {
        return new SessionCodec(Map.of(), Map.of(), DEFAULT_MAX_STRING_LENGTH);
    }

    /** A builder; {@link Builder#build()} also installs the {@link SessionCodecModule}s on the class path. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * This codec, with read limits that admit every value a session of up to {@code maxBytes} encoded bytes can hold:
     * strings and map keys of up to {@code maxBytes} characters (never fewer than {@link #DEFAULT_MAX_STRING_LENGTH}).
     * Without it, a value saved under a cap above Jackson's default would fail to decode on the next load, and its
     * session would be dropped.
     *
     * @throws IllegalArgumentException if {@code maxBytes} is not positive
     */
    public SessionCodec withMaxBytes(long maxBytes) {
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes must be positive: " + maxBytes);
        }
        // a JSON text holds at least one byte per character of the strings in it, so maxBytes characters suffice
        int length = (int) Math.max(DEFAULT_MAX_STRING_LENGTH, Math.min(Integer.MAX_VALUE, maxBytes));
        return length == maxStringLength ? this : new SessionCodec(typesByName, convertersByName, length);
    }

    /**
     * Encodes one attribute value.
     *
     * @throws UnsupportedAttributeException if the value, or anything inside it, is not storable
     */
    public String encode(Object value) {
        JsonNode tree = toTree(value, 0);
        try {
            return mapper.writeValueAsString(tree);
        } catch (JsonProcessingException e) {
            throw new UnsupportedAttributeException("cannot write attribute value as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * Decodes one stored attribute value into fresh, mutable objects.
     *
     * @throws SessionDecodingException if the text is not JSON or names a type that is not registered
     */
    public Object decode(String json) {
        try {
            return read(json);
        } catch (ValueNotRebuiltException e) {
            throw new SessionDecodingException("stored attribute is not decodable: " + e.getMessage(), e);
        }
    }

    /** {@link #decode}, except that a typed value that cannot be rebuilt throws {@link ValueNotRebuiltException}. */
    private Object read(String json) {
        try {
            return fromTree(requireWellFormed(mapper.readTree(json)), 0);
        } catch (UnsupportedAttributeException e) {
            // what encoding refuses is never read either: once read, it could not be written again on any commit
            throw new SessionDecodingException("stored attribute is not what this codec writes: " + e.getMessage(), e);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new SessionDecodingException("stored attribute is not decodable: " + e.getMessage(), e);
        }
    }

    /**
     * {@link #encode} for the attribute {@code name}: the name must be storable text too, and a refusal names the
     * attribute.
     *
     * @throws UnsupportedAttributeException if the name or the value is not storable
     */
    String encodeAttribute(String name, Object value) {
        int unpaired = unpairedSurrogateAt(name);
        if (unpaired >= 0) {
            throw new UnsupportedAttributeException("attribute name '" + escapeSurrogates(name)
                    + "' holds an unpaired surrogate at index " + unpaired + ": " + NOT_WELL_FORMED);
        }
        try {
            return encode(value);
        } catch (UnsupportedAttributeException e) {
            throw e.forAttribute(name);
        }
    }

    /**
     * The stored attribute {@code name} of the record {@code key}, decoded; {@code null} if it is absent or, as in
     * {@link #decodeAll}, if its typed value cannot be rebuilt (one warning).
     */
    Object decodeOrNull(SessionKey key, String name, String json) {
        if (json == null) {
            return null;
        }
        try {
            return read(json);
        } catch (ValueNotRebuiltException e) {
            warnDropped(key, name, e);
            return null;
        }
    }

    /**
     * Decodes every attribute of the record {@code key}. An attribute whose typed value cannot be rebuilt is left out,
     * with one warning; any other failure (text that is not JSON, a malformed typed value) fails all.
     */
    Map<String, Object> decodeAll(SessionKey key, Map<String, String> encoded) {
        Map<String, Object> decoded = new LinkedHashMap<>();
        for (Map.Entry<String, String> entry : encoded.entrySet()) {
            try {
                decoded.put(entry.getKey(), read(entry.getValue()));
            } catch (ValueNotRebuiltException e) {
                warnDropped(key, entry.getKey(), e);
            } catch (SessionDecodingException e) {
                throw new SessionDecodingException("attribute '" + entry.getKey() + "': " + e.getMessage(), e);
            }
        }
        return decoded;
    }

    private static void warnDropped(SessionKey key, String name, ValueNotRebuiltException e) {
        LOG.warn("{}: attribute '{}' is dropped, the session goes on without it: {}", key, name, e.getMessage());
    }

    private JsonNode toTree(Object value, int depth) {
        if (depth > MAX_DEPTH) {
            throw new UnsupportedAttributeException("attribute value nests deeper than " + MAX_DEPTH + " levels (a cycle?)");
        }
        if (value == null) return NODES.nullNode();
        if (value instanceof String s) return NODES.textNode(requireWellFormed(s, "a string"));
        if (value instanceof Boolean b) return NODES.booleanNode(b);
        if (value instanceof Integer || value instanceof Short || value instanceof Byte) return NODES.numberNode(((Number) value).intValue());
        if (value instanceof Long l) return NODES.numberNode(l);
        if (value instanceof BigInteger i) return NODES.numberNode(requireReadable(i, i.toString()));
        if (value instanceof BigDecimal d) return NODES.numberNode(requireReadable(d, d.toString()));
        if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            if (!Double.isFinite(d)) {
                throw new UnsupportedAttributeException("JSON has no " + d);
            }
            return NODES.numberNode(d);
        }
        String typeName = namesByType.get(value.getClass());
        if (typeName != null) {
            ObjectNode wrapper = NODES.objectNode();
            wrapper.put(TYPE_FIELD, typeName);
            try {
                wrapper.set(VALUE_FIELD, requireWellFormed(mapper.<JsonNode>valueToTree(value)));
            } catch (IllegalArgumentException e) {
                throw new UnsupportedAttributeException("cannot encode registered type '" + typeName + "': " + e.getMessage(), e);
            }
            return wrapper;
        }
        RegisteredConverter<?> converter = convertersByType.get(value.getClass());
        if (converter != null) {
            // a refusal by the converter itself says where already
            Object data = converter.toData(value);
            ObjectNode wrapper = NODES.objectNode();
            wrapper.put(TYPE_FIELD, converter.name());
            try {
                wrapper.set(VALUE_FIELD, toTree(data, depth + 1));
            } catch (UnsupportedAttributeException e) {
                throw e.inside(converter.name());
            }
            return wrapper;
        }
        if (value instanceof Map<?, ?> map) {
            ObjectNode object = NODES.objectNode();
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                if (!(entry.getKey() instanceof String key)) {
                    throw new UnsupportedAttributeException("map keys must be strings, found " + typeOf(entry.getKey()));
                }
                if (TYPE_FIELD.equals(key)) {
                    throw new UnsupportedAttributeException("the map key '" + TYPE_FIELD + "' is reserved for registered types");
                }
                object.set(requireWellFormed(key, "a map key"), toTree(entry.getValue(), depth + 1));
            }
            return object;
        }
        if (value instanceof Collection<?> collection) {
            ArrayNode array = NODES.arrayNode();
            for (Object element : collection) {
                array.add(toTree(element, depth + 1));
            }
            return array;
        }
        throw UnsupportedAttributeException.unregistered(value.getClass(), namedSupertype(value.getClass()));
    }

    /** A registered or converted supertype of {@code type}, to explain why a subclass is refused; else null. */
    private Class<?> namedSupertype(Class<?> type) {
        for (Class<?> named : namesByType.keySet()) {
            if (named.isAssignableFrom(type)) return named;
        }
        for (Class<?> converted : convertersByType.keySet()) {
            if (converted.isAssignableFrom(type)) return converted;
        }
        return null;
    }

    /** A registered type's strings are checked like plain ones: every text and field name in its tree. */
    private static JsonNode requireWellFormed(JsonNode tree) {
        if (tree.isTextual()) {
            requireWellFormed(tree.textValue(), "a string");
        }
        for (Iterator<Map.Entry<String, JsonNode>> fields = tree.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            requireWellFormed(field.getKey(), "a field name");
            requireWellFormed(field.getValue());
        }
        if (tree.isArray()) {
            tree.forEach(SessionCodec::requireWellFormed);
        }
        return tree;
    }

    /**
     * Text with an unpaired surrogate is not Unicode: it has no UTF-8 form, so a store would replace it (with
     * {@code ?} or U+FFFD) or refuse it, and the value would not read back as written.
     */
    private static String requireWellFormed(String text, String what) {
        int at = unpairedSurrogateAt(text);
        if (at >= 0) {
            throw new UnsupportedAttributeException(what + " holds an unpaired surrogate "
                    + escapeSurrogates(String.valueOf(text.charAt(at))) + " at index " + at + ": " + NOT_WELL_FORMED);
        }
        return text;
    }

    /** The index of the first surrogate char that is not half of a pair, or -1. */
    private static int unpairedSurrogateAt(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    /** {@code text} with each surrogate char written as a Java escape, so that a message shows it. */
    private static String escapeSurrogates(String text) {
        StringBuilder shown = new StringBuilder(text.length());
        text.chars().forEach(c -> shown.append(Character.isSurrogate((char) c) ? String.format("\\u%04X", c) : String.valueOf((char) c)));
        return shown.toString();
    }

    /** The inverse of {@link #toTree}, with its depth limit. */
    private Object fromTree(JsonNode node, int depth) throws JsonProcessingException {
        if (depth > MAX_DEPTH) {
            throw new UnsupportedAttributeException("stored value nests deeper than " + MAX_DEPTH + " levels");
        }
        switch (node.getNodeType()) {
            case NULL:
                return null;
            case STRING:
                return node.textValue();
            case BOOLEAN:
                return node.booleanValue();
            case NUMBER:
                if (node.isBigDecimal()) {
                    BigDecimal exact = node.decimalValue();
                    double approximate = exact.doubleValue();
                    boolean lossless = Double.isFinite(approximate) && BigDecimal.valueOf(approximate).compareTo(exact) == 0;
                    return lossless ? (Object) approximate : exact;
                }
                return node.numberValue();
            case ARRAY: {
                List<Object> list = new ArrayList<>(node.size());
                for (JsonNode element : node) {
                    list.add(fromTree(element, depth + 1));
                }
                return list;
            }
            case OBJECT: {
                JsonNode typeName = node.get(TYPE_FIELD);
                if (typeName != null) {
                    return fromTyped(typeName.asText(), node, depth);
                }
                Map<String, Object> map = new LinkedHashMap<>();
                for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext(); ) {
                    Map.Entry<String, JsonNode> field = fields.next();
                    map.put(field.getKey(), fromTree(field.getValue(), depth + 1));
                }
                return map;
            }
            default:
                throw new IllegalArgumentException("unexpected JSON node " + node.getNodeType());
        }
    }

    private Object fromTyped(String name, JsonNode node, int depth) throws JsonProcessingException {
        if (node.size() != 2 || !node.has(VALUE_FIELD)) {
            throw new IllegalArgumentException("malformed typed value '" + name + "'");
        }
        Class<?> type = typesByName.get(name);
        if (type != null) {
            try {
                return mapper.treeToValue(node.get(VALUE_FIELD), type);
            } catch (JsonProcessingException | IllegalArgumentException e) {
                throw new ValueNotRebuiltException(name, "Jackson cannot read it as a " + type.getName() + ": " + e.getMessage(), e);
            }
        }
        RegisteredConverter<?> converter = convertersByName.get(name);
        if (converter == null) {
            throw new ValueNotRebuiltException(name, "no type or converter is registered under that name", null);
        }
        return converter.fromData(fromTree(node.get(VALUE_FIELD), depth + 1));
    }

    /** A number Jackson would refuse to read back is refused now, while the application can still do something else. */
    private static <N extends Number> N requireReadable(N number, String json) {
        if (json.length() > MAX_NUMBER_LENGTH) {
            throw new UnsupportedAttributeException("a number of " + json.length() + " characters cannot be stored; at most "
                    + MAX_NUMBER_LENGTH + " (store it as a string)");
        }
        return number;
    }

    private static String typeOf(Object value) {
        return value == null ? "null" : value.getClass().getName();
    }

    /**
     * Registers application types and converters by a stable name; the name, never the class name, is what gets
     * stored. {@link #build()} also installs the {@link SessionCodecModule}s found on the class path, unless
     * {@link #discoverModules} turned that off. Each call is checked as it is made: a bad one is refused at once with an
     * {@link IllegalArgumentException} naming it (a {@link NullPointerException} for a missing one), and leaves what was
     * set before.
     */
    public static final class Builder {
        /** Whether {@link #build()} installs the modules found on the class path, unless told otherwise. */
        public static final boolean DEFAULT_DISCOVER_MODULES = true;

        private final Map<String, Class<?>> types = new LinkedHashMap<>();
        private final Map<String, RegisteredConverter<?>> converters = new LinkedHashMap<>();
        private final Set<Class<?>> installed = new HashSet<>();
        private boolean discoverModules = DEFAULT_DISCOVER_MODULES;

        private Builder() {
        }

        /**
         * @param name stable name stored with each value: a letter, then up to 63 letters, digits, {@code _ . -}
         * @param type a class Jackson can write and read (a record, or a bean with a default constructor)
         */
        public Builder register(String name, Class<?> type) {
            types.put(requireUnclaimed(name, type), type);
            return this;
        }

        /**
         * Stores values of exactly {@code type} (not its subclasses) as the data {@code converter} makes of them.
         *
         * @param name stable name stored with each value, as for {@link #register}; unique among types and converters
         */
        public <T> Builder convert(String name, Class<T> type, ValueConverter<T> converter) {
            Objects.requireNonNull(converter, "converter");
            converters.put(requireUnclaimed(name, type), new RegisteredConverter<>(name, type, converter));
            return this;
        }

        /**
         * Installs a module's types and converters now. A module of the same class found on the class path is then
         * not installed again by {@link #build()}: this is how an application configures a discovered module. A module
         * that fails leaves nothing of itself behind.
         */
        public Builder install(SessionCodecModule module) {
            Objects.requireNonNull(module, "module");
            if (installed.contains(module.getClass())) {
                throw new IllegalArgumentException("module installed twice: " + module.getClass().getName());
            }
            Set<String> typesBefore = Set.copyOf(types.keySet());
            Set<String> convertersBefore = Set.copyOf(converters.keySet());
            Set<Class<?>> installedBefore = Set.copyOf(installed);
            installed.add(module.getClass());
            try {
                module.install(this);
            } catch (RuntimeException e) {
                // the builder's calls only ever add, so dropping what was added restores it
                types.keySet().retainAll(typesBefore);
                converters.keySet().retainAll(convertersBefore);
                installed.retainAll(installedBefore);
                throw e;
            }
            return this;
        }

        /**
         * Whether {@link #build()} installs every {@link SessionCodecModule} listed in
         * {@code META-INF/services/dev.cloakroom.SessionCodecModule} on the class path (found with the thread's context
         * class loader); default {@value #DEFAULT_DISCOVER_MODULES}. Turn it off to choose every module by hand.
         */
        public Builder discoverModules(boolean value) {
            this.discoverModules = value;
            return this;
        }

        /**
         * @throws IllegalArgumentException if a discovered module registers a name or type registered already
         * @throws IllegalStateException if a module listed on the class path cannot be loaded
         */
        public SessionCodec build() {
            if (discoverModules) {
                installDiscovered();
            }
            return new SessionCodec(types, converters, DEFAULT_MAX_STRING_LENGTH);
        }

        private void installDiscovered() {
            try {
                for (ServiceLoader.Provider<SessionCodecModule> provider : ServiceLoader.load(SessionCodecModule.class).stream().toList()) {
                    if (installed.contains(provider.type())) {
                        continue;
                    }
                    try {
                        install(provider.get());
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("session codec module " + provider.type().getName()
                                + ", found on the class path, clashes with what was registered: " + e.getMessage()
                                + " (install the module yourself, or build with discoverModules(false))", e);
                    }
                    LOG.debug("installed session codec module {} found on the class path", provider.type().getName());
                }
            } catch (ServiceConfigurationError e) {
                throw new IllegalStateException("a session codec module listed on the class path cannot be loaded: " + e.getMessage(), e);
            }
        }

        /**
         * {@code name}, once it is known to be a valid type name that neither a type nor a converter holds, for a
         * {@code type} that has no name yet: names and types are one namespace, whichever way they are stored.
         */
        private String requireUnclaimed(String name, Class<?> type) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(type, "type");
            if (!TYPE_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("type name must match " + TYPE_NAME + ": " + name);
            }
            if (types.containsKey(name) || converters.containsKey(name)) {
                throw new IllegalArgumentException("type name registered twice: " + name);
            }
            if (types.containsValue(type) || converters.values().stream().anyMatch(converter -> converter.type() == type)) {
                throw new IllegalArgumentException("type registered twice: " + type.getName());
            }
            return name;
        }
    }
}
