//! `memspine-bench`: the load harness. Generates a deterministic synthetic workload, loads it
//! (ingest throughput, open time, storage efficiency), runs each query operation from C
//! threads (p50/p95/p99, throughput) and prints the figures next to the article's and our
//! targets, as a table and as JSON. See docs/benchmarks.md.
//!
//! `cargo run --release -p memspine-benches --bin memspine-bench -- --preset 100k`
#![warn(missing_docs)]
#![deny(unsafe_code)]

mod load;
mod ops;
mod recall;
mod report;
mod rng;
mod runner;
mod workload;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::{Parser, ValueEnum};

use ops::{OpCtx, OpSpec};
use report::{Machine, Report, RunConfig};
use runner::RunSpec;
use workload::{Shape, Workload};

/// Workload sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Preset {
    /// 100 000 memories (< 3 min on 2 cores).
    #[value(name = "100k")]
    K100,
    /// 1 000 000 memories (< 20 min on 2 cores).
    #[value(name = "1m")]
    M1,
    /// 10 000 000 memories (documented; needs ~20 GB of disk with 384-d vectors).
    #[value(name = "10m")]
    M10,
}

impl Preset {
    fn memories(self) -> u64 {
        match self {
            Preset::K100 => 100_000,
            Preset::M1 => 1_000_000,
            Preset::M10 => 10_000_000,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Preset::K100 => "100k",
            Preset::M1 => "1m",
            Preset::M10 => "10m",
        }
    }
}

/// Command-line arguments.
#[derive(Debug, Parser)]
#[command(
    name = "memspine-bench",
    about = "memspine load harness (docs/benchmarks.md)"
)]
struct Args {
    /// Workload size.
    #[arg(long, value_enum, default_value = "100k")]
    preset: Preset,
    /// Override the number of memories of the preset.
    #[arg(long)]
    memories: Option<u64>,
    /// Vector dimension (0: no vectors).
    #[arg(long, default_value_t = 384)]
    dim: usize,
    /// Concurrent query threads per operation.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Write the report as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Database directory (must not exist or be empty); default a temporary directory.
    #[arg(long)]
    db: Option<PathBuf>,
    /// Keep the database directory after the run (and `<db>.load.json` beside it, for `--reuse`).
    #[arg(long)]
    keep: bool,
    /// Reuse the database at `--db` kept by an earlier run of the same workload instead of
    /// loading it again (its load figures are reported again). Implies `--keep`; pair it with
    /// `--no-compaction` so the database stays as loaded.
    #[arg(long, requires = "db")]
    reuse: bool,
    /// Only these operations (comma-separated names; `--list-ops` shows them).
    #[arg(long, value_delimiter = ',')]
    ops: Vec<String>,
    /// Measured seconds per operation and phase (default 2 for 100k, 3 above).
    #[arg(long)]
    duration_per_op: Option<f64>,
    /// Memories per `store_batch` call.
    #[arg(long, default_value_t = 1000)]
    batch: usize,
    /// Seed of the workload and the query streams.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// List the operations and exit.
    #[arg(long)]
    list_ops: bool,
    /// Skip the "compacting" phase (the operations again, with the compactor running).
    #[arg(long)]
    no_compaction: bool,
    /// Skip the recall measurement (for quick re-measurements and clean profiles of the
    /// operations; the report then has no recall figures).
    #[arg(long)]
    no_recall: bool,
}

/// Query vectors of the recall measurement.
const RECALL_QUERIES: usize = 200;

/// A resolved run configuration.
#[derive(Debug, Clone)]
struct Config {
    preset: String,
    shape: Shape,
    threads: usize,
    duration: Duration,
    ops: Vec<String>,
    db: PathBuf,
    keep: bool,
    reuse: bool,
    compaction: bool,
    recall: bool,
}

impl Config {
    fn from_args(a: &Args) -> Result<Config> {
        let memories = a.memories.unwrap_or(a.preset.memories());
        if memories == 0 || memories > u64::from(u32::MAX) {
            bail!("--memories must be in 1..=4294967295");
        }
        let secs = a
            .duration_per_op
            .unwrap_or(if memories <= 100_000 { 2.0 } else { 3.0 });
        if !(secs.is_finite() && secs > 0.0) {
            bail!("--duration-per-op must be a positive number of seconds");
        }
        let default_db =
            std::env::temp_dir().join(format!("memspine-bench-{}-{}", std::process::id(), a.seed));
        Ok(Config {
            preset: match a.memories {
                Some(_) => "custom".into(),
                None => a.preset.name().into(),
            },
            shape: Shape {
                memories,
                dim: a.dim,
                batch: a.batch.max(1),
                seed: a.seed,
            },
            threads: a.threads.max(1),
            duration: Duration::from_secs_f64(secs),
            ops: a.ops.clone(),
            db: a.db.clone().unwrap_or(default_db),
            keep: a.keep || a.reuse,
            reuse: a.reuse,
            compaction: !a.no_compaction,
            recall: !a.no_recall,
        })
    }
}

