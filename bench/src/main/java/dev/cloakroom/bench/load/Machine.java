package dev.cloakroom.bench.load;

import dev.cloakroom.bench.Contender;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** What the run ran on, as the report prints it. */
final class Machine {
    private Machine() {
    }

    static Map<String, String> describe(StoreAccess store) throws Exception {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("cores (nproc)", Integer.toString(Runtime.getRuntime().availableProcessors()));
        m.put("CPU", firstValue(Path.of("/proc/cpuinfo"), "model name"));
        String mem = firstValue(Path.of("/proc/meminfo"), "MemTotal").replace(" kB", "").trim();
        m.put("RAM", mem.isEmpty() ? "?" : String.format("%.1f GiB", Long.parseLong(mem) / 1024.0 / 1024.0));
        m.put("OS", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        m.put("JDK", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        m.put("contender JVM flags", String.join(" ", ContenderProcess.JVM_FLAGS));
        m.put("PostgreSQL", store.queryText("SELECT version()").replaceAll(" on .*", ""));
        m.put("Redis", store.redis().info("server").lines().filter(l -> l.startsWith("redis_version:"))
                .map(l -> l.substring("redis_version:".length())).findFirst().orElse("?"));
        boolean own = !store.target().jdbcUrl().equals(store.target().adminJdbcUrl());
        m.put("PostgreSQL server", (own ? "the run's own cluster (initdb in a temp folder, 127.0.0.1:"
                : "an existing server given with --jdbc (127.0.0.1:") + store.queryText("SELECT inet_server_port()")
                + "), contenders logged in as `" + StatementStats.userOf(store.target().jdbcUrl()) + "`");
        m.put("PostgreSQL settings", store.queryText("""
                SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY ord)
                  FROM pg_settings JOIN unnest(ARRAY['fsync', 'synchronous_commit', 'full_page_writes', 'wal_level',
                       'shared_buffers', 'max_connections', 'autovacuum', 'shared_preload_libraries',
                       'pg_stat_statements.track']) WITH ORDINALITY AS wanted(name, ord) USING (name)""")
                + (own ? "; all else as initdb sets it" : ""));
        String why = StatementStats.why(store.sql());
        m.put("pg_stat_statements", why == null
                ? "loaded: the round trip table cross-checks the DataSource's counts with it, and the cleanup's rows come from it"
                : "not loaded (" + why + "), so statement counts come from the counting DataSource only");
        m.put("file stores' folders", fileSystem(Path.of(System.getProperty("java.io.tmpdir"))) + "; the tmpfs contender's "
                + fileSystem(Contender.TMPFS));
        m.put("load average at start", loadAverage());
        m.put("Flask-Session reference", SeedApps.unavailable().orElse("python3-flask-session and gunicorn installed; "
                + "see the seed's app section"));
        return m;
    }

    private static String fileSystem(Path folder) {
        try {
            FileStore fs = Files.getFileStore(folder);
            return folder + " on " + fs.type() + " (" + fs.name() + ")";
        } catch (IOException e) {
            return folder + ": " + e.getMessage();
        }
    }

    static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return parts[0] + " " + parts[1] + " " + parts[2];
        } catch (IOException e) {
            return "?";
        }
    }

    static boolean installed(String pkg) {
        try {
            Process p = new ProcessBuilder("dpkg-query", "-W", "-f=${Status}", pkg).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 && out.contains("install ok installed");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String firstValue(Path file, String key) {
        try {
            return Files.readAllLines(file).stream().filter(l -> l.startsWith(key))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("?");
        } catch (IOException e) {
            return "?";
        }
    }
}
