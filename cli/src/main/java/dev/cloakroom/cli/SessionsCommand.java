package dev.cloakroom.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.cloakroom.Session;
import dev.cloakroom.SessionKey;
import dev.cloakroom.SessionManager;
import dev.cloakroom.spi.RecordPage;
import dev.cloakroom.spi.RecordSummary;
import dev.cloakroom.spi.SessionRecord;
import dev.cloakroom.spi.SessionStore;
import dev.cloakroom.spi.SweepLease;

import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cloakroom sessions ...}: what the configured store holds, and removing it. */
@Command(name = "sessions", description = "Count, list, show, delete, revoke, purge and sweep the stored sessions.",
        mixinStandardHelpOptions = true)
final class SessionsCommand {
    /** Records asked of the store per call: each call stays small, however many sessions there are. */
    static final int PAGE_SIZE = 500;
    /** Longest attribute value {@code show} prints in text (JSON gets it whole). */
    private static final int SHOWN_VALUE_CHARS = 120;

    private final Context context;

    SessionsCommand(Context context) {
        this.context = context;
    }

    @Command(name = "count", description = "How many sessions are stored, and how many of them have expired.")
    int count(@Mixin GlobalOptions options) {
        try (Context.Opened opened = context.open(options)) {
            Stats stats = Stats.of(opened.store(), Instant.now(), null);
            PrintWriter out = context.terminal().out();
            if (options.json) {
                Json.write(out, json -> {
                    json.writeStartObject();
                    json.writeNumberField("sessions", stats.sessions);
                    json.writeNumberField("expired", stats.expired);
                    json.writeEndObject();
                });
            } else {
                out.println(stats.sessions + " session(s), " + stats.expired + " of them expired and not yet swept");
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "list", description = "Every stored session by its hashed key, with its times and size; "
            + "with --principal, that user's sessions only, latest expiry first.")
    int list(@Mixin GlobalOptions options,
             @Option(names = "--limit", paramLabel = "N", description = "Show at most N sessions.") Long limit,
             @Option(names = "--principal", paramLabel = "NAME", description = "Only the sessions of the user signed in as NAME "
                     + "(at most " + SessionManager.MAX_SESSIONS_PER_PRINCIPAL + ").") String principal) {
        if (limit != null && limit < 1) {
            throw new CliException(ExitCodes.USAGE, "--limit must be positive: " + limit);
        }
        long max = limit == null ? Long.MAX_VALUE : limit;
        if (principal != null) {
            requirePrincipal(principal);
        }
        try (Context.Opened opened = context.open(options)) {
            if (principal != null) {
                List<RecordSummary> sessions = opened.store().findByPrincipal(principal,
                        (int) Math.min(max, SessionManager.MAX_SESSIONS_PER_PRINCIPAL));
                return print(options, opened, each -> {
                    sessions.forEach(each);
                    return sessions.size();
                });
            }
            return print(options, opened, each -> walk(opened.store(), max, each));
        }
    }

    /** Prints the sessions {@code source} hands on, as a table or as JSON, with their count. */
    private int print(GlobalOptions options, Context.Opened opened, ToLongFunction<Consumer<RecordSummary>> source) {
        SessionView view = new SessionView(opened.config(), Instant.now());
        PrintWriter out = context.terminal().out();
        if (options.json) {
            Json.write(out, json -> {
                json.writeStartObject();
                json.writeArrayFieldStart("sessions");
                long shown = source.applyAsLong(session -> {
                    try {
                        json.writeStartObject();
                        view.fields(json, session);
                        json.writeEndObject();
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                json.writeEndArray();
                json.writeNumberField("count", shown);
                json.writeEndObject();
            });
        } else {
            out.println(SessionView.HEADER);
            long shown = source.applyAsLong(session -> out.println(view.row(session)));
            out.println(shown + " session(s)");
        }
        return ExitCodes.OK;
    }

    @Command(name = "revoke", description = "Deletes every session of one user (sign out everywhere). Asks first unless --yes.")
    int revoke(@Mixin GlobalOptions options,
               @Option(names = "--principal", paramLabel = "NAME", required = true,
                       description = "The user whose sessions end, as the application set it.") String principal) {
        requirePrincipal(principal);
        try (Context.Opened opened = context.open(options)) {
            SessionStore store = opened.store();
            List<RecordSummary> first = store.findByPrincipal(principal, SessionManager.MAX_SESSIONS_PER_PRINCIPAL);
            if (first.isEmpty()) {
                report(options, "revoked", 0, "no session of that user");
                return ExitCodes.OK;
            }
            context.terminal().confirm(options.yes, "Delete " + (first.size() == SessionManager.MAX_SESSIONS_PER_PRINCIPAL
                    ? "at least " : "") + first.size() + " session(s) of that user from " + store.describe() + "?");
            long revoked = 0;
            for (List<RecordSummary> round = first; !round.isEmpty();
                 round = store.findByPrincipal(principal, SessionManager.MAX_SESSIONS_PER_PRINCIPAL)) {
                long before = revoked;
                for (RecordSummary session : round) {
                    if (store.delete(session.key())) {
                        revoked++;
                    }
                }
                if (revoked == before) {
                    break; // others deleted them first: nothing this command can still end
                }
            }
            report(options, "revoked", revoked, "revoked " + revoked + " session(s)");
            return ExitCodes.OK;
        }
    }

    private static void requirePrincipal(String principal) {
        try {
            Session.requireValidPrincipal(principal);
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.USAGE, "--principal: " + e.getMessage());
        }
    }

    @Command(name = "show", description = "One session: its times, size, and each attribute's name, size and JSON value.")
    int show(@Mixin GlobalOptions options, @Parameters(paramLabel = "KEY", description = "The hashed key (v1…), as list shows it.") String key) {
        SessionKey sessionKey = parseKey(key);
        try (Context.Opened opened = context.open(options)) {
            SessionRecord record = opened.store().load(sessionKey).orElseThrow(() -> noSuchSession(sessionKey));
            SessionView view = new SessionView(opened.config(), Instant.now());
            RecordSummary summary = RecordSummary.of(record);
            Map<String, String> attributes = new TreeMap<>(record.attributes());
            PrintWriter out = context.terminal().out();
            if (options.json) {
                Json.write(out, json -> {
                    json.writeStartObject();
                    view.fields(json, summary);
                    json.writeArrayFieldStart("attributes");
                    for (Map.Entry<String, String> attribute : attributes.entrySet()) {
                        json.writeStartObject();
                        json.writeStringField("name", attribute.getKey());
                        json.writeNumberField("sizeBytes", SessionRecord.sizeInBytes(Map.of(attribute.getKey(), attribute.getValue())));
                        json.writeStringField("json", attribute.getValue());
                        json.writeEndObject();
                    }
                    json.writeEndArray();
                    json.writeEndObject();
                });
            } else {
                out.println("key                " + record.key().value());
                out.println("state              " + (summary.isExpiredAt(Instant.now()) ? "expired (not yet swept)" : "live"));
                out.println("created            " + SessionView.text(record.createdAt()));
                out.println("last written       " + SessionView.text(record.lastAccessedAt()));
                out.println("idle deadline      " + SessionView.text(summary.idleDeadline()) + " (idle timeout "
                        + record.maxInactiveInterval().toSeconds() + " s)");
                out.println("absolute deadline  " + SessionView.text(view.absoluteDeadline(record.createdAt())));
                out.println("size               " + record.sizeInBytes() + " bytes");
                out.println("version            " + record.version());
                out.println("principal          " + (record.principal() == null ? "-" : record.principal()));
                out.println("attributes         " + attributes.size());
                attributes.forEach((name, value) -> out.println("  " + name + " (" + SessionRecord.sizeInBytes(Map.of(name, value))
                        + " bytes): " + (value.length() > SHOWN_VALUE_CHARS ? value.substring(0, SHOWN_VALUE_CHARS) + "…" : value)));
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "delete", description = "Deletes one session: its visitor gets a new, empty one. Asks first unless --yes.")
    int delete(@Mixin GlobalOptions options, @Parameters(paramLabel = "KEY", description = "The hashed key (v1…), as list shows it.") String key) {
        SessionKey sessionKey = parseKey(key);
        try (Context.Opened opened = context.open(options)) {
            SessionStore store = opened.store();
            if (store.load(sessionKey).isEmpty()) {
                throw noSuchSession(sessionKey);
            }
            context.terminal().confirm(options.yes, "Delete session " + sessionKey.value() + " from " + store.describe() + "?");
            if (!store.delete(sessionKey)) {
                throw noSuchSession(sessionKey);
            }
            report(options, "deleted", 1, "deleted session " + sessionKey.value());
            return ExitCodes.OK;
        }
    }

    @Command(name = "purge", description = "Deletes every expired session (--expired) or every session (--all). Asks first unless --yes.")
    int purge(@Mixin GlobalOptions options, @ArgGroup(multiplicity = "1") PurgeScope scope) {
        try (Context.Opened opened = context.open(options)) {
            SessionStore store = opened.store();
            Stats stats = Stats.of(store, Instant.now(), context.terminal().progress("counting", 0));
            long targets = scope.all ? stats.sessions : stats.expired;
            if (targets == 0) {
                report(options, "deleted", 0, scope.all ? "no session to delete" : "no expired session to delete");
                return ExitCodes.OK;
            }
            context.terminal().confirm(options.yes, scope.all
                    ? "Delete ALL " + targets + " session(s), live ones included (their visitors lose their data), from " + store.describe() + "?"
                    : "Delete " + targets + " expired session(s) from " + store.describe() + "?");
            long deleted;
            if (scope.all) {
                deleted = deleteAll(store, context.terminal().progress("deleting", targets));
            } else {
                Optional<Long> swept = sweep(opened, context.terminal().progress("deleting", targets));
                if (swept.isEmpty()) {
                    throw new CliException(ExitCodes.FAILED, "another process is sweeping " + store.describe() + "; try again later");
                }
                deleted = swept.get();
            }
            report(options, "deleted", deleted, "deleted " + deleted + " session(s)");
            return ExitCodes.OK;
        }
    }

    /** Exactly one of the two purges. */
    static final class PurgeScope {
        @Option(names = "--expired", required = true, description = "Only sessions past their deadline (what a sweep deletes).")
        boolean expired;
        @Option(names = "--all", required = true, description = "Every session, live ones included.")
        boolean all;
    }

    @Command(name = "sweep", description = "Deletes expired sessions now, as the application's sweeper does, under the same sweep lease.")
    int sweep(@Mixin GlobalOptions options) {
        try (Context.Opened opened = context.open(options)) {
            Optional<Long> swept = sweep(opened, context.terminal().progress("sweeping", 0));
            if (options.json) {
                Json.write(context.terminal().out(), json -> {
                    json.writeStartObject();
                    json.writeNumberField("swept", swept.orElse(0L));
                    json.writeBooleanField("skipped", swept.isEmpty());
                    json.writeEndObject();
                });
            } else if (swept.isEmpty()) {
                context.terminal().out().println("skipped: another process is sweeping " + opened.store().describe());
            } else {
                context.terminal().out().println("swept " + swept.get() + " expired session(s)");
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "stats", description = "Counts, sizes and times over all stored sessions.")
    int stats(@Mixin GlobalOptions options) {
        try (Context.Opened opened = context.open(options)) {
            Stats stats = Stats.of(opened.store(), Instant.now(), context.terminal().progress("reading", 0));
            PrintWriter out = context.terminal().out();
            if (options.json) {
                Json.write(out, json -> {
                    json.writeStartObject();
                    json.writeStringField("store", opened.store().describe());
                    stats.fields(json);
                    json.writeEndObject();
                });
            } else {
                out.println("store              " + opened.store().describe());
                out.println("sessions           " + stats.sessions + " (" + stats.live() + " live, " + stats.expired + " expired, not yet swept)");
                out.println("bytes              " + stats.bytes + " in all, " + stats.largest + " the largest, " + stats.mean() + " on average");
                out.println("oldest created     " + SessionView.text(stats.oldestCreated));
                out.println("latest write       " + SessionView.text(stats.latestWrite));
                out.println("next expiry        " + SessionView.text(stats.nextExpiry));
            }
            return ExitCodes.OK;
        }
    }

    /** Hands every listed session to {@code each}, up to {@code max}; returns how many. */
    static long walk(SessionStore store, long max, Consumer<RecordSummary> each) {
        long seen = 0;
        String cursor = null;
        do {
            RecordPage page = store.list(cursor, (int) Math.min(PAGE_SIZE, max - seen));
            for (RecordSummary session : page.records()) {
                each.accept(session);
                seen++;
            }
            cursor = page.next().orElse(null);
        } while (cursor != null && seen < max);
        return seen;
    }

    private static long deleteAll(SessionStore store, Progress progress) {
        try (progress) {
            long[] deleted = {0};
            walk(store, Long.MAX_VALUE, session -> {
                if (store.delete(session.key())) {
                    deleted[0]++;
                }
                progress.advance(1);
            });
            return deleted[0];
        }
    }

    /**
     * Sweeps until no expired session is left, in the application's batches and under its sweep lease (taken again
     * after each time budget, as its sweeper does, so that a long run never outlives its lease); empty if another
     * process holds the lease.
     */
    private static Optional<Long> sweep(Context.Opened opened, Progress progress) {
        SessionStore store = opened.store();
        int batch = opened.config().sweepBatchSize();
        Duration budget = opened.config().sweepTimeBudget();
        long total = 0;
        try (progress) {
            while (true) {
                Optional<SweepLease> lease = store.tryAcquireSweepLease(budget.plus(budget));
                if (lease.isEmpty()) {
                    return total == 0 ? Optional.empty() : Optional.of(total);
                }
                boolean more;
                try (SweepLease held = lease.get()) {
                    long started = System.nanoTime();
                    int swept;
                    do {
                        swept = store.sweep(Instant.now(), batch, record -> progress.advance(1));
                        total += swept;
                    } while (swept == batch && System.nanoTime() - started < budget.toNanos());
                    more = swept == batch;
                }
                if (!more) {
                    return Optional.of(total);
                }
            }
        }
    }

    private void report(GlobalOptions options, String field, long count, String text) {
        if (options.json) {
            Json.write(context.terminal().out(), json -> {
                json.writeStartObject();
                json.writeNumberField(field, count);
                json.writeEndObject();
            });
        } else {
            context.terminal().out().println(text);
        }
    }

    private static SessionKey parseKey(String key) {
        if (!SessionKey.isKey(key)) {
            throw new CliException(ExitCodes.USAGE, "KEY must be a hashed key as 'sessions list' shows it (v1 and 64 hex digits), "
                    + "never a cookie's session id: '" + (key.length() > 12 ? key.substring(0, 12) + "…" : key) + "'");
        }
        return new SessionKey(key);
    }

    private static CliException noSuchSession(SessionKey key) {
        return new CliException(ExitCodes.FAILED, "no session " + key.value());
    }

    /** Figures over one walk of the listing. */
    static final class Stats {
        long sessions;
        long expired;
        long bytes;
        long largest;
        Instant oldestCreated;
        Instant latestWrite;
        Instant nextExpiry;

        static Stats of(SessionStore store, Instant now, Progress progress) {
            Stats stats = new Stats();
            try (Progress shown = progress == null ? new Progress(null, "", 0) : progress) {
                walk(store, Long.MAX_VALUE, session -> {
                    stats.add(session, now);
                    shown.advance(1);
                });
            }
            return stats;
        }

        private void add(RecordSummary session, Instant now) {
            sessions++;
            bytes += session.sizeInBytes();
            largest = Math.max(largest, session.sizeInBytes());
            oldestCreated = min(oldestCreated, session.createdAt());
            latestWrite = latestWrite == null || session.lastAccessedAt().isAfter(latestWrite) ? session.lastAccessedAt() : latestWrite;
            if (session.isExpiredAt(now)) {
                expired++;
            } else {
                nextExpiry = min(nextExpiry, session.expiresAt());
            }
        }

        long live() {
            return sessions - expired;
        }

        long mean() {
            return sessions == 0 ? 0 : bytes / sessions;
        }

        void fields(JsonGenerator json) throws IOException {
            json.writeNumberField("sessions", sessions);
            json.writeNumberField("live", live());
            json.writeNumberField("expired", expired);
            json.writeNumberField("totalBytes", bytes);
            json.writeNumberField("largestBytes", largest);
            json.writeNumberField("meanBytes", mean());
            Json.time(json, "oldestCreatedAt", oldestCreated);
            Json.time(json, "latestWriteAt", latestWrite);
            Json.time(json, "nextExpiryAt", nextExpiry);
        }

        private static Instant min(Instant a, Instant b) {
            return a == null || b.isBefore(a) ? b : a;
        }
    }
}
