package dev.cloakroom.bench.load;

import dev.cloakroom.bench.Contender;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RestoreArgs;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.IntegerOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.stream.Stream;

/**
 * The load generator's direct access to each contender's store, behind the contender's back (it is stopped, or not
 * looking): clear it, measure what a session occupies, count sessions, and copy one real session under fresh
 * identifiers to seed many. Only the contender's own tables, keys ({@code bench:...}) and folder are touched.
 */
final class StoreAccess implements AutoCloseable {
    private static final int BATCH = 1000;
    /** Copies per {@code INSERT ... SELECT}: each statement a transaction of its own, of bounded size. */
    private static final long SQL_CHUNK = 100_000;

    private final Target target;
    private final Connection sql;
    private final RedisClient redisClient;
    private final StatefulRedisConnection<String, String> redis;
    private final StatefulRedisConnection<byte[], byte[]> redisBytes;

    StoreAccess(Target target) throws SQLException {
        this.target = target;
        this.sql = DriverManager.getConnection(target.adminJdbcUrl());
        this.redisClient = RedisClient.create(target.redisUri());
        this.redis = redisClient.connect();
        this.redisBytes = redisClient.connect(ByteArrayCodec.INSTANCE);
    }

    /** Creates the database if it is missing (connecting to the server's {@code postgres} database for that). */
    static void ensureDatabase(String jdbcUrl) throws SQLException {
        String database = jdbcUrl.replaceAll(".*/([^/?]+)(\\?.*)?$", "$1");
        String admin = jdbcUrl.replaceFirst("/" + database + "(\\?|$)", "/postgres$1");
        try (Connection c = DriverManager.getConnection(admin);
             PreparedStatement exists = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            exists.setString(1, database);
            try (ResultSet rs = exists.executeQuery()) {
                if (!rs.next()) {
                    try (Statement create = c.createStatement()) {
                        create.execute("CREATE DATABASE " + database);
                    }
                }
            }
        }
    }

    Target target() {
        return target;
    }

    /** The harness's own connection, for reading the server's settings. */
    Connection sql() {
        return sql;
    }

    RedisCommands<String, String> redis() {
        return redis.sync();
    }

    /** Removes every session of this contender. Tables are emptied, not dropped: the contender created them. */
    void clear(Contender c) throws IOException, SQLException {
        switch (c.store()) {
            case POSTGRESQL -> {
                List<String> present = c.tables().stream().filter(this::tableExists).toList();
                if (!present.isEmpty()) {
                    execute("TRUNCATE " + String.join(", ", present));
                }
            }
            case REDIS -> scan(c, keys -> redis.sync().unlink(keys.toArray(String[]::new)));
            case FILESYSTEM -> deleteTree(folder(c));
        }
    }

    /** Drops this contender's tables, so that the run starts from the schema each product creates. */
    void dropTables(Contender c) throws SQLException {
        for (String table : c.tables()) {
            execute("DROP TABLE IF EXISTS " + table + " CASCADE");
        }
    }

    /**
     * What the contender's sessions occupy in the store, in bytes: PostgreSQL, the stored size of every column of
     * every row ({@code pg_column_size}, after compression, without row headers and indexes); Redis,
     * {@code MEMORY USAGE} of every key, every field counted; files, the size of every file but the store's own lock files.
     */
    long bytes(Contender c) throws IOException, SQLException {
        return switch (c.store()) {
            case POSTGRESQL -> {
                long total = 0;
                for (String table : c.tables()) {
                    List<String> columns = columns(table);
                    String sum = String.join(" + ", columns.stream().map(col -> "coalesce(pg_column_size(" + col + "), 0)").toList());
                    total += queryLong("SELECT coalesce(sum(" + sum + "), 0) FROM " + table);
                }
                yield total;
            }
            case REDIS -> {
                long[] total = {0};
                scan(c, keys -> keys.forEach(k -> total[0] += exactMemoryUsage(k)));
                yield total[0];
            }
            case FILESYSTEM -> {
                long total = 0;
                for (Path file : sessionFiles(c)) {
                    total += Files.size(file);
                }
                yield total;
            }
        };
    }

