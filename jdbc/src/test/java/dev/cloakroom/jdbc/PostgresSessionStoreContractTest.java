package dev.cloakroom.jdbc;

import java.sql.SQLException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterAll;

@Tag("server")
class PostgresSessionStoreContractTest extends ServerStoreContract {
    private static final String TABLE = TestDatabases.uniqueTable("contract_pg");

    PostgresSessionStoreContractTest() {
        super(TestDatabases.POSTGRES_URL, TestDatabases::postgres, TABLE, "'[1, 2]'::jsonb");
    }

    @AfterAll
    static void dropTable() throws SQLException {
        drop(TestDatabases::postgres, TABLE);
    }
}