/// The operations to run: all, or those named (an unknown name is an error).
fn select_ops(names: &[String], has_vectors: bool) -> Result<Vec<OpSpec>> {
    let all: Vec<OpSpec> = ops::all()
        .into_iter()
        .filter(|o| has_vectors || !o.needs_vectors)
        .collect();
    if names.is_empty() {
        return Ok(all);
    }
    if let Some(bad) = names.iter().find(|n| !all.iter().any(|o| o.name == *n)) {
        let known: Vec<&str> = all.iter().map(|o| o.name).collect();
        bail!("unknown operation {bad:?}; available: {}", known.join(", "));
    }
    Ok(all
        .into_iter()
        .filter(|o| names.iter().any(|n| n == o.name))
        .collect())
}

/// Loads, queries and reports. The database directory is removed afterwards unless `keep`.
fn run(cfg: &Config) -> Result<Report> {
    let started = Instant::now();
    let machine = Machine::detect();
    let ops = select_ops(&cfg.ops, cfg.shape.dim > 0)?;
    let w = Workload::new(cfg.shape);
    eprintln!(
        "{} {} memories (dim {}, batches of {}) into {}",
        if cfg.reuse { "reusing" } else { "loading" },
        cfg.shape.memories,
        cfg.shape.dim,
        cfg.shape.batch,
        cfg.db.display()
    );
    let (db, load, entities) = if cfg.reuse {
        load::reuse(&w, &cfg.db)?
    } else {
        let (db, load, entities) = load::load(&w, &cfg.db)?;
        if cfg.keep {
            let kept = load::Kept {
                memories: cfg.shape.memories,
                dim: cfg.shape.dim,
                seed: cfg.shape.seed,
                report: load.clone(),
                entities: entities.clone(),
            };
            std::fs::write(load::kept_path(&cfg.db), serde_json::to_vec(&kept)?)?;
        }
        (db, load, entities)
    };
    eprintln!(
        "loaded: {:.0} memories/s, {} facts over {} entities in {:.1} s, open {:.1} ms, efficiency {:.1} %",
        load.ingest_per_sec,
        load.graph_triples,
        load.graph_entities,
        load.graph_secs,
        load.open_ms_median,
        load.storage_efficiency * 100.0
    );
    let user_10k = ops::user_near(&db, w.users, 10_000)?;
    eprintln!(
        "scoped_search_10k searches {} ({} memories)",
        user_10k.0, user_10k.1
    );
    let cx = OpCtx {
        db: &db,
        w: &w,
        entities: &entities,
        user_10k: &user_10k.0,
    };
    let spec = RunSpec {
        threads: cfg.threads,
        duration: cfg.duration,
        seed: cfg.shape.seed,
        phase: "idle",
    };
    let mut results = runner::run_all(&cx, &ops, &spec);
    let compaction = if cfg.compaction {
        let (c, compacting) = compacting_phase(&cx, &ops, &spec)?;
        results.extend(compacting);
        Some(c)
    } else {
        None
    };
    let recall = if cfg.shape.dim > 0 && cfg.recall {
        let r = recall::measure(&cx, RECALL_QUERIES, cfg.shape.seed)?;
        eprintln!(
            "recall@10: global {:.4}, scoped {:.4}, hybrid {:.4}",
            r.global, r.scoped, r.hybrid
        );
        Some(r)
    } else {
        None
    };
    drop(db);
    let mut compaction = compaction;
    if let Some(c) = compaction.as_mut() {
        // redb copy-on-write grows the file while pages are rewritten (the freed space is reused
        // by later writes); giving it back needs the handle alone.
        let opts = memspine::Options {
            create: false,
            dimension: (cfg.shape.dim > 0).then_some(cfg.shape.dim),
            ..memspine::Options::default()
        };
        let started = Instant::now();
        let mut db = memspine::Spine::open(&cfg.db, opts)?;
        db.reclaim_space()?;
        drop(db);
        c.bytes_after_reclaim = memspine::dir_bytes(&cfg.db);
        c.reclaim_secs = started.elapsed().as_secs_f64();
        eprintln!(
            "reclaim: {} bytes on disk after {:.1} s",
            c.bytes_after_reclaim, c.reclaim_secs
        );
    }
    if !cfg.keep {
        std::fs::remove_dir_all(&cfg.db)
            .with_context(|| format!("removing {}", cfg.db.display()))?;
    }
    Ok(Report {
        json_version: report::JSON_VERSION,
        git_commit: report::git_commit(),
        machine,
        config: RunConfig {
            preset: cfg.preset.clone(),
            memories: cfg.shape.memories,
            dim: cfg.shape.dim,
            threads: cfg.threads,
            batch: cfg.shape.batch,
            seed: cfg.shape.seed,
            duration_per_op_secs: cfg.duration.as_secs_f64(),
        },
        summary: report::summary(&load, &results, recall.as_ref()),
        recall,
        load,
        compaction,
        ops: results,
        missing: ops::PENDING.iter().map(|s| (*s).to_owned()).collect(),
        total_secs: started.elapsed().as_secs_f64(),
    })
}