    /** How many sessions the contender's store holds. */
    long count(Contender c) throws IOException, SQLException {
        return switch (c.store()) {
            case POSTGRESQL -> tableExists(c.tables().get(0)) ? queryLong("SELECT count(*) FROM " + c.tables().get(0)) : 0;
            case REDIS -> {
                long[] n = {0};
                scan(c, keys -> n[0] += keys.stream().filter(k -> c.token().matcher(k).find()).count());
                yield n[0];
            }
            case FILESYSTEM -> sessionFiles(c).size();
        };
    }

    /**
     * Vacuums and analyzes after a bulk insert, as autovacuum would soon do: so that autovacuum, which the insert
     * triggers, does not start in the middle of a measured cleanup, and the cleanup's first scan does not pay for
     * setting the new rows' hint bits; sessions that expired over days have been through vacuum, too.
     */
    void vacuum(Contender c) throws SQLException {
        for (String table : c.tables()) {
            execute("VACUUM (ANALYZE) " + table);
        }
    }

    /** PostgreSQL contenders: how many rows have expired by the clock of the database. */
    long expired(Contender c) throws SQLException {
        String column = c.expiryColumn();
        String now = c == Contender.SPRING_JDBC ? "(extract(epoch from now()) * 1000)::bigint" : "now()";
        return queryLong("SELECT count(*) FROM " + c.tables().get(0) + " WHERE " + column + " < " + now);
    }

    /**
     * Copies the one session the store holds {@code copies} times, each under fresh identifiers of the same shape
     * (see {@link #fresh}: shard folders and hash tags stay right). With {@code expiredAt}, the
     * copies' expiry column says they expired then (PostgreSQL only).
     */
    void copy(Contender c, long copies, Instant expiredAt) throws IOException, SQLException {
        switch (c.store()) {
            case POSTGRESQL -> copyRows(c, copies, expiredAt);
            case REDIS -> copyKeys(c, copies);
            case FILESYSTEM -> copyFiles(c, copies);
        }
    }

    /**
     * Copies in the server, {@link #SQL_CHUNK} copies per statement ({@code INSERT ... SELECT} over
     * {@code generate_series}), from a temp table holding the template session's rows: a million sessions take
     * seconds, not the minutes of one {@code INSERT} per row. Every session id in a text column is replaced by a fresh
     * one of the same shape, computed from the copy's number (so a child row names its own parent); other columns
     * are copied as they are.
     */
    private void copyRows(Contender c, long copies, Instant expiredAt) throws SQLException {
        Map<String, List<String>> columns = new HashMap<>();
        Map<String, List<Object[]>> rows = new HashMap<>();
        for (String table : c.tables()) {
            columns.put(table, columns(table).stream().map(n -> n.replace("\"", "")).toList());
            rows.put(table, rowsOf(table, columns.get(table)));
        }
        requireOneSession(c, rows.get(c.tables().get(0)).size());
        Map<String, Integer> tokens = new LinkedHashMap<>();
        rows.values().forEach(list -> list.forEach(row -> {
            for (Object value : row) {
                if (value instanceof String text) {
                    c.token().matcher(text).results().forEach(m -> tokens.putIfAbsent(m.group(), tokens.size()));
                }
            }
        }));
        String salt = Long.toHexString(ThreadLocalRandom.current().nextLong());
        for (String table : c.tables()) {
            execute("CREATE TEMP TABLE bench_template AS SELECT * FROM " + table);
            try {
                List<String> names = columns.get(table);
                List<String> values = new ArrayList<>();
                boolean expiryBound = false;
                for (int i = 0; i < names.size(); i++) {
                    String name = names.get(i);
                    if (expiredAt != null && name.equalsIgnoreCase(c.expiryColumn())) {
                        values.add("?");
                        expiryBound = true;
                    } else {
                        values.add(renamedColumn(c, name, i, rows.get(table), tokens));
                    }
                }
                String insert = "INSERT INTO " + table + " (" + String.join(", ", names.stream().map(n -> "\"" + n + "\"").toList())
                        + ") SELECT " + String.join(", ", values) + " FROM bench_template AS tpl"
                        + " CROSS JOIN generate_series(?::bigint, ?::bigint) AS g(n)"
                        + " CROSS JOIN LATERAL (SELECT " + freshDigits(tokens.size(), salt) + ") AS f";
                Object expired = !expiryBound ? null
                        : rows.get(table).get(0)[indexOf(names, c.expiryColumn())] instanceof Number
                        ? (Object) expiredAt.toEpochMilli() : Timestamp.from(expiredAt);
                try (PreparedStatement ps = sql.prepareStatement(insert)) {
                    for (long from = 1; from <= copies; from += SQL_CHUNK) {
                        int p = 1;
                        if (expiryBound) {
                            ps.setObject(p++, expired);
                        }
                        ps.setLong(p++, from);
                        ps.setLong(p, Math.min(copies, from + SQL_CHUNK - 1));
                        ps.executeUpdate();
                    }
                }
            } finally {
                execute("DROP TABLE bench_template");
            }
            // the planner still takes the table for the one row it held: without this, the foreign key check of every
            // child row inserted next scans the whole parent table
            execute("ANALYZE " + table);
        }
    }

