package dev.cloakroom.bench.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class CountingDataSourceTest {
    private CountingDataSource counting;

    @BeforeEach
    void setUp() throws Exception {
        JdbcDataSource h2 = new JdbcDataSource();
        h2.setURL("jdbc:h2:mem:counting" + System.nanoTime() + ";DB_CLOSE_DELAY=-1");
        counting = new CountingDataSource(h2);
        try (Connection c = h2.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10))");
        }
    }

    @Test
    void everyExecutedStatementCountsOnceAndABatchCountsOnce() throws Exception {
        try (Connection c = counting.getConnection()) {
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO t VALUES (?, ?)")) {
                for (int i = 0; i < 3; i++) {
                    insert.setInt(1, i);
                    insert.setString(2, "v" + i);
                    insert.addBatch();
                }
                insert.executeBatch();
            }
            try (PreparedStatement select = c.prepareStatement("SELECT count(*) FROM t"); ResultSet rs = select.executeQuery()) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(3);
            }
            try (Statement s = c.createStatement()) {
                s.executeUpdate("UPDATE t SET v = 'x'");
                s.execute("DELETE FROM t WHERE id = 0");
            }
        }
        assertThat(counting.statements()).isEqualTo(4);
        assertThat(counting.commits()).isZero();
    }

    @Test
    void commitsAndRollbacksAreCountedApartFromStatements() throws Exception {
        try (Connection c = counting.getConnection()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.executeUpdate("INSERT INTO t VALUES (1, 'a')");
            }
            c.commit();
            try (Statement s = c.createStatement()) {
                s.executeUpdate("INSERT INTO t VALUES (2, 'b')");
            }
            c.rollback();
        }
        assertThat(counting.statements()).isEqualTo(2);
        assertThat(counting.commits()).isEqualTo(2);
    }

    @Test
    void unwrappingTheConnectionToItsOwnInterfaceKeepsCounting() throws Exception {
        try (Connection c = counting.getConnection()) {
            Connection same = c.unwrap(Connection.class);
            try (Statement s = same.createStatement()) {
                s.execute("SELECT 1");
            }
        }
        assertThat(counting.statements()).isEqualTo(1);
    }
}
