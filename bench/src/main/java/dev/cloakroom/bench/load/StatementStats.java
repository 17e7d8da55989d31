package dev.cloakroom.bench.load;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * {@code pg_stat_statements} as the server counts the contenders' statements: every statement of their role in the
 * bench database, by statement, so that the harness can take the difference over a counted page or a cleanup. The
 * harness's own statements on the same role (an existing server given with {@code --jdbc}) are left out by their
 * text: while it counts, it runs no other than its reads of these views.
 */
final class StatementStats implements AutoCloseable {
    private static final String SNAPSHOT = """
            SELECT queryid, toplevel, query, calls, rows FROM pg_stat_statements
             WHERE userid = (SELECT oid FROM pg_roles WHERE rolname = ?)
               AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
               AND query NOT LIKE '%pg_stat_statements%' AND query NOT LIKE '%pg_stat_activity%'""";
    private static final Pattern BEGIN = Pattern.compile("(?is)\\s*(BEGIN|START\\s+TRANSACTION)\\b.*");
    private static final Pattern END = Pattern.compile("(?is)\\s*(COMMIT|ROLLBACK|END)\\b.*");

    /** One statement's counters; {@code toplevel} false for what ran inside another (a cascade's deletes). */
    record Entry(long queryId, boolean toplevel, String query, long calls, long rows) {
        boolean isBegin() {
            return BEGIN.matcher(query).matches();
        }

        boolean isEnd() {
            return END.matcher(query).matches();
        }
    }

    private final Connection sql;
    private final String role;

    private StatementStats(Connection sql, String role) {
        this.sql = sql;
        this.role = role;
    }

    /**
     * The counters of {@code role}'s statements, read as the harness; empty where the extension is not loaded
     * (then {@link #why} says so). Creates the extension in the database if it is loaded but missing.
     */
    static StatementStats open(String adminUrl, String role) throws SQLException {
        Connection sql = DriverManager.getConnection(adminUrl);
        try (Statement s = sql.createStatement()) {
            if (why(sql) != null) {
                sql.close();
                return null;
            }
            s.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            return new StatementStats(sql, role);
        } catch (SQLException | RuntimeException e) {
            sql.close();
            throw e;
        }
    }

    /** Why the server cannot count statements, or null if it can. */
    static String why(Connection sql) throws SQLException {
        try (Statement s = sql.createStatement();
             ResultSet rs = s.executeQuery("SELECT current_setting('shared_preload_libraries'), "
                     + "current_setting('server_version_num')::int")) {
            rs.next();
            if (!rs.getString(1).contains("pg_stat_statements")) {
                return "not in shared_preload_libraries (the shared server may not be restarted to load it)";
            }
            if (rs.getInt(2) < 140000) {
                return "PostgreSQL before 14 does not tell nested statements apart";
            }
            return null;
        }
    }

    /** The contenders' role whose statements are counted. */
    String role() {
        return role;
    }

    /** Every statement of the role, as counted now. */
    Map<List<Object>, Entry> snapshot() throws SQLException {
        Map<List<Object>, Entry> entries = new HashMap<>();
        try (PreparedStatement ps = sql.prepareStatement(SNAPSHOT)) {
            ps.setString(1, role);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Entry e = new Entry(rs.getLong(1), rs.getBoolean(2), rs.getString(3), rs.getLong(4), rs.getLong(5));
                    entries.put(List.of(e.queryId(), e.toplevel()), e);
                }
            }
        }
        return entries;
    }

    /** What ran between two snapshots: calls and rows of every statement that ran at all. */
    static List<Entry> delta(Map<List<Object>, Entry> before, Map<List<Object>, Entry> after) {
        List<Entry> ran = new ArrayList<>();
        after.forEach((key, now) -> {
            Entry then = before.get(key);
            long calls = now.calls() - (then == null ? 0 : then.calls());
            if (calls > 0) {
                ran.add(new Entry(now.queryId(), now.toplevel(), now.query(), calls,
                        now.rows() - (then == null ? 0 : then.rows())));
            }
        });
        return ran;
    }

    /** The role a JDBC URL logs in as ({@code user=}), or null if it does not say. */
    static String userOf(String jdbcUrl) {
        for (String pair : jdbcUrl.replaceFirst("^[^?]*\\??", "").split("&")) {
            if (pair.startsWith("user=")) {
                return pair.substring("user=".length());
            }
        }
        return null;
    }

    @Override
    public void close() throws SQLException {
        sql.close();
    }

    @Override
    public String toString() {
        return "pg_stat_statements of role " + Objects.requireNonNull(role);
    }
}
