package dev.cloakroom.jdbc;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The session table's validated name and the names derived from it. Only text that matched {@link #IDENTIFIER} ever
 * reaches SQL, so the name can be put into statements as it is.
 */
record Table(String schema, String name) {
    /** Plain SQL identifiers only: no quoting needed in any dialect, nothing to escape. */
    static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,47}");

    Table {
        if (schema != null && !IDENTIFIER.matcher(schema).matches()) {
            throw new IllegalArgumentException("schema must be a plain SQL identifier (letters, digits, _; at most 48): '" + schema + "'");
        }
        if (name == null || !IDENTIFIER.matcher(name).matches()) {
            throw new IllegalArgumentException("table must be a plain SQL identifier (letters, digits, _; at most 48), "
                    + "optionally schema-qualified: '" + name + "'");
        }
    }

    /** Parses {@code name} or {@code schema.name}. */
    static Table parse(String qualified) {
        if (qualified == null) {
            throw new IllegalArgumentException("table must not be null");
        }
        int dot = qualified.indexOf('.');
        return dot < 0 ? new Table(null, qualified) : new Table(qualified.substring(0, dot), qualified.substring(dot + 1));
    }

    /** The name as written in SQL statements. */
    String sql() {
        return schema == null ? name : schema + "." + name;
    }

    /** The index the sweep uses; same schema as the table (PostgreSQL and H2 put it there implicitly). */
    String expiryIndex() {
        return name + "_expires_at_idx";
    }

    /** The index that finds a user's sessions, latest expiry first. */
    String principalIndex() {
        return name + "_principal_idx";
    }

    /** A stable 63-bit number naming a lock on this table, e.g. for {@code pg_advisory_lock}. */
    long lockId(String purpose) {
        byte[] digest = sha256("cloakroom:" + purpose + ":" + sql().toLowerCase(Locale.ROOT));
        long id = 0;
        for (int i = 0; i < 8; i++) {
            id = (id << 8) | (digest[i] & 0xff);
        }
        return id & Long.MAX_VALUE;
    }

    /**
     * A lock name of at most 64 characters (MariaDB's {@code GET_LOCK} limit). Such names are server-wide, so an
     * unqualified table is named with {@code database}, the connection's current one: tables of one name in two
     * databases get two locks.
     */
    String lockName(String purpose, String database) {
        String qualified = schema != null || database == null ? sql() : database + "." + name;
        return "cloakroom:" + purpose + ":" + HexFormat.of().formatHex(sha256(qualified.toLowerCase(Locale.ROOT)), 0, 16);
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return sql();
    }
}