    private List<Object[]> rowsOf(String table, List<String> names) throws SQLException {
        List<Object[]> list = new ArrayList<>();
        try (Statement s = sql.createStatement(); ResultSet rs = s.executeQuery("SELECT * FROM " + table)) {
            while (rs.next()) {
                Object[] row = new Object[names.size()];
                for (int i = 0; i < row.length; i++) {
                    row[i] = rs.getObject(i + 1);
                }
                list.add(row);
            }
        }
        return list;
    }

    private static int indexOf(List<String> names, String column) {
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i).equalsIgnoreCase(column)) {
                return i;
            }
        }
        throw new IllegalStateException("no column " + column + " in " + names);
    }

    /**
     * The column as copied: as it is, or, where a template row holds session ids in it, that row's text with each id
     * replaced by the copy's fresh one (a {@code CASE} on the template's value, since a table may hold several rows).
     */
    private static String renamedColumn(Contender c, String name, int index, List<Object[]> rows, Map<String, Integer> tokens) {
        String column = "tpl.\"" + name + "\"";
        StringBuilder cases = new StringBuilder();
        for (String text : rows.stream().map(r -> r[index]).filter(String.class::isInstance).map(String.class::cast).distinct().toList()) {
            Matcher m = c.token().matcher(text);
            List<String> parts = new ArrayList<>();
            int at = 0;
            while (m.find()) {
                parts.add(literal(text.substring(at, m.start())));
                parts.add(freshToken(m.group(), tokens.get(m.group())));
                at = m.end();
            }
            if (parts.isEmpty()) {
                continue;
            }
            parts.add(literal(text.substring(at)));
            cases.append(" WHEN ").append(literal(text)).append(" THEN ").append(String.join(" || ", parts));
        }
        return cases.isEmpty() ? column : "CASE " + column + cases + " ELSE " + column + " END";
    }

    /** Per copy, 96 hex digits for each template id: {@code f.h0}, {@code f.h1}, ... */
    private static String freshDigits(int tokens, String salt) {
        List<String> digits = new ArrayList<>();
        for (int k = 0; k < Math.max(1, tokens); k++) {
            String seed = "'" + salt + ":" + k + ":' || g.n";
            digits.add("md5(" + seed + " || 'a') || md5(" + seed + " || 'b') || md5(" + seed + " || 'c') AS h" + k);
        }
        return String.join(", ", digits);
    }

    /** As {@link #fresh}, in SQL: the first five characters kept, hex digits from {@code f.hK}, letters from them too. */
    private static String freshToken(String token, int k) {
        if (token.length() - 5 > 96) {
            throw new IllegalStateException("session id longer than a copy can rename: " + token.length());
        }
        List<String> parts = new ArrayList<>(List.of(literal(token.substring(0, 5))));
        for (int i = 5; i < token.length(); ) {
            int kind = kind(token.charAt(i));
            int end = i;
            while (end < token.length() && kind(token.charAt(end)) == kind) {
                end++;
            }
            String digits = "substr(f.h" + k + ", " + (i - 4) + ", " + (end - i) + ")";
            parts.add(switch (kind) {
                case 0 -> digits;
                case 1 -> "translate(" + digits + ", '0123456789abcdef', 'ghijklmnopqrstuv')";
                default -> literal(token.substring(i, end));
            });
            i = end;
        }
        return "(" + String.join(" || ", parts) + ")";
    }

    /** 0 a hex digit, 1 another lower-case letter, 2 anything else (kept as it is). */
    private static int kind(char ch) {
        if ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')) {
            return 0;
        }
        return ch >= 'g' && ch <= 'z' ? 1 : 2;
    }

    private static String literal(String text) {
        return "'" + text.replace("'", "''") + "'";
    }

    /**
     * PostgreSQL contenders: every session still live is made expired at {@code at}, as if its user had left then
     * (the expiry column, and the last access the product itself checks: Spring Session reads
     * {@code LAST_ACCESS_TIME} plus the interval, not its expiry column).
     */
    void expireLive(Contender c, Instant at) throws SQLException {
        String table = c.tables().get(0);
        boolean millis = c == Contender.SPRING_JDBC;
        String update = millis
                ? "UPDATE " + table + " SET expiry_time = ?, last_access_time = ? - max_inactive_interval * 1000::bigint"
                  + " WHERE expiry_time >= ?"
                : "UPDATE " + table + " SET expires_at = ?, last_accessed_at = ?::timestamptz - max_inactive_ms * interval '1 millisecond'"
                  + " WHERE expires_at >= ?";
        Instant now = Instant.now();
        try (PreparedStatement ps = sql.prepareStatement(update)) {
            ps.setObject(1, millis ? (Object) at.toEpochMilli() : Timestamp.from(at));
            ps.setObject(2, millis ? (Object) at.toEpochMilli() : Timestamp.from(at));
            ps.setObject(3, millis ? (Object) now.toEpochMilli() : Timestamp.from(now));
            ps.executeUpdate();
        }
    }

    private void copyKeys(Contender c, long copies) {
        List<String> template = new ArrayList<>();
        scan(c, keys -> keys.stream().filter(k -> c.token().matcher(k).find()).forEach(template::add));
        requireOneSession(c, template.stream().map(k -> token(c, k)).distinct().count());
        RedisCommands<byte[], byte[]> sync = redisBytes.sync();
        List<byte[]> dumps = new ArrayList<>();
        List<Long> ttls = new ArrayList<>();
        for (String key : template) {
            dumps.add(sync.dump(key.getBytes(StandardCharsets.UTF_8)));
            ttls.add(sync.pttl(key.getBytes(StandardCharsets.UTF_8)));
        }
        RedisAsyncCommands<byte[], byte[]> async = redisBytes.async();
        List<RedisFuture<String>> pending = new ArrayList<>();
        for (long i = 0; i < copies; i++) {
            Map<String, String> rename = new HashMap<>();
            for (int k = 0; k < template.size(); k++) {
                byte[] key = renamed(c, template.get(k), rename).getBytes(StandardCharsets.UTF_8);
                pending.add(async.restore(key, dumps.get(k), RestoreArgs.Builder.ttl(Math.max(0, ttls.get(k)))));
            }
            if (pending.size() >= BATCH) {
                await(pending);
            }
        }
        await(pending);
    }

    private static void await(List<RedisFuture<String>> pending) {
        for (RedisFuture<String> f : pending) {
            try {
                f.get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("seeding Redis failed", e);
            }
        }
        pending.clear();
    }

    private void copyFiles(Contender c, long copies) throws IOException {
        List<Path> template = sessionFiles(c);
        requireOneSession(c, template.size());
        Path file = template.get(0);
        String name = file.getFileName().toString();
        byte[] content = Files.readAllBytes(file);
        FileTime time = Files.getLastModifiedTime(file);
        String text = new String(content, StandardCharsets.ISO_8859_1);
        String old = token(c, name);
        for (long i = 0; i < copies; i++) {
            Map<String, String> rename = new HashMap<>();
            String fresh = renamed(c, old, rename);
            Path copy = file.resolveSibling(name.replace(old, fresh));
            Files.write(copy, text.replace(old, fresh).getBytes(StandardCharsets.ISO_8859_1));
            Files.setLastModifiedTime(copy, time);
        }
    }

    private static void requireOneSession(Contender c, long found) {
        if (found != 1) {
            throw new IllegalStateException(c + ": a copy needs exactly one session in the store to copy, found " + found);
        }
    }

    private static String token(Contender c, String text) {
        Matcher m = c.token().matcher(text);
        if (!m.find()) {
            throw new IllegalStateException(c + ": no session id in '" + text + "'");
        }
        return m.group();
    }

    /** {@code text} with every session id in it replaced by its fresh counterpart in {@code rename}. */
    private static String renamed(Contender c, String text, Map<String, String> rename) {
        return c.token().matcher(text).replaceAll(m -> rename.computeIfAbsent(m.group(), StoreAccess::fresh));
    }

    /**
     * An id of the same shape: the first five characters kept (Jetty's {@code node0}; Cloakroom's {@code v1} and the
     * two digits naming its shard or hash tag), hex digits replaced by hex digits, letters by letters.
     */
    private static String fresh(String token) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        char[] chars = token.toCharArray();
        for (int i = 5; i < chars.length; i++) {
            char ch = chars[i];
            if ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')) {
                chars[i] = "0123456789abcdef".charAt(random.nextInt(16));
            } else if (ch >= 'g' && ch <= 'z') {
                chars[i] = (char) ('a' + random.nextInt(26));
            }
        }
        return new String(chars);
    }

    /**
     * {@code MEMORY USAGE key SAMPLES 0}: by default Redis sizes a hash from five sampled fields, which for a hash of a
     * few small fields and one large one (a session with an upload) can be off by half in either direction.
     */
    private long exactMemoryUsage(String key) {
        Long bytes = redis.sync().dispatch(CommandType.MEMORY, new IntegerOutput<>(StringCodec.UTF8),
                new CommandArgs<>(StringCodec.UTF8).add("USAGE").addKey(key).add("SAMPLES").add(0));
        return bytes == null ? 0 : bytes;
    }

    private Path folder(Contender c) {
        return c.folder(target.dataDir());
    }

    /** The session files under the contender's folder: every regular file named by a session id. */
    private List<Path> sessionFiles(Contender c) throws IOException {
        Path folder = folder(c);
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(folder)) {
            return files.filter(Files::isRegularFile)
                    .filter(p -> !p.getFileName().toString().startsWith("."))
                    .filter(p -> c.token().matcher(p.getFileName().toString()).find())
                    .toList();
        }
    }

    static void deleteTree(Path folder) throws IOException {
        if (!Files.exists(folder)) {
            return;
        }
        try (Stream<Path> all = Files.walk(folder)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private void scan(Contender c, Consumer<List<String>> page) {
        ScanArgs match = ScanArgs.Builder.matches(c.redisPrefix() + "*").limit(1000);
        KeyScanCursor<String> cursor = redis.sync().scan(match);
        while (true) {
            if (!cursor.getKeys().isEmpty()) {
                page.accept(cursor.getKeys());
            }
            if (cursor.isFinished()) {
                return;
            }
            cursor = redis.sync().scan(ScanCursor.of(cursor.getCursor()), match);
        }
    }

    private boolean tableExists(String table) {
        try (PreparedStatement ps = sql.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("checking table " + table, e);
        }
    }

    private List<String> columns(String table) throws SQLException {
        List<String> names = new ArrayList<>();
        try (PreparedStatement ps = sql.prepareStatement(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position")) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    names.add("\"" + rs.getString(1) + "\"");
                }
            }
        }
        return names;
    }

    long queryLong(String query) throws SQLException {
        try (Statement s = sql.createStatement(); ResultSet rs = s.executeQuery(query)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    String queryText(String query) throws SQLException {
        try (Statement s = sql.createStatement(); ResultSet rs = s.executeQuery(query)) {
            return rs.next() ? rs.getString(1) : "";
        }
    }

    private void execute(String statement) throws SQLException {
        try (Statement s = sql.createStatement()) {
            s.execute(statement);
        }
    }

    @Override
    public void close() throws SQLException {
        redis.close();
        redisBytes.close();
        redisClient.shutdown();
        sql.close();
    }
}
