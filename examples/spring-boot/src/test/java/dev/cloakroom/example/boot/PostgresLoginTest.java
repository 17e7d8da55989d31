package dev.cloakroom.example.boot;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterAll;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The example on PostgreSQL through Boot's own DataSource ({@code spring.datasource.*}), in a table of its own. */
@Tag("server")
class PostgresLoginTest extends LoginOverHttpContract {
    private static final String URL = "jdbc:postgresql://127.0.0.1:5432/cloakroom_test";
    private static final String TABLE = "boot_starter_" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    private static final Map<String, String> PROPERTIES = Map.of(
            "cloakroom.store", "jdbc",
            "cloakroom.jdbc.table", TABLE,
            "spring.datasource.url", URL,
            "spring.datasource.username", "postgres");

    @DynamicPropertySource
    static void store(DynamicPropertyRegistry registry) {
        PROPERTIES.forEach((name, value) -> registry.add(name, () -> value));
    }

    @Override
    Map<String, String> storeProperties() {
        return PROPERTIES;
    }

    @Override
    List<String> storedText() throws SQLException {
        List<String> texts = new ArrayList<>();
        try (Connection connection = DriverManager.getConnection(URL, "postgres", "");
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT * FROM " + TABLE)) {
            int columns = rows.getMetaData().getColumnCount();
            while (rows.next()) {
                for (int column = 1; column <= columns; column++) {
                    texts.add(String.valueOf(rows.getString(column)));
                }
            }
        }
        return texts;
    }

    @AfterAll
    static void dropTable() throws SQLException {
        try (Connection connection = DriverManager.getConnection(URL, "postgres", "");
             Statement statement = connection.createStatement()) {
            statement.execute("DROP TABLE IF EXISTS " + TABLE);
        }
    }
}
