package dev.cloakroom.jdbc;

class MariaDbOutageTest extends StoreOutageTest {
    MariaDbOutageTest() {
        super(TestServer.MARIADB);
    }
}
