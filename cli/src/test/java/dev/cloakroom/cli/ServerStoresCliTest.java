package dev.cloakroom.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.Session;
import dev.cloakroom.SessionManager;
import dev.cloakroom.SessionStores;
import dev.cloakroom.Settings;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The commands on the shared PostgreSQL and Redis, each test on a table or key prefix of its own, filled through a
 * session manager as an application would.
 */
@Tag("server")
class ServerStoresCliTest {
    private static final String POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/cloakroom_test";
    private final String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    private final String table = "cli_" + suffix;
    private final String prefix = "cloakroom-test:cli:" + suffix + ":";
    private final List<Session> stored = new ArrayList<>();

    @AfterEach
    void dropTable() throws SQLException {
        try (Connection connection = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/cloakroom_test", "postgres", "");
             Statement statement = connection.createStatement()) {
            statement.execute("DROP TABLE IF EXISTS " + table);
        }
    }

    private Map<String, String> postgres() {
        return Map.of("SESSION_TYPE", "sqlalchemy", "SQLALCHEMY_DATABASE_URI", POSTGRES_URL, "SESSION_SQLALCHEMY_TABLE", table);
    }

    private Map<String, String> redis() {
        return Map.of("SESSION_TYPE", "redis", "SESSION_REDIS", "redis://127.0.0.1:6379", "SESSION_KEY_PREFIX", prefix);
    }

    /** Stores sessions as the application does (which creates the table). */
    private void store(Map<String, String> settings, int count) {
        Map<String, String> withSchema = new HashMap<>(settings);
        withSchema.put("SESSION_JDBC_SCHEMA", "create");
        Settings app = Settings.of(withSchema);
        CloakroomConfig config = CloakroomConfig.fromSettings(app);
        try (SessionManager manager = SessionManager.builder(SessionStores.fromSettings(app, config)).config(config).sweeping(false).build()) {
            for (int i = 0; i < count; i++) {
                Session session = manager.create();
                session.setAttribute("file_contents", List.of("line " + i));
                manager.commit(session);
                stored.add(session);
            }
        }
    }

    private void walkEveryCommand(Map<String, String> settings) {
        store(settings, 4);
        Cli cli = new Cli(settings);
        String key = stored.get(0).key().value();

        assertThat(cli.run("sessions", "count", "--json").json().get("sessions").asLong()).isEqualTo(4);
        Cli.Result list = cli.run("sessions", "list", "--json");
        assertThat(list.json().get("count").asLong()).isEqualTo(4);
        Cli.Result show = cli.run("sessions", "show", key);
        assertThat(show.code()).isZero();
        assertThat(show.out()).contains(key, "file_contents", "line 0");
        assertThat(cli.run("sessions", "stats", "--json").json().get("live").asLong()).isEqualTo(4);
        assertThat(cli.run("sessions", "sweep").code()).isZero();
        assertThat(cli.run("sessions", "delete", key).code()).as("refused without --yes").isEqualTo(ExitCodes.USAGE);
        assertThat(cli.run("sessions", "delete", key, "--yes").out()).isEqualTo("deleted session " + key + "\n");
        assertThat(cli.run("sessions", "show", key).code()).isEqualTo(ExitCodes.FAILED);
        assertThat(cli.run("sessions", "purge", "--all", "--yes", "--json").json().get("deleted").asLong()).isEqualTo(3);
        assertThat(cli.run("sessions", "count", "--json").json().get("sessions").asLong()).isZero();
        for (Session session : stored) {
            assertThat(list.out() + show.out()).doesNotContain(session.id());
        }
    }

    @Test
    void everyCommandWhenOnPostgresThenItWorksOnTheConfiguredTable() {
        walkEveryCommand(postgres());
    }

    @Test
    void everyCommandWhenOnRedisThenItWorksOnTheConfiguredPrefix() {
        walkEveryCommand(redis());
    }

    @Test
    void doctorWhenThePostgresTableIsCurrentThenEveryCheckPasses() {
        store(postgres(), 1);

        Cli.Result result = new Cli(postgres()).run("doctor", "--json");

        assertThat(result.code()).as(result.out()).isZero();
        assertThat(result.out()).contains("\"name\":\"schema\",\"ok\":true");
    }

    @Test
    void doctorWhenThePostgresTableIsMissingThenItFailsWithTheDdlAndCreatesNothing() throws SQLException {
        Cli.Result result = new Cli(postgres()).run("doctor");

        assertThat(result.code()).isEqualTo(ExitCodes.FAILED);
        assertThat(result.out()).contains("ok    reachable", "FAIL  schema", "CREATE TABLE IF NOT EXISTS " + table);
        try (Connection connection = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/cloakroom_test", "postgres", "");
             Statement statement = connection.createStatement()) {
            assertThat(statement.executeQuery("SELECT to_regclass('" + table + "') IS NULL").next()).isTrue();
        }
    }

    @Test
    void countWhenThePostgresTableIsMissingThenOneLineSaysSoAndNothingIsCreated() {
        Cli.Result result = new Cli(postgres()).run("sessions", "count");

        assertThat(result.code()).isEqualTo(ExitCodes.FAILED);
        assertThat(result.err().lines()).hasSize(1);
        assertThat(result.err()).contains(table, "doctor");
    }

    @Test
    void doctorWhenOnRedisThenTheEvictionPolicyIsChecked() {
        Cli.Result result = new Cli(redis()).run("doctor", "--json");

        assertThat(result.out()).contains("\"name\":\"reachable\",\"ok\":true", "\"name\":\"eviction policy\"");
        assertThat(result.code()).isEqualTo(result.json().get("ok").asBoolean() ? ExitCodes.OK : ExitCodes.FAILED);
    }

    @Test
    void anyCommandWhenPostgresIsUnreachableThenExitThree() {
        Map<String, String> settings = new HashMap<>(postgres());
        settings.put("SQLALCHEMY_DATABASE_URI", "postgresql://postgres@127.0.0.1:1/cloakroom_test");
        settings.put("SESSION_STORE_TIMEOUT_MS", "500");

        Cli.Result result = new Cli(settings).run("sessions", "count");

        assertThat(result.code()).as(result.err()).isEqualTo(ExitCodes.UNAVAILABLE);
        assertThat(result.err()).startsWith("store unavailable: ");
        assertThat(result.err().lines()).hasSize(1);
    }
}
