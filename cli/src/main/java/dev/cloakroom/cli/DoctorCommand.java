package dev.cloakroom.cli;

import dev.cloakroom.CloakroomConfig;
import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionStoreException;
import dev.cloakroom.SessionStoreUnavailableException;
import dev.cloakroom.SessionStores;
import dev.cloakroom.redis.NodeMemoryPolicy;
import dev.cloakroom.redis.RedisSessionStore;
import dev.cloakroom.spi.SessionStore;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code cloakroom doctor}: checks the configured store and says what to fix. Changes nothing: a JDBC table is only
 * validated ({@code SESSION_JDBC_SCHEMA} is forced to {@code validate}), and a missing session folder is reported
 * before a store is built, since building it would create the folder.
 */
@Command(name = "doctor", description = "Checks the configured store (reachable, schema, eviction policy, folder permissions) "
        + "and says what to fix; exit 0 only when every check passes.", mixinStandardHelpOptions = true)
final class DoctorCommand implements Callable<Integer> {
    private final Context context;

    @Mixin
    GlobalOptions options;

    DoctorCommand(Context context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        StoreSettings settings = context.settings(options).with("SESSION_JDBC_SCHEMA", "validate");
        CloakroomConfig config = settings.config();
        String type = settings.type();
        List<Check> checks = new ArrayList<>();
        checks.add(Check.pass("settings", "SESSION_TYPE " + type + ", idle timeout " + config.idleTimeout().toSeconds() + " s, absolute "
                + config.absoluteTimeout().map(d -> d.toSeconds() + " s").orElse("off") + ", store timeout " + config.storeTimeout().toMillis() + " ms"));
        boolean unavailable = false;
        if (type.equals("filesystem")) {
            checks.addAll(FolderChecks.check(settings.settings().get("SESSION_FILE_DIR", SessionStores.DEFAULT_FILE_DIR)));
        }
        String store = type;
        if (checks.stream().allMatch(Check::passed)) {
            try (SessionStore opened = settings.openStore(config)) {
                store = opened.describe();
                unavailable = !checkStore(opened, type, config, checks);
            } catch (SessionStoreUnavailableException e) {
                checks.add(Check.fail("reachable", "no answer: " + firstLine(e.getMessage()), reachFix(type)));
                unavailable = true;
            } catch (IllegalStateException e) {
                // Built with SESSION_JDBC_SCHEMA=validate: the database answered, but holds no current table.
                checks.add(Check.pass("reachable", "the database answered"));
                checks.add(schemaFailure(e));
            }
        }
        print(options, store, checks);
        if (unavailable) {
            return ExitCodes.UNAVAILABLE;
        }
        return checks.stream().allMatch(Check::passed) ? ExitCodes.OK : ExitCodes.FAILED;
    }

    /** The checks that need the store; false if it did not answer. */
    private static boolean checkStore(SessionStore store, String type, CloakroomConfig config, List<Check> checks) {
        long started = System.nanoTime();
        try {
            store.load(new SessionKey("v1" + "0".repeat(64)));
            checks.add(Check.pass("reachable", "answered in " + (System.nanoTime() - started) / 1_000_000 + " ms (timeout "
                    + config.storeTimeout().toMillis() + " ms)"));
            if (isJdbc(type)) {
                checks.add(Check.pass("schema", "the table exists with the current layout"));
            }
        } catch (SessionStoreUnavailableException e) {
            checks.add(Check.fail("reachable", "no answer within " + config.storeTimeout().toMillis() + " ms: " + firstLine(e.getMessage()), reachFix(type)));
            if (store instanceof RedisSessionStore redis) {
                // on a cluster the probe reached one master; the others may answer, and which one is down is what to fix
                masterPolicies(redis).filter(nodes -> nodes.size() > 1).ifPresent(nodes -> checks.addAll(nodeChecks(nodes)));
            }
            return false;
        } catch (IllegalStateException e) {
            // The database answered; what it holds is not the current table (the JDBC store's validate path).
            checks.add(Check.pass("reachable", "answered in " + (System.nanoTime() - started) / 1_000_000 + " ms"));
            checks.add(schemaFailure(e));
            return true;
        } catch (SessionStoreException e) {
            checks.add(Check.fail("reachable", "answered with an error: " + firstLine(e.getMessage()), reachFix(type)));
            return true;
        }
        if (store instanceof RedisSessionStore redis) {
            checks.addAll(masterPolicies(redis).map(DoctorCommand::nodeChecks).orElseGet(() -> List.of(Check.fail(
                    "eviction policy", "cannot be read: Redis stopped answering", reachFix("redis")))));
        }
        if (type.equals("memory")) {
            checks.add(Check.fail("shared", "a memory store lives in one process: this command sees an empty one of its own",
                    "set SESSION_TYPE to the store the application uses"));
        }
        return true;
    }

