package dev.cloakroom.jdbc;

import java.sql.Connection;
import java.sql.SQLException;

class PostgresOutageTest extends StoreOutageTest {
    @Override
    int serverPort() {
        return 5432;
    }

    @Override
    String jdbcUrl(int port) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/cloakroom_test";
    }

    @Override
    String user() {
        return "postgres";
    }

    @Override
    Connection connect() throws SQLException {
        return TestDatabases.postgres();
    }
}
