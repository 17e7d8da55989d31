package dev.cloakroom.jdbc;

import java.sql.Connection;
import java.sql.SQLException;

class MariaDbOutageTest extends StoreOutageTest {
    @Override
    int serverPort() {
        return 3306;
    }

    @Override
    String jdbcUrl(int port) {
        return "jdbc:mariadb://127.0.0.1:" + port + "/cloakroom_test";
    }

    @Override
    String user() {
        return "root";
    }

    @Override
    Connection connect() throws SQLException {
        return TestDatabases.mariadb();
    }
}
