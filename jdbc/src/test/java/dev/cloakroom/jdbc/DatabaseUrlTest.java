package dev.cloakroom.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloakroom.jdbc.JdbcSessionStore.Database;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class DatabaseUrlTest {

    @Test
    void seedUriWhenParsedThenJdbcUrlAndCredentialsApart() {
        DatabaseUrl url = DatabaseUrl.parse("postgresql://userdata:abcd1234@localhost:5432/userdata");

        assertThat(url.database()).isEqualTo(Database.POSTGRESQL);
        assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://localhost:5432/userdata");
        assertThat(url.user()).isEqualTo("userdata");
        assertThat(url.password()).isEqualTo("abcd1234");
        assertThat(url.masked()).doesNotContain("abcd1234");
    }

    @Test
    void sqlalchemyDriverSuffixAndPercentEscapesWhenParsedThenUnderstood() {
        DatabaseUrl url = DatabaseUrl.parse("postgresql+psycopg2://app%40corp:p%2Fss+w%3Ard@db.example:6543/sessions?sslmode=require");

        assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://db.example:6543/sessions?sslmode=require");
        assertThat(url.user()).isEqualTo("app@corp");
        assertThat(url.password()).isEqualTo("p/ss+w:rd");
    }

    @Test
    void postgresAliasAndMissingPasswordWhenParsedThenAccepted() {
        DatabaseUrl url = DatabaseUrl.parse("postgres://postgres@127.0.0.1/cloakroom_test");

        assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://127.0.0.1/cloakroom_test");
        assertThat(url.user()).isEqualTo("postgres");
        assertThat(url.password()).isNull();
    }

    @Test
    void mysqlAndMariadbWhenParsedThenTheMariaDbDriver() {
        assertThat(DatabaseUrl.parse("mysql+pymysql://root:pw@127.0.0.1:3306/app").jdbcUrl()).isEqualTo("jdbc:mariadb://127.0.0.1:3306/app");
        assertThat(DatabaseUrl.parse("mariadb://root@127.0.0.1/app").database()).isEqualTo(Database.MARIADB);
    }

    @Test
    void jdbcUrlWhenParsedThenPassedThroughAndMaskedForLogs() {
        DatabaseUrl url = DatabaseUrl.parse("jdbc:postgresql://h/db?user=u&password=secret");

        assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://h/db?user=u&password=secret");
        assertThat(url.masked()).isEqualTo("jdbc:postgresql://h/db?user=u&password=***");
        assertThat(DatabaseUrl.parse("jdbc:h2:file:./sessions").database()).isEqualTo(Database.H2);
    }

    @Test
    void unsupportedOrMalformedWhenParsedThenClearErrorWithoutThePassword() {
        assertThatThrownBy(() -> DatabaseUrl.parse("sqlite:///sessions.db"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("H2");
        assertThatThrownBy(() -> DatabaseUrl.parse("oracle://u:topsecret@h/db"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("supported").hasMessageNotContaining("topsecret");
        assertThatThrownBy(() -> DatabaseUrl.parse("jdbc:sqlserver://h;password=topsecret"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("topsecret");
        assertThatThrownBy(() -> DatabaseUrl.parse("localhost:5432/db"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DatabaseUrl.parse("postgresql://u:bad%zz@h/db"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("bad");
    }
}
