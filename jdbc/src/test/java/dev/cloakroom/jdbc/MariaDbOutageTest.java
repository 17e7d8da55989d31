package dev.cloakroom.jdbc;

import org.junit.jupiter.api.Tag;

@Tag("server")
class MariaDbOutageTest extends StoreOutageTest {
    MariaDbOutageTest() {
        super(TestServer.MARIADB);
    }
}
