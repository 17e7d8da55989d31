package dev.cloakroom.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The command line that prints the DDL (README, "Schema management"). */
@Tag("unit")
class DdlToolTest {

    @Test
    void ddlWhenGivenADatabaseAndATableThenTheStoresOwnStatements() {
        assertThat(DdlTool.ddl(new String[] {"postgresql", "app_sessions"}))
                .isEqualTo(JdbcSessionStore.ddl(JdbcSessionStore.Database.POSTGRESQL, "app_sessions"))
                .contains("CREATE TABLE IF NOT EXISTS app_sessions");
    }

    @Test
    void ddlWhenNoTableThenTheDefaultTable() {
        assertThat(DdlTool.ddl(new String[] {"MariaDB"})).contains("CREATE TABLE IF NOT EXISTS " + JdbcSessionStore.DEFAULT_TABLE + " (");
    }

    @Test
    void ddlWhenTheDatabaseIsUnknownOrArgumentsAreMissingThenRefusedNamingIt() {
        assertThatThrownBy(() -> DdlTool.ddl(new String[] {"oracle"})).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'oracle'");
        assertThatThrownBy(() -> DdlTool.ddl(new String[0])).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got 0");
    }
}
