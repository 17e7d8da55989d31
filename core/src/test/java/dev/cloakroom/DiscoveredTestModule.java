package dev.cloakroom;

/** Listed in this test class path's META-INF/services, as a library module would be. */
public final class DiscoveredTestModule implements SessionCodecModule {
    /** A class Jackson cannot read: no default constructor, no setters. */
    public static final class Ticket {
        private final String code;

        public Ticket(String code) {
            this.code = code;
        }

        public String code() {
            return code;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Ticket t && t.code.equals(code);
        }

        @Override
        public int hashCode() {
            return code.hashCode();
        }
    }

    private final String prefix;

    public DiscoveredTestModule() {
        this("");
    }

    /** Configured by the application, which then installs it itself. */
    DiscoveredTestModule(String prefix) {
        this.prefix = prefix;
    }

    @Override
    public void install(SessionCodec.Builder builder) {
        builder.convert("test.ticket", Ticket.class, ValueConverter.of(t -> prefix + t.code(), data -> new Ticket((String) data)));
    }
}
