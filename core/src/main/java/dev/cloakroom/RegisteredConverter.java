package dev.cloakroom;

/** A {@link ValueConverter} with the name its values are stored under; failures become the codec's exceptions. */
record RegisteredConverter<T>(String name, Class<T> type, ValueConverter<T> converter) {

    Object toData(Object value) {
        try {
            return converter.toData(type.cast(value));
        } catch (UnsupportedAttributeException e) {
            throw e.inside(name);
        } catch (RuntimeException e) {
            throw new UnsupportedAttributeException("the converter for '" + name + "' could not store a "
                    + type.getName() + ": " + e, e);
        }
    }

    T fromData(Object data) {
        T value;
        try {
            value = converter.fromData(data);
        } catch (RuntimeException e) {
            throw new ValueNotRebuiltException(name, "its converter failed: " + e, e);
        }
        if (value != null && value.getClass() != type) {
            throw new ValueNotRebuiltException(name, "its converter returned a " + value.getClass().getName()
                    + ", not a " + type.getName(), null);
        }
        return value;
    }
}
