package dev.cloakroom;

/**
 * An attribute the codec will not store: its value is not a JSON value (string, number, boolean, null, list, map with
 * string keys), nor a type registered with {@link SessionCodec.Builder#register}, nor one with a {@link ValueConverter}
 * ({@link SessionCodec.Builder#convert}); or its name or some text in it is not well-formed Unicode (an unpaired
 * surrogate). The message names the attribute (when the session refused it) and says what is wrong; for a type with no
 * name in the codec, it shows the line that registers the type.
 *
 * <p>Thrown at {@link Session#setAttribute} time, before anything changes. Thrown by {@link SessionManager#commit} only
 * for a value changed in place after it was set or read: the request's other changes were saved then, and the
 * session's state says what the store holds ({@link Session#isStored()}, {@link Session#id()}).
 */
public final class UnsupportedAttributeException extends IllegalArgumentException {
    public UnsupportedAttributeException(String message) {
        super(message);
    }

    public UnsupportedAttributeException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * No name for {@code type} in the codec. {@code supertype}, if not null, is a registered or converted supertype,
     * worth naming because matching is by exact class.
     */
    static UnsupportedAttributeException unregistered(Class<?> type, Class<?> supertype) {
        String name = suggestedName(type);
        String className = type.getName().replace('$', '.');
        String message = "cannot store a " + type.getName() + ": it is not a JSON value (string, number, boolean, null,"
                + " list, map with string keys) and the session codec has no name for it"
                + (supertype == null ? "" : " (" + supertype.getName() + " has one, but names match the exact class)")
                + ". Register it where the codec is built: SessionManager.builder(store).codec(SessionCodec.builder()"
                + ".register(\"" + name + "\", " + className + ".class).build()) for a record or bean Jackson can read,"
                + " or .convert(\"" + name + "\", " + className + ".class, converter) with a ValueConverter for any other class";
        return new UnsupportedAttributeException(message);
    }

    /** This failure, found inside the data of the value stored as {@code typeName}. */
    UnsupportedAttributeException inside(String typeName) {
        return new UnsupportedAttributeException(getMessage() + " [inside '" + typeName + "']", this);
    }

    /** This failure, for the attribute {@code name}. */
    UnsupportedAttributeException forAttribute(String name) {
        return new UnsupportedAttributeException("attribute '" + name + "': " + getMessage(), this);
    }

    /** {@code MyAuthentication} becomes {@code my-authentication}: a valid type name the user can keep. */
    private static String suggestedName(Class<?> type) {
        String simple = type.getSimpleName();
        StringBuilder name = new StringBuilder();
        for (int i = 0; i < simple.length(); i++) {
            char c = simple.charAt(i);
            if (Character.isUpperCase(c) && i > 0 && !Character.isUpperCase(simple.charAt(i - 1))) {
                name.append('-');
            }
            if (c < 128 && Character.isLetterOrDigit(c)) {
                name.append(Character.toLowerCase(c));
            }
        }
        return name.length() > 0 && Character.isLetter(name.charAt(0)) && name.length() <= 64 ? name.toString() : "my-type";
    }
}
