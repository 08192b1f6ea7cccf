//! The plain-text table printed at the end of a run.

use std::fmt::Write as _;

use super::{Report, SummaryRow};
use crate::runner::OpReport;

/// Renders the whole report as text.
pub fn render(r: &Report) -> String {
    let mut s = String::new();
    header(&mut s, r);
    ops_table(&mut s, &r.ops);
    summary_table(&mut s, &r.summary);
    if let Some(c) = &r.compaction {
        let f = &c.first_pass;
        let _ = writeln!(
            s,
            "\ncompaction (first pass, {:.1} s, {:.0} memories/s): examined {}, kept {}, demoted {}, \
             archived {}, deleted {}, consolidated {} into {}; log pages merged {}, recompressed {}; \
             bytes on disk {} -> {} ({} after reclaim_space, {:.1} s); {} passes during the compacting phase",
            c.first_pass_secs,
            c.memories_per_sec,
            f.examined,
            f.kept,
            f.demoted,
            f.archived,
            f.deleted,
            f.consolidated_sources,
            f.consolidated_groups,
            f.log_pages_merged,
            f.log_pages_recompressed,
            f.bytes_before,
            f.bytes_after,
            c.bytes_after_reclaim,
            c.reclaim_secs,
            c.passes
        );
    }
    if !r.missing.is_empty() {
        let _ = writeln!(
            s,
            "\nnot measured yet (engine API missing): {}",
            r.missing.join(", ")
        );
    }
    let _ = writeln!(s, "\ntotal {:.1} s", r.total_secs);
    s
}

fn header(s: &mut String, r: &Report) {
    let c = &r.config;
    let l = &r.load;
    let _ = writeln!(
        s,
        "memspine-bench — preset {}: {} memories, dim {}, {} query threads, seed {}\n\
         machine: {} × {} ({}), load average at start {}, commit {}",
        c.preset,
        c.memories,
        c.dim,
        c.threads,
        c.seed,
        r.machine.nproc,
        r.machine.cpu_model,
        r.machine.os,
        r.machine.load_avg,
        r.git_commit.as_deref().unwrap_or("?"),
    );
    let _ = writeln!(
        s,
        "load: {:.0} memories/s ({:.2} s in store_batch + close of which close {:.2} s; \
         batches of {}; wall {:.1} s)\n\
         graph: {} facts ({} superseded) over {} entities, {:.2} s in add_triple ({:.0} facts/s)\n\
         vector index: {} lists (a search scans {}) trained and assigned in {:.2} s (not in ingest)\n\
         open: {:.1} ms median of {:?} ms\n\
         disk: {} on disk, {} useful (content {}, metadata JSON {}, vectors {}, triples {}) \
         → storage efficiency {:.1} %",
        l.ingest_per_sec,
        l.ingest_secs,
        l.close_secs,
        l.batch_size,
        l.wall_secs,
        l.graph_triples,
        l.graph_superseded,
        l.graph_entities,
        l.graph_secs,
        l.graph_triples_per_sec,
        l.vector_index_lists,
        l.vector_index_nprobe,
        l.vector_index_secs,
        l.open_ms_median,
        l.open_ms
            .iter()
            .map(|x| (x * 10.0).round() / 10.0)
            .collect::<Vec<_>>(),
        mib(l.bytes_on_disk),
        mib(l.useful_bytes),
        mib(l.useful.content),
        mib(l.useful.metadata_json),
        mib(l.useful.vectors),
        mib(l.useful.triples),
        l.storage_efficiency * 100.0,
    );
}

fn ops_table(s: &mut String, ops: &[OpReport]) {
    let _ = writeln!(
        s,
        "\n{:<24} {:<10} {:>9} {:>9} {:>9} {:>10} {:>12} {:>9} {:>9}  verdict",
        "operation", "phase", "p50 ms", "p95 ms", "p99 ms", "ops/s", "results", "article", "target"
    );
    for o in ops {
        let verdict = match (o.errors, o.target_p95_ms) {
            (e, _) if e > 0 => format!("{e} errors: {}", o.first_error.as_deref().unwrap_or("")),
            (_, Some(t)) if o.p95_ms <= t => "meets target".to_owned(),
            (_, Some(t)) => format!("misses target {:.1}×", o.p95_ms / t),
            (_, None) => String::new(),
        };
        // Graph reads show entities/relations.
        let results = match o.mean_relations {
            Some(r) => format!("{:.1}/{:.1}", o.mean_results, r),
            None => format!("{:.1}", o.mean_results),
        };
        let _ = writeln!(
            s,
            "{:<24} {:<10} {:>9.3} {:>9.3} {:>9.3} {:>10.0} {:>12} {:>9} {:>9}  {}",
            o.name,
            o.phase,
            o.p50_ms,
            o.p95_ms,
            o.p99_ms,
            o.throughput,
            results,
            opt_ms(o.article_p95_ms),
            opt_ms(o.target_p95_ms),
            verdict
        );
        for v in &o.variants {
            let _ = writeln!(
                s,
                "  · {:<32} {:>9.3} {:>9.3} {:>9.3} {:>10} {:>12.1}  {} calls",
                "", v.p50_ms, v.p95_ms, v.p99_ms, "", v.mean_results, v.calls
            );
            let _ = writeln!(s, "      {}", v.label);
        }
    }
}

fn summary_table(s: &mut String, rows: &[SummaryRow]) {
    let _ = writeln!(
        s,
        "\n{:<28} {:>14} {:<44} {:>14}  verdict",
        "figure", "memspine", "article", "target"
    );
    for r in rows {
        let ours = r
            .ours
            .map_or_else(|| "—".to_owned(), |v| format!("{} {}", num(v), r.unit));
        let cmp = if r.higher_is_better { "≥" } else { "≤" };
        let target = r.target.map_or_else(
            || "—".to_owned(),
            |t| format!("{cmp} {} {}", num(t), r.unit),
        );
        let verdict = match (r.meets_target, r.off_by) {
            (Some(true), _) => "meets".to_owned(),
            (Some(false), Some(x)) => format!("misses by {x:.2}×"),
            _ => String::new(),
        };
        let _ = writeln!(
            s,
            "{:<28} {:>14} {:<44} {:>14}  {}",
            r.figure, ours, r.article, target, verdict
        );
    }
}

fn opt_ms(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), num)
}

/// A number with sensible precision for its size.
fn num(v: f64) -> String {
    match v.abs() {
        x if x >= 1000.0 => format!("{v:.0}"),
        x if x >= 10.0 => format!("{v:.1}"),
        x if x >= 0.1 => format!("{v:.2}"),
        _ => format!("{v:.3}"),
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}
