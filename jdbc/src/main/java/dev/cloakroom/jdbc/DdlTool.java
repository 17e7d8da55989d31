package dev.cloakroom.jdbc;

import dev.cloakroom.jdbc.JdbcSessionStore.Database;
import java.util.Locale;

/**
 * Prints the table's DDL for a DBA, when the application may not create it:
 * {@code java -cp cloakroom-core.jar:cloakroom-jdbc.jar dev.cloakroom.jdbc.DdlTool postgresql [table]}. In code,
 * {@link JdbcSessionStore#ddl} gives the same text.
 */
final class DdlTool {
    private static final int USAGE_ERROR = 2;

    private DdlTool() {
    }

    public static void main(String[] args) {
        try {
            System.out.print(ddl(args));
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println("usage: DdlTool <postgresql|mariadb|h2> [table, default " + JdbcSessionStore.DEFAULT_TABLE + "]");
            System.exit(USAGE_ERROR);
        }
    }

    /** The DDL for the command line {@code args}. */
    static String ddl(String[] args) {
        if (args.length < 1 || args.length > 2) {
            throw new IllegalArgumentException("expected 1 or 2 arguments, got " + args.length);
        }
        Database database;
        try {
            database = Database.valueOf(args[0].toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown database '" + args[0] + "'", e);
        }
        return JdbcSessionStore.ddl(database, args.length > 1 ? args[1] : JdbcSessionStore.DEFAULT_TABLE);
    }
}
