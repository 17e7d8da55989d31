package dev.cloakroom;

/**
 * A group of types and converters a library contributes to every {@link SessionCodec}, so that its objects are storable
 * without code in the application. {@link SessionCodec.Builder#build()} installs each module named in a
 * {@code META-INF/services/dev.cloakroom.SessionCodecModule} file on the class path (see {@link java.util.ServiceLoader})
 * unless the application turns discovery off; the application may also {@link SessionCodec.Builder#install} one itself,
 * which then replaces the discovered instance of the same class.
 *
 * <p>A discovered module must have a public no-argument constructor and must not fail when the classes it converts are
 * absent: it checks for them and registers only what the class path holds.
 */
public interface SessionCodecModule {
    /** Registers this module's types and converters with {@link SessionCodec.Builder#register}/{@link SessionCodec.Builder#convert}. */
    void install(SessionCodec.Builder builder);
}
