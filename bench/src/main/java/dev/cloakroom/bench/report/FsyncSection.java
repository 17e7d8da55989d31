package dev.cloakroom.bench.report;

import dev.cloakroom.bench.Contender;
import dev.cloakroom.bench.load.Results;
import dev.cloakroom.bench.load.Workload;
import java.util.ArrayList;
import java.util.List;

/**
 * What the file store's fsyncs cost: the same store on the disk, with one fsync fewer, and on tmpfs where an fsync
 * returns at once, each round's figures set against the tmpfs contender's of that round; and that contender against
 * Jetty's file store, which fsyncs nothing, so that what is left of a gap once the fsyncs are free shows.
 */
final class FsyncSection {
    private static final List<Contender> ON_DISK = List.of(Contender.CLOAKROOM_FILE, Contender.CLOAKROOM_FILE_ATOMIC);
    private static final List<Contender> NO_FSYNC_PEERS = List.of(Contender.JETTY_FILE_NULL, Contender.JETTY_FILE_CACHE);

    private FsyncSection() {
    }

    static void write(Results r, StringBuilder md) {
        if (!r.contenders.contains(Contender.CLOAKROOM_FILE_TMPFS)) {
            return;
        }
        md.append("## What the file store's fsyncs cost\n\n");
        md.append("`cloakroom-file-tmpfs` runs the default file store (two fsyncs per write) with its folder on tmpfs, ")
                .append("where an fsync returns at once. Per round, each contender's sequential p50 minus the tmpfs ")
                .append("contender's of the same round is what the fsyncs cost on this disk (ms; median and range over ")
                .append("the rounds); the ratio to Jetty's file store (which fsyncs nothing) is the rest of the write ")
                .append("path, with the fsyncs free. Reads write nothing, so their rows show only the medium.\n\n");
        md.append("| page | durable (default) - tmpfs | atomic - tmpfs | tmpfs ÷ ").append(NO_FSYNC_PEERS.get(0).id())
                .append(" | tmpfs ÷ ").append(NO_FSYNC_PEERS.get(1).id()).append(" |\n|---|---|---|---|---|\n");
        for (Workload w : List.of(Workload.READ, Workload.INCREMENT, Workload.UPLOAD)) {
            md.append("| ").append(w.label());
            for (Contender c : ON_DISK) {
                md.append(" | ").append(perRound(r, w, c, (mine, tmpfs) -> mine - tmpfs).format("%.2f"));
            }
            for (Contender peer : NO_FSYNC_PEERS) {
                md.append(" | ").append(perRound(r, w, peer, (theirs, tmpfs) -> tmpfs / theirs).format("%.2f"));
            }
            md.append(" |\n");
        }
        md.append("\n");
    }

    private interface Against {
        double apply(double other, double tmpfs);
    }

    private static Spread perRound(Results r, Workload w, Contender other, Against f) {
        List<Double> values = new ArrayList<>();
        for (int round = 1; round <= r.mode.rounds(); round++) {
            Results.PathRun theirs = ReportWriter.run(r, other, w, round);
            Results.PathRun tmpfs = ReportWriter.run(r, Contender.CLOAKROOM_FILE_TMPFS, w, round);
            if (theirs != null && tmpfs != null) {
                values.add(f.apply(theirs.sequential().p50(), tmpfs.sequential().p50()));
            }
        }
        return Spread.of(values);
    }
}
