package dev.cloakroom.jdbc;

import java.sql.SQLException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterAll;

@Tag("server")
class MariaDbSessionStoreContractTest extends ServerStoreContract {
    private static final String TABLE = TestDatabases.uniqueTable("contract_maria");

    MariaDbSessionStoreContractTest() {
        super(TestDatabases.MARIADB_URL, TestDatabases::mariadb, TABLE, "'{\"a\": 1}'");
    }

    @AfterAll
    static void dropTable() throws SQLException {
        drop(TestDatabases::mariadb, TABLE);
    }
}
