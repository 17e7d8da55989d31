package dev.cloakroom.jdbc;

import org.junit.jupiter.api.Tag;

@Tag("server")
class PostgresOutageTest extends StoreOutageTest {
    PostgresOutageTest() {
        super(TestServer.POSTGRES);
    }
}
