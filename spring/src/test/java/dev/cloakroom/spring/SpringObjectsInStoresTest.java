package dev.cloakroom.spring;

import static dev.cloakroom.spring.SpringObjects.PASSWORD;
import static dev.cloakroom.spring.SpringObjects.RAW_SESSION_ID;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cloakroom.Session;
import dev.cloakroom.SessionCodec;
import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionManager;
import dev.cloakroom.ValueConverter;
import dev.cloakroom.file.FileSessionStore;
import dev.cloakroom.memory.MemorySessionStore;
import dev.cloakroom.spi.SessionStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.context.SecurityContextImpl;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.web.WebAttributes;
import org.springframework.security.web.csrf.DefaultCsrfToken;
import org.springframework.security.web.savedrequest.DefaultSavedRequest;
import org.springframework.web.servlet.FlashMap;

/**
 * What a login leaves in the session, saved by one manager and read by another on the same store (a restart, or a
 * second instance), with the default codec: nothing configured but the jar on the class path.
 */
@Tag("unit")
class SpringObjectsInStoresTest {
    private static final String CONTEXT = "SPRING_SECURITY_CONTEXT";
    private static final String CSRF = "org.springframework.security.web.csrf.HttpSessionCsrfTokenRepository.CSRF_TOKEN";
    private static final String SAVED_REQUEST = "SPRING_SECURITY_SAVED_REQUEST";
    private static final String FLASH = "org.springframework.web.servlet.support.SessionFlashMapManager.FLASH_MAPS";

    @TempDir
    Path dir;

    @Test
    void findWhenALoginWasSavedBeforeARestartOnTheFileStoreThenItIsKeptWithNoPasswordOrRawIdOnDisk() throws IOException {
        Supplier<SessionStore> store = () -> FileSessionStore.builder(dir).build();

        String id = saveThenCheckOnANewManager(store);

        try (Stream<Path> files = Files.walk(dir)) {
            StringBuilder everything = new StringBuilder();
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                everything.append(file).append('\n').append(Files.readString(file, StandardCharsets.ISO_8859_1));
            }
            assertThat(everything.toString()).contains("spring.security-context")
                    .doesNotContain(PASSWORD).doesNotContain(RAW_SESSION_ID).doesNotContain(id);
        }
    }

    @Test
    void findWhenALoginWasSavedByAnotherManagerOnTheMemoryStoreThenItIsKeptWithNoPasswordOrRawIdInTheRecord() {
        MemorySessionStore memory = new MemorySessionStore();

        // closing a memory store keeps its records, so both managers may share one, as two instances share a server
        String id = saveThenCheckOnANewManager(() -> memory);

        assertThat(memory.load(SessionKey.of(id)).orElseThrow().attributes().toString())
                .doesNotContain(PASSWORD).doesNotContain(RAW_SESSION_ID).doesNotContain(id);
    }

    @Test
    void findWhenOneSpringValueIsFromAnIncompatibleReleaseThenOnlyThatAttributeIsDropped() {
        MemorySessionStore memory = new MemorySessionStore();
        // an older release that stored users in another shape under the same name
        SessionCodec older = SessionCodec.builder().discoverModules(false)
                .convert("spring.user", User.class, ValueConverter.of(user -> Map.of("name", user.getUsername()), data -> null))
                .build();
        SessionManager before = SessionManager.builder(memory).sweeping(false).codec(older).build();
        Session session = before.create();
        session.setAttribute("user", new User("alice", PASSWORD, List.of()));
        session.setAttribute("theme", "dark");
        before.commit(session);

        SessionManager after = SessionManager.builder(memory).sweeping(false).build();
        Session reopened = after.find(session.id()).orElseThrow();

        assertThat(reopened.attributeNames()).containsExactly("theme");
        after.commit(reopened);
        assertThat(memory.load(SessionKey.of(session.id())).orElseThrow().attributes()).containsOnlyKeys("theme");
    }

    /** Saves a login's attributes with one manager, reads them with another; returns the raw session id. */
    private static String saveThenCheckOnANewManager(Supplier<SessionStore> store) {
        String id;
        try (SessionManager first = SessionManager.builder(store.get()).sweeping(false).build()) {
            Session session = first.create();
            session.setAttribute(CONTEXT, SpringObjects.formLogin());
            session.setAttribute(CSRF, new DefaultCsrfToken("X-CSRF-TOKEN", "_csrf", "token-abc"));
            session.setAttribute(SAVED_REQUEST, SpringObjects.savedRequest());
            BadCredentialsException failure = new BadCredentialsException("Bad credentials");
            failure.setAuthenticationRequest(UsernamePasswordAuthenticationToken.unauthenticated("alice", PASSWORD));
            session.setAttribute(WebAttributes.AUTHENTICATION_EXCEPTION, failure);
            FlashMap flash = new FlashMap();
            flash.put("message", "Welcome back");
            flash.setTargetRequestPath("/account");
            session.setAttribute(FLASH, new ArrayList<>(List.of(flash)));
            first.commit(session);
            id = session.id();
        }
        try (SessionManager second = SessionManager.builder(store.get()).sweeping(false).build()) {
            Session session = second.find(id).orElseThrow();
            SecurityContextImpl context = (SecurityContextImpl) session.getAttribute(CONTEXT);
            assertThat(context.getAuthentication().getName()).isEqualTo("alice");
            assertThat(context.getAuthentication().getCredentials()).isNull();
            assertThat(((DefaultCsrfToken) session.getAttribute(CSRF)).getToken()).isEqualTo("token-abc");
            assertThat(((DefaultSavedRequest) session.getAttribute(SAVED_REQUEST)).getRedirectUrl())
                    .isEqualTo(SpringObjects.savedRequest().getRedirectUrl());
            assertThat(session.getAttribute(WebAttributes.AUTHENTICATION_EXCEPTION)).isInstanceOf(BadCredentialsException.class);
            @SuppressWarnings("unchecked")
            List<FlashMap> flashes = (List<FlashMap>) session.getAttribute(FLASH);
            assertThat(flashes).singleElement().satisfies(flash -> {
                assertThat((Map<String, Object>) flash).containsEntry("message", "Welcome back");
                assertThat(flash.getTargetRequestPath()).isEqualTo("/account");
            });
        }
        return id;
    }
}
