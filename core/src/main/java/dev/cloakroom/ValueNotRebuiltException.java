package dev.cloakroom;

/**
 * A stored typed value whose type or converter could not rebuild it (the class changed, the data is from another
 * release, the name is no longer registered). The record itself is sound: only the attribute holding it is dropped.
 */
final class ValueNotRebuiltException extends RuntimeException {
    private final String typeName;

    ValueNotRebuiltException(String typeName, String reason, Throwable cause) {
        super("the value stored as '" + typeName + "' could not be rebuilt: " + reason, cause);
        this.typeName = typeName;
    }

    String typeName() {
        return typeName;
    }
}
