package dev.cloakroom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloakroom.memory.MemorySessionStore;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A converted value through a real store, and what a release that can no longer rebuild it does with the session. */
@Tag("unit")
class SessionManagerConvertersTest {
    private static final ValueConverter<LocalDate> DATE = ValueConverter.of(LocalDate::toString, data -> LocalDate.parse((String) data));
    private static final ValueConverter<LocalDate> CHANGED_DATE = ValueConverter.of(LocalDate::toString, data -> {
        throw new IllegalArgumentException("this release stores dates differently");
    });

    private final MemorySessionStore store = new MemorySessionStore();

    private SessionManager managerWith(ValueConverter<LocalDate> dates) {
        return SessionManager.builder(store).sweeping(false)
                .codec(SessionCodec.builder().convert("date", LocalDate.class, dates).build())
                .build();
    }

    @Test
    void findWhenAConvertedValueWasCommittedThenItComesBackEqual() {
        SessionManager manager = managerWith(DATE);
        Session session = manager.create();
        session.setAttribute("arrival", LocalDate.of(2026, 7, 1));
        manager.commit(session);

        assertThat(manager.find(session.id()).orElseThrow().getAttribute("arrival")).isEqualTo(LocalDate.of(2026, 7, 1));
    }

    @Test
    void findWhenAValueCannotBeRebuiltThenTheSessionLivesWithoutItAndTheNextCommitRemovesIt() {
        SessionManager before = managerWith(DATE);
        Session session = before.create();
        session.setAttribute("arrival", LocalDate.of(2026, 7, 1));
        session.setAttribute("name", "Zoë");
        before.commit(session);
        SessionManager after = managerWith(CHANGED_DATE);

        Session reopened = after.find(session.id()).orElseThrow();

        assertThat(reopened.attributeNames()).containsExactly("name");
        assertThat(reopened.getAttribute("name")).isEqualTo("Zoë");
        after.commit(reopened);
        assertThat(store.load(SessionKey.of(session.id())).orElseThrow().attributes()).containsOnlyKeys("name");
    }

    @Test
    void findWhenAValueCannotBeRebuiltButTheRequestSetsItAgainThenTheNewValueIsStored() {
        SessionManager before = managerWith(DATE);
        Session session = before.create();
        session.setAttribute("arrival", LocalDate.of(2026, 7, 1));
        before.commit(session);
        SessionManager after = SessionManager.builder(store).sweeping(false).build();

        Session reopened = after.find(session.id()).orElseThrow();
        reopened.setAttribute("arrival", "2026-07-02");
        after.commit(reopened);

        assertThat(after.find(session.id()).orElseThrow().getAttribute("arrival")).isEqualTo("2026-07-02");
    }

    @Test
    void updateWhenTheStoredValueCannotBeRebuiltThenTheFunctionSeesNoValueAndItsResultIsStored() {
        SessionManager before = managerWith(DATE);
        Session session = before.create();
        session.setAttribute("arrival", LocalDate.of(2026, 7, 1));
        before.commit(session);
        SessionManager after = managerWith(CHANGED_DATE);
        Session reopened = after.find(session.id()).orElseThrow();
        List<Object> seen = new ArrayList<>();

        reopened.update("arrival", current -> {
            seen.add(String.valueOf(current));
            return "2026-07-02";
        });

        assertThat(seen).containsOnly("null");
        assertThat(after.find(session.id()).orElseThrow().getAttribute("arrival")).isEqualTo("2026-07-02");
    }

    @Test
    void buildWhenTheAppGivesItsOwnCodecThenModulesOnTheClassPathAreNotLoaded(@TempDir Path classes) throws IOException {
        Path services = Files.createDirectories(classes.resolve("META-INF/services"));
        Files.writeString(services.resolve(SessionCodecModule.class.getName()), "com.example.MissingModule\n");
        SessionCodec own = SessionCodec.builder().discoverModules(false).build();
        Thread thread = Thread.currentThread();
        ClassLoader before = thread.getContextClassLoader();
        try (URLClassLoader broken = new URLClassLoader(new URL[] {classes.toUri().toURL()}, before)) {
            thread.setContextClassLoader(broken);
            assertThatThrownBy(() -> SessionCodec.builder().build()).as("the class path really is broken")
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("com.example.MissingModule");

            assertThat(SessionManager.builder(store).sweeping(false).codec(own).build().codec().encode("x")).isEqualTo("\"x\"");
        } finally {
            thread.setContextClassLoader(before);
        }
    }

    @Test
    void setAttributeWhenTypeUnknownThenMessageNamesTheAttributeTheTypeAndTheFix() {
        SessionManager manager = managerWith(DATE);
        Session session = manager.create();

        assertThatThrownBy(() -> session.setAttribute("cart", new StringBuilder("tea")))
                .isInstanceOf(UnsupportedAttributeException.class)
                .hasMessageStartingWith("attribute 'cart': cannot store a java.lang.StringBuilder")
                .hasMessageContaining(".register(\"string-builder\", java.lang.StringBuilder.class)");
        assertThat(session.attributeNames()).isEmpty();
    }
}
