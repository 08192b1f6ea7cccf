//! The report: every figure next to the article's and our target, as a table and as JSON
//! (`--json PATH`) so runs can be compared across commits.

mod table;

use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::load::LoadReport;
use crate::recall::RecallReport;
use crate::runner::OpReport;

pub use table::render;

/// Version of the JSON layout; bump when a field changes meaning.
pub const JSON_VERSION: u32 = 1;

/// Everything one run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// JSON layout version.
    pub json_version: u32,
    /// `git rev-parse HEAD` of the tree, when available.
    pub git_commit: Option<String>,
    /// Where it ran.
    pub machine: Machine,
    /// How it ran.
    pub config: RunConfig,
    /// Ingest, open and storage.
    pub load: LoadReport,
    /// Per-operation latencies, per phase.
    pub ops: Vec<OpReport>,
    /// Recall@10 of the default search vs exact (None without vectors).
    pub recall: Option<RecallReport>,
    /// What the compactor did during the "compacting" phase (None with `--no-compaction`).
    pub compaction: Option<CompactionRun>,
    /// Headline figures next to the article's and our targets.
    pub summary: Vec<SummaryRow>,
    /// What the harness could not measure yet (engine API missing).
    pub missing: Vec<String>,
    /// Seconds the whole run took.
    pub total_secs: f64,
}

/// The compactor during the "compacting" phase.
#[derive(Debug, Clone, Serialize)]
pub struct CompactionRun {
    /// The first pass (the one that finds the work): counts, bytes before and after, timings.
    pub first_pass: memspine::CompactionStats,
    /// Its wall time.
    pub first_pass_secs: f64,
    /// Memories examined per second by the first pass.
    pub memories_per_sec: f64,
    /// Passes run during the phase.
    pub passes: u64,
    /// Bytes of the database's files after the run and `reclaim_space`.
    pub bytes_after_reclaim: u64,
    /// Time of that reclaim (open + redb file compaction + close).
    pub reclaim_secs: f64,
}

/// The machine a run was made on.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    /// Logical CPUs available to the process.
    pub nproc: usize,
    /// `model name` from /proc/cpuinfo.
    pub cpu_model: String,
    /// Target OS and architecture.
    pub os: String,
    /// /proc/loadavg when the run started: other tenants (or a cargo build) skew the figures.
    pub load_avg: String,
}

impl Machine {
    /// Detects the current machine.
    pub fn detect() -> Self {
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown".into());
        Machine {
            nproc: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu_model,
            os: format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH),
            load_avg: std::fs::read_to_string("/proc/loadavg")
                .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
                .unwrap_or_default(),
        }
    }
}

/// The run's parameters.
#[derive(Debug, Clone, Serialize)]
pub struct RunConfig {
    /// Preset name, or "custom".
    pub preset: String,
    /// Memories loaded.
    pub memories: u64,
    /// Vector dimension.
    pub dim: usize,
    /// Query threads.
    pub threads: usize,
    /// Memories per batch.
    pub batch: usize,
    /// Seed.
    pub seed: u64,
    /// Measured seconds per operation and phase.
    pub duration_per_op_secs: f64,
}

/// One headline figure.
#[derive(Debug, Clone, Serialize)]
pub struct SummaryRow {
    /// What is measured.
    pub figure: String,
    /// Our value.
    pub ours: Option<f64>,
    /// Unit of `ours` and `target`.
    pub unit: String,
    /// The article's figure, as text (several stores may be quoted).
    pub article: String,
    /// Our target.
    pub target: Option<f64>,
    /// Whether larger values are better (throughput, recall) or smaller (latency).
    pub higher_is_better: bool,
    /// Whether the target is met (None without a value or target).
    pub meets_target: Option<bool>,
    /// How far off the target: ours/target for latencies, target/ours for the rest (≥ 1 = miss).
    pub off_by: Option<f64>,
}

impl SummaryRow {
    /// A row; the verdict is computed from `ours` and `target`.
    pub fn new(
        figure: impl Into<String>,
        ours: Option<f64>,
        unit: &str,
        article: impl Into<String>,
        target: Option<f64>,
        higher_is_better: bool,
    ) -> Self {
        let ratio = match (ours, target) {
            (Some(o), Some(t)) if higher_is_better => Some(t / o.max(f64::MIN_POSITIVE)),
            (Some(o), Some(t)) => Some(o / t.max(f64::MIN_POSITIVE)),
            _ => None,
        };
        SummaryRow {
            figure: figure.into(),
            ours,
            unit: unit.to_owned(),
            article: article.into(),
            target,
            higher_is_better,
            meets_target: ratio.map(|r| r <= 1.0),
            off_by: ratio,
        }
    }
}

/// The headline rows: ingest, open, storage, and the p95 of each operation with a target or an
/// article figure (idle phase).
pub fn summary(
    load: &LoadReport,
    ops: &[OpReport],
    recall: Option<&RecallReport>,
) -> Vec<SummaryRow> {
    let mut rows = vec![
        SummaryRow::new(
            "batched ingest",
            Some(load.ingest_per_sec),
            "memories/s",
            "—",
            Some(100_000.0),
            true,
        ),
        SummaryRow::new(
            "open (warm)",
            Some(load.open_ms_median),
            "ms",
            "—",
            Some(100.0),
            false,
        ),
        SummaryRow::new(
            "storage efficiency",
            Some(load.storage_efficiency * 100.0),
            "%",
            "85 % hybrid (log 95, vector 75, graph 60)",
            Some(95.0),
            true,
        ),
    ];
    if let Some(r) = recall {
        let article = "94 % hybrid, 92 % vector, 96 % graph, 78 % log (vs human labels)";
        for (scope, v) in [
            ("global", r.global),
            ("scoped", r.scoped),
            ("hybrid", r.hybrid),
        ] {
            rows.push(SummaryRow::new(
                format!("recall@{} {scope} vs exact", r.k),
                Some(v * 100.0),
                "%",
                article,
                Some(99.0),
                true,
            ));
        }
    }
    for op in ops.iter().filter(|o| o.phase == "idle") {
        if op.article_p95_ms.is_none() && op.target_p95_ms.is_none() {
            continue;
        }
        let article = op
            .article_p95_ms
            .map_or_else(|| "—".to_owned(), |a| format!("{a} ms"));
        rows.push(SummaryRow::new(
            format!("{} p95", op.name),
            Some(op.p95_ms),
            "ms",
            article,
            op.target_p95_ms,
            false,
        ));
    }
    rows
}

/// Writes the report as pretty JSON.
pub fn write_json(report: &Report, path: &Path) -> Result<()> {
    let text = serde_json::to_string_pretty(report)?;
    std::fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))
}

/// The current git commit of the working directory, if git is there.
pub fn git_commit() -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}