/// The same operations again while a compactor thread runs passes back to back (the first does
/// the real work: the workload's months of memories meet the decay policy). Returns what the
/// first pass did and the phase's latencies.
fn compacting_phase(
    cx: &OpCtx,
    ops: &[OpSpec],
    spec: &RunSpec,
) -> Result<(report::CompactionRun, Vec<runner::OpReport>)> {
    use std::sync::atomic::{AtomicBool, Ordering};
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let db = cx.db.clone();
    let flag = stop.clone();
    let worker = std::thread::spawn(move || -> Result<(memspine::CompactionStats, u64, f64)> {
        let started = Instant::now();
        let opts = memspine::CompactOptions::default();
        let first = db.compact_with(&opts, false)?.stats;
        let first_secs = started.elapsed().as_secs_f64();
        let mut passes = 1;
        while !flag.load(Ordering::Relaxed) {
            db.compact_with(&opts, false)?;
            passes += 1;
        }
        Ok((first, passes, first_secs))
    });
    eprintln!("compacting phase: the operations again with the compactor running");
    let spec = RunSpec {
        phase: "compacting",
        ..*spec
    };
    let results = runner::run_all(cx, ops, &spec);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (first, passes, first_secs) = worker
        .join()
        .map_err(|_| anyhow::anyhow!("the compactor thread panicked"))??;
    eprintln!(
        "compaction: first pass {:.1} s over {} memories, {} passes in the phase",
        first_secs, first.examined, passes
    );
    Ok((
        report::CompactionRun {
            memories_per_sec: first.examined as f64 / first_secs.max(1e-9),
            first_pass_secs: first_secs,
            passes,
            bytes_after_reclaim: 0,
            reclaim_secs: 0.0,
            first_pass: first,
        },
        results,
    ))
}

fn main() -> Result<()> {
    let args = Args::parse();
    if args.list_ops {
        for o in ops::all() {
            println!("{:<24} {}", o.name, o.about);
        }
        return Ok(());
    }
    let cfg = Config::from_args(&args)?;
    let report = run(&cfg)?;
    print!("{}", report::render(&report));
    if let Some(path) = &args.json {
        report::write_json(&report, path)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole harness at N = 2 000, in-process: CI catches a broken harness.
    #[test]
    fn harness_smoke_2000() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let args = Args::try_parse_from([
            "memspine-bench",
            "--memories",
            "2000",
            "--dim",
            "32",
            "--duration-per-op",
            "0.05",
        ])?;
        let mut cfg = Config::from_args(&args)?;
        cfg.db = dir.path().join("db");
        let report = run(&cfg)?;
        assert_eq!(report.load.memories, 2000);
        assert!(report.load.storage_efficiency > 0.0);
        let recall = report.recall.as_ref().map_or(0.0, |r| r.global);
        assert!(recall > 0.5 && recall <= 1.0, "recall {recall}");
        assert!(!report.ops.is_empty());
        assert!(report.load.graph_triples > 500, "{:?}", report.load);
        assert!(report.load.graph_entities > 50);
        assert!(report.load.graph_superseded > 0, "no supersession happened");
        assert!(report.load.useful.triples > 0);
        for name in ["graph_1hop", "graph_2hop", "dsl", "dsl_indexed"] {
            let op = report
                .ops
                .iter()
                .find(|o| o.name == name && o.phase == "idle");
            let op = op.unwrap_or_else(|| panic!("{name} did not run"));
            assert!(op.target_p95_ms.is_some() || op.article_p95_ms.is_some());
            if name.starts_with("graph") {
                assert!(
                    op.mean_relations.unwrap_or(0.0) > 0.0,
                    "{name}: no relations"
                );
            }
            assert!(report
                .summary
                .iter()
                .any(|r| r.figure == format!("{name} p95")));
        }
        let dsl = report.ops.iter().find(|o| o.name == "dsl");
        let variants = dsl.map_or(0, |o| o.variants.len());
        assert_eq!(variants, ops::dsl::TEMPLATES.len());
        let one = report.ops.iter().find(|o| o.name == "graph_1hop");
        let two = report.ops.iter().find(|o| o.name == "graph_2hop");
        assert!(two.map(|o| o.mean_results) > one.map(|o| o.mean_results));
        for op in &report.ops {
            assert_eq!(op.errors, 0, "{}: {:?}", op.name, op.first_error);
            assert!(op.calls > 0, "{} made no calls", op.name);
            assert!(op.mean_results > 0.0, "{} found nothing", op.name);
        }
        let text = report::render(&report);
        assert!(text.contains("storage efficiency"));
        let json = dir.path().join("r.json");
        report::write_json(&report, &json)?;
        let back: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(json)?)?;
        assert_eq!(back["config"]["memories"], 2000);
        assert!(!cfg.db.exists(), "the database is removed without --keep");
        Ok(())
    }

    #[test]
    fn unknown_op_is_an_error() {
        assert!(select_ops(&["nope".into()], true).is_err());
        assert_eq!(
            select_ops(&["get".into()], true).map(|v| v.len()).ok(),
            Some(1)
        );
    }
}
