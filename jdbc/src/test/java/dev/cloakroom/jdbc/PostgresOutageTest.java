package dev.cloakroom.jdbc;

class PostgresOutageTest extends StoreOutageTest {
    PostgresOutageTest() {
        super(TestServer.POSTGRES);
    }
}
