package dev.cloakroom.spring;

import dev.cloakroom.SessionCodec;
import dev.cloakroom.SessionCodecModule;
import java.util.Objects;
import java.util.function.Function;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;

/**
 * Makes the objects Spring Security and Spring MVC keep in the session storable, as data under {@code spring.*} names.
 * Listed in {@code META-INF/services}, so every {@link SessionCodec.Builder#build()} installs it when this jar is on the
 * class path: no code needed. Each group is installed only when its Spring classes are present (Spring Security core,
 * Spring Security web, the OAuth2 client, Spring MVC), so an application without the OAuth2 client, say, works as well.
 *
 * <p>An {@code OAuth2AuthorizedClient} is stored by its registration id and read back through the application's
 * {@link ClientRegistrationRepository}: install {@link #withClientRegistrations} for that (the Spring Boot starter does);
 * the discovered instance refuses to store one, with a message saying so. See the module's README for how each object
 * is stored and what is left out.
 */
public final class SpringCodecModule implements SessionCodecModule {
    private static final String SECURITY = "org.springframework.security.core.context.SecurityContextImpl";
    private static final String SECURITY_WEB = "org.springframework.security.web.savedrequest.DefaultSavedRequest";
    private static final String OAUTH2_CLIENT = "org.springframework.security.oauth2.client.OAuth2AuthorizedClient";
    private static final String MVC = "org.springframework.web.servlet.FlashMap";

    /** Typed by erasure only, so that loading this class never needs the OAuth2 client on the class path. */
    private final Function<String, ClientRegistration> registrations;

    /** The discovered module: every group whose classes are present; authorized OAuth2 clients are refused. */
    public SpringCodecModule() {
        this(null);
    }

    private SpringCodecModule(Function<String, ClientRegistration> registrations) {
        this.registrations = registrations;
    }

    /**
     * The module with the application's client registrations, so that authorized OAuth2 clients are storable:
     * {@code SessionCodec.builder().install(SpringCodecModule.withClientRegistrations(repository)).build()}. It replaces
     * the discovered instance.
     */
    public static SpringCodecModule withClientRegistrations(ClientRegistrationRepository repository) {
        Objects.requireNonNull(repository, "repository");
        return new SpringCodecModule(repository::findByRegistrationId);
    }

    @Override
    public void install(SessionCodec.Builder codec) {
        if (present(SECURITY)) {
            SecurityConverters.install(codec);
            if (present(SECURITY_WEB)) {
                WebSecurityConverters.install(codec);
            }
            if (present(OAUTH2_CLIENT)) {
                OAuth2Converters.install(codec, registrations);
            }
        }
        if (present(MVC)) {
            MvcConverters.install(codec);
        }
    }

    private static boolean present(String className) {
        try {
            Class.forName(className, false, SpringCodecModule.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return "SpringCodecModule[" + (registrations == null ? "without" : "with") + " client registrations]";
    }
}
