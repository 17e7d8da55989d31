package dev.cloakroom.spring.boot;

import dev.cloakroom.SessionCodec;

/**
 * Adds the application's own types to the codec the auto-configuration builds: declare one as a bean and call
 * {@code register} or {@code convert} on the builder. Every customizer bean is applied, in bean order, before the
 * codec is built; an application that declares its own {@link SessionCodec} bean bypasses them all.
 */
@FunctionalInterface
public interface CloakroomCodecCustomizer {
    void customize(SessionCodec.Builder codec);
}
