package dev.cloakroom.jdbc;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

/** One of the shared database servers, as the tests that run against each of them in turn reach it. */
enum TestServer {
    POSTGRES(5432, "jdbc:postgresql://127.0.0.1:%d/cloakroom_test", "postgres", "'[1, 2]'::jsonb"),
    MARIADB(3306, "jdbc:mariadb://127.0.0.1:%d/cloakroom_test", "root", "'{\"a\": 1}'");

    private final int port;
    private final String jdbcUrl;
    private final String user;
    private final String garbage;

    TestServer(int port, String jdbcUrl, String user, String garbage) {
        this.port = port;
        this.jdbcUrl = jdbcUrl;
        this.user = user;
        this.garbage = garbage;
    }

    /** The real server's port, for a {@code TcpProxy} in front of it. */
    int port() {
        return port;
    }

    /** The JDBC URL of the server as reached on {@code port} (its own, or a proxy's). */
    String jdbcUrl(int port) {
        return jdbcUrl.formatted(port);
    }

    String jdbcUrl() {
        return jdbcUrl(port);
    }

    String user() {
        return user;
    }

    /** SQL for a {@code data} value the store must take for corrupt. */
    String garbage() {
        return garbage;
    }

    /** A direct connection to the real server, outside any store. */
    Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl(), user, "");
    }
}
