package dev.cloakroom.jdbc;

import dev.cloakroom.jdbc.JdbcSessionStore.Database;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A database location as users write it: SQLAlchemy's {@code postgresql://user:pass@host:port/db} (also
 * {@code postgres://}, {@code postgresql+psycopg2://}, {@code mysql://}, {@code mariadb://}, {@code mysql+pymysql://})
 * or any {@code jdbc:} URL of a supported database. Credentials are kept apart from the JDBC URL so that the URL can
 * be logged.
 */
record DatabaseUrl(Database database, String jdbcUrl, String user, String password) {
    private static final Pattern SECRET_PARAMETER = Pattern.compile("(?i)(password|pwd)=[^&;]*");
    private static final Pattern SECRET_USERINFO = Pattern.compile("//([^/:@]*):[^/@]*@");

    /** @throws IllegalArgumentException for a malformed URL or an unsupported database, naming what is supported */
    static DatabaseUrl parse(String url) {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("database URL is empty");
        }
        String trimmed = url.trim();
        if (trimmed.regionMatches(true, 0, "jdbc:", 0, 5)) {
            return new DatabaseUrl(databaseOfJdbc(trimmed), trimmed, null, null);
        }
        int schemeEnd = trimmed.indexOf("://");
        if (schemeEnd < 0) {
            throw new IllegalArgumentException("not a database URL (expected e.g. postgresql://user:pass@host:5432/db or a "
                    + "jdbc: URL): " + mask(trimmed));
        }
        String scheme = trimmed.substring(0, schemeEnd).toLowerCase(Locale.ROOT);
        int plus = scheme.indexOf('+');
        String base = plus < 0 ? scheme : scheme.substring(0, plus);
        Database database;
        String jdbcScheme;
        switch (base) {
            case "postgresql", "postgres" -> {
                database = Database.POSTGRESQL;
                jdbcScheme = "jdbc:postgresql://";
            }
            case "mysql", "mariadb" -> {
                database = Database.MARIADB;
                jdbcScheme = classPresent("org.mariadb.jdbc.Driver") || !classPresent("com.mysql.cj.jdbc.Driver")
                        ? "jdbc:mariadb://" : "jdbc:mysql://";
            }
            case "sqlite" -> throw new IllegalArgumentException("SQLite is not supported by cloakroom-jdbc; for an embedded "
                    + "database use H2, e.g. jdbc:h2:file:./sessions");
            default -> throw new IllegalArgumentException("unsupported database '" + scheme + "' in " + mask(trimmed)
                    + "; supported: postgresql://, mysql://, mariadb://, or a jdbc:postgresql:, jdbc:mariadb:, jdbc:mysql:, jdbc:h2: URL");
        }
        String rest = trimmed.substring(schemeEnd + 3);
        int slash = rest.indexOf('/');
        String authority = slash < 0 ? rest : rest.substring(0, slash);
        String path = slash < 0 ? "" : rest.substring(slash);
        String user = null;
        String password = null;
        int at = authority.lastIndexOf('@');
        if (at >= 0) {
            String userInfo = authority.substring(0, at);
            authority = authority.substring(at + 1);
            int colon = userInfo.indexOf(':');
            user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon));
            password = colon < 0 ? null : decode(userInfo.substring(colon + 1));
        }
        if (authority.isEmpty()) {
            throw new IllegalArgumentException("database URL has no host: " + mask(trimmed));
        }
        return new DatabaseUrl(database, jdbcScheme + authority + path, emptyToNull(user), password);
    }

    /** The JDBC driver class this URL needs, for a clear error when it is missing. */
    String driverHint() {
        return switch (database) {
            case POSTGRESQL -> "org.postgresql:postgresql";
            case MARIADB -> jdbcUrl.startsWith("jdbc:mysql:") ? "com.mysql:mysql-connector-j" : "org.mariadb.jdbc:mariadb-java-client";
            case H2 -> "com.h2database:h2";
        };
    }

    /** The URL with any password replaced by {@code ***}: safe to log. */
    String masked() {
        return mask(jdbcUrl) + (user == null ? "" : " as " + user);
    }

    static String mask(String url) {
        String masked = SECRET_PARAMETER.matcher(url).replaceAll("$1=***");
        return SECRET_USERINFO.matcher(masked).replaceAll("//$1:***@");
    }

    @Override
    public String toString() {
        return masked();
    }

    private static Database databaseOfJdbc(String url) {
        String lower = url.toLowerCase(Locale.ROOT);
        if (lower.startsWith("jdbc:postgresql:")) {
            return Database.POSTGRESQL;
        }
        if (lower.startsWith("jdbc:mariadb:") || lower.startsWith("jdbc:mysql:")) {
            return Database.MARIADB;
        }
        if (lower.startsWith("jdbc:h2:")) {
            return Database.H2;
        }
        throw new IllegalArgumentException("unsupported JDBC URL " + mask(url)
                + "; supported: jdbc:postgresql:, jdbc:mariadb:, jdbc:mysql:, jdbc:h2:");
    }

    /** Percent-decoding as in URLs (SQLAlchemy's), where {@code +} stays a plus. */
    private static String decode(String text) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '%') {
                int high = i + 2 < text.length() ? Character.digit(text.charAt(i + 1), 16) : -1;
                int low = i + 2 < text.length() ? Character.digit(text.charAt(i + 2), 16) : -1;
                if (high < 0 || low < 0) {
                    throw new IllegalArgumentException("malformed %-escape in the database URL's user or password");
                }
                bytes.write(high * 16 + low);
                i += 2;
            } else {
                bytes.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static String emptyToNull(String value) {
        return value == null || value.isEmpty() ? null : value;
    }

    static boolean classPresent(String name) {
        try {
            Class.forName(name, false, DatabaseUrl.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