    /** The JDBC store's validate path says what is wrong on its first line and gives the DDL after it. */
    private static Check schemaFailure(IllegalStateException e) {
        String message = String.valueOf(e.getMessage());
        int newline = message.indexOf('\n');
        return Check.fail("schema", firstLine(message), newline < 0 ? "see above" : "have a DBA run:\n" + message.substring(newline + 1));
    }

    /**
     * Each node that holds sessions (every master of a cluster, named in the check, since one wrong master is enough
     * to lose sessions): reachable, and with a {@code maxmemory-policy} that never evicts live sessions.
     */
    private static List<Check> nodeChecks(List<NodeMemoryPolicy> nodes) {
        boolean cluster = nodes.size() > 1;
        List<Check> checks = new ArrayList<>();
        for (NodeMemoryPolicy node : nodes) {
            String master = cluster ? "master " + node.node() + " " : "";
            if (node.unreachable().isPresent()) {
                checks.add(Check.fail(master + "reachable", "no answer: " + firstLine(node.unreachable().get()),
                        "start that master or let the cluster fail it over; until then the sessions on its slots get 503"));
                continue;
            }
            if (cluster) {
                checks.add(Check.pass(master + "reachable", "answered CONFIG GET"));
            }
            checks.add(evictionCheck(master + "eviction policy", node.policy()));
        }
        return checks;
    }

    /** Every master's answer, or empty when Redis (standalone or Sentinel-managed) does not answer at all. */
    private static Optional<List<NodeMemoryPolicy>> masterPolicies(RedisSessionStore redis) {
        try {
            return Optional.of(redis.maxMemoryPolicies());
        } catch (SessionStoreException e) {
            return Optional.empty();
        }
    }

    private static Check evictionCheck(String name, Optional<String> policy) {
        if (policy.isEmpty()) {
            return Check.pass(name, "unknown: this Redis refuses CONFIG GET; make sure its maxmemory-policy is "
                    + "noeviction or volatile-* (managed services document it)");
        }
        return RedisSessionStore.evictionWarning(policy.get())
                .map(warning -> Check.fail(name, "maxmemory-policy is " + policy.get(), warning
                        + " e.g. CONFIG SET maxmemory-policy noeviction (and in redis.conf)"))
                .orElseGet(() -> Check.pass(name, "maxmemory-policy is " + policy.get() + ": live sessions are never evicted"));
    }

    private static boolean isJdbc(String type) {
        return type.equals("jdbc") || type.equals("sqlalchemy");
    }

    private static String reachFix(String type) {
        return switch (type) {
            case "redis" -> "start Redis, or point SESSION_REDIS / SESSION_REDIS_URL at it";
            case "jdbc", "sqlalchemy" -> "start the database, or point SQLALCHEMY_DATABASE_URI / SESSION_JDBC_URL at it";
            default -> "check SESSION_FILE_DIR and the disk it is on";
        };
    }

    static String firstLine(String message) {
        if (message == null) {
            return "(no message)";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    private void print(GlobalOptions options, String store, List<Check> checks) {
        PrintWriter out = context.terminal().out();
        if (options.json) {
            Json.write(out, json -> {
                json.writeStartObject();
                json.writeStringField("store", store);
                json.writeBooleanField("ok", checks.stream().allMatch(Check::passed));
                json.writeArrayFieldStart("checks");
                for (Check check : checks) {
                    json.writeStartObject();
                    json.writeStringField("name", check.name());
                    json.writeBooleanField("ok", check.passed());
                    json.writeStringField("detail", check.detail());
                    if (check.fix() != null) {
                        json.writeStringField("fix", check.fix());
                    }
                    json.writeEndObject();
                }
                json.writeEndArray();
                json.writeEndObject();
            });
            return;
        }
        out.println("store: " + store);
        for (Check check : checks) {
            out.println((check.passed() ? "ok    " : "FAIL  ") + check.name() + ": " + check.detail());
            if (check.fix() != null) {
                out.println("      fix: " + check.fix().replace("\n", "\n           "));
            }
        }
    }
}
