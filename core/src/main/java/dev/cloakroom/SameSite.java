package dev.cloakroom;

/** The cookie's {@code SameSite} attribute. */
public enum SameSite {
    /** Sent only with requests that start on this site. */
    STRICT("Strict"),
    /** Also sent on top-level navigations from other sites (links), not on their sub-requests or form POSTs. The default. */
    LAX("Lax"),
    /** Sent with every request; browsers then require {@code Secure}. */
    NONE("None");

    private final String attributeValue;

    SameSite(String attributeValue) {
        this.attributeValue = attributeValue;
    }

    /** The spelling in a {@code Set-Cookie} header. */
    public String attributeValue() {
        return attributeValue;
    }
}
