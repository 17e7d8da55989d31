package dev.cloakroom.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.SessionKey;
import dev.cloakroom.spi.SessionStore;
import dev.cloakroom.SessionStores;
import dev.cloakroom.Settings;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** SESSION_TYPE=sqlalchemy / jdbc through core's {@link SessionStores}, as the demo and the filter start it. */
@Tag("server")
class JdbcSessionStoreProviderTest {
    private static final String TABLE = TestDatabases.uniqueTable("provider");

    @AfterAll
    static void dropTables() throws SQLException {
        try (Connection connection = TestDatabases.postgres()) {
            TestDatabases.execute(connection, "DROP TABLE IF EXISTS " + TABLE);
        }
        try (Connection connection = TestDatabases.mariadb()) {
            TestDatabases.execute(connection, "DROP TABLE IF EXISTS " + TABLE);
        }
    }

    private static SessionStore fromSettings(Map<String, String> values) {
        Settings settings = Settings.of(values);
        return SessionStores.fromSettings(settings, CloakroomConfig.fromSettings(settings));
    }

    @Test
    void sqlalchemySettingsWhenGivenThenTableCreatedAndPasswordNeverDescribed() {
        try (SessionStore store = fromSettings(Map.of(
                "SESSION_TYPE", "sqlalchemy",
                "SQLALCHEMY_DATABASE_URI", "postgresql://postgres:not-shown-anywhere@127.0.0.1:5432/cloakroom_test",
                "SESSION_SQLALCHEMY_TABLE", TABLE,
                "SESSION_STORE_TIMEOUT_MS", "1500"))) {
            assertThat(store).isInstanceOf(JdbcSessionStore.class);
            assertThat(store.load(SessionKey.of("provider"))).isEmpty();
            assertThat(store.describe()).contains("PostgreSQL", TABLE, "1500 ms").doesNotContain("not-shown-anywhere");
        }
    }

    @Test
    void jdbcTypeWhenGivenAJdbcUrlThenUsedWithItsOwnNames() {
        try (SessionStore store = fromSettings(Map.of(
                "SESSION_TYPE", "jdbc",
                "SESSION_JDBC_URL", "jdbc:mariadb://127.0.0.1:3306/cloakroom_test?user=root",
                "SESSION_JDBC_TABLE", TABLE))) {
            assertThat(store.describe()).contains("MariaDB", TABLE);
            assertThat(store.load(SessionKey.of("provider"))).isEmpty();
        }
    }

    @Test
    void validateModeWhenTableMissingThenStartFails() {
        assertThatThrownBy(() -> fromSettings(Map.of(
                "SESSION_TYPE", "sqlalchemy",
                "SQLALCHEMY_DATABASE_URI", TestDatabases.POSTGRES_URL,
                "SESSION_SQLALCHEMY_TABLE", TABLE + "_absent",
                "SESSION_JDBC_SCHEMA", "validate")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("CREATE TABLE");
    }

    @Test
    void missingOrBadSettingsWhenGivenThenErrorsNameTheSetting() {
        assertThatThrownBy(() -> fromSettings(Map.of("SESSION_TYPE", "sqlalchemy")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("SQLALCHEMY_DATABASE_URI");
        assertThatThrownBy(() -> fromSettings(Map.of("SESSION_TYPE", "sqlalchemy",
                "SQLALCHEMY_DATABASE_URI", TestDatabases.POSTGRES_URL, "SESSION_SQLALCHEMY_TABLE", "sessions;drop")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("SESSION_SQLALCHEMY_TABLE");
        assertThatThrownBy(() -> fromSettings(Map.of("SESSION_TYPE", "sqlalchemy",
                "SQLALCHEMY_DATABASE_URI", TestDatabases.POSTGRES_URL, "SESSION_JDBC_SCHEMA", "sometimes")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("SESSION_JDBC_SCHEMA");
    }

    @Test
    void ddlWhenPrintedThenCreatesTableAndIndexForEachDatabase() {
        assertThat(JdbcSessionStore.ddl(JdbcSessionStore.Database.POSTGRESQL, "sessions"))
                .contains("CREATE TABLE IF NOT EXISTS sessions", "jsonb", "CREATE INDEX IF NOT EXISTS sessions_expires_at_idx");
        assertThat(JdbcSessionStore.ddl(JdbcSessionStore.Database.MARIADB, "sessions")).contains("JSON", "DATETIME(6)");
        assertThat(JdbcSessionStore.ddl(JdbcSessionStore.Database.H2, "app.sessions")).contains("CREATE TABLE IF NOT EXISTS app.sessions");
    }
}
