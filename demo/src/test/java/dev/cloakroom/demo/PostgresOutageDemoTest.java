package dev.cloakroom.demo;

import org.junit.jupiter.api.Tag;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Issue 3 end to end: the demo with {@code SESSION_TYPE=sqlalchemy} and the seed's URI form, on the shared PostgreSQL
 * (127.0.0.1:5432, trust auth) behind a proxy. Each test has its own table, dropped afterwards.
 */
@Tag("server")
class PostgresOutageDemoTest extends ProxiedStoreOutageDemoTest {
    private static final String DIRECT_URL = "jdbc:postgresql://127.0.0.1:5432/cloakroom_test";

    private final String table = "demo_outage_" + HexFormat.of().formatHex(randomBytes());

    private static byte[] randomBytes() {
        byte[] bytes = new byte[4];
        ThreadLocalRandom.current().nextBytes(bytes);
        return bytes;
    }

    @Override
    int serverPort() {
        return 5432;
    }

    @Override
    String storeName() {
        return "PostgreSQL";
    }

    @Override
    Map<String, String> storeSettings(int proxyPort) {
        return Map.of("SESSION_TYPE", "sqlalchemy",
                "SQLALCHEMY_DATABASE_URI", "postgresql://postgres@127.0.0.1:" + proxyPort + "/cloakroom_test",
                "SESSION_SQLALCHEMY_TABLE", table);
    }

    @Override
    void removeStoredSessions() throws Exception {
        try (Connection connection = DriverManager.getConnection(DIRECT_URL, "postgres", "");
             Statement statement = connection.createStatement()) {
            statement.setQueryTimeout(10);
            statement.execute("DROP TABLE IF EXISTS " + table);
        }
    }
}
