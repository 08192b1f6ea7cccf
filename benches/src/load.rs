//! Loading the workload: batched ingest with `Durability::None`, a close that makes it durable,
//! then reopening (timed) and measuring what the database weighs on disk.

use std::path::Path;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use memspine::{Durability, ManualClock, Options, Spine};
use serde::{Deserialize, Serialize};

use crate::workload::graph::PREDICATES;
use crate::workload::{Batch, Generator, Useful, Workload, T0};

/// Opens measured after the load; the median is reported (the first open is in the list too).
const OPENS: usize = 3;

/// What loading measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoadReport {
    /// Memories stored.
    pub memories: u64,
    /// `store_batch` calls.
    pub batches: u64,
    /// Memories per batch.
    pub batch_size: usize,
    /// Seconds inside `store_batch` plus the durable close: engine time, generation excluded.
    pub ingest_secs: f64,
    /// Of which the final close (which makes the `Durability::None` commits durable).
    pub close_secs: f64,
    /// Memories per second of engine time.
    pub ingest_per_sec: f64,
    /// Wall-clock seconds of the whole load (generation runs on another thread).
    pub wall_secs: f64,
    /// Each reopen, in ms (the database files are in the OS page cache: a warm open).
    pub open_ms: Vec<f64>,
    /// Median of `open_ms`.
    pub open_ms_median: f64,
    /// Bytes of every file of the database directory after the load.
    pub bytes_on_disk: u64,
    /// Useful bytes stored (docs/benchmarks.md defines them).
    pub useful: Useful,
    /// Useful bytes total.
    pub useful_bytes: u64,
    /// `useful_bytes / bytes_on_disk`.
    pub storage_efficiency: f64,
    /// The simulated time when the load ended; queries run at this time.
    pub end_time: u64,
    /// Graph entities created by the facts.
    pub graph_entities: u64,
    /// Graph triples (facts) added, each linked to the memory that states it.
    pub graph_triples: u64,
    /// Facts closed by a newer fact of a single-valued predicate (supersession).
    pub graph_superseded: u64,
    /// Seconds inside `add_triple` (one transaction per fact, `Durability::None`).
    pub graph_secs: f64,
    /// Facts per second of that time.
    pub graph_triples_per_sec: f64,
    /// Seconds to train the partitioned vector index after the load (`build_vector_index`);
    /// not part of ingest.
    #[serde(default)]
    pub vector_index_secs: f64,
    /// Its lists (0: no vectors, no index).
    #[serde(default)]
    pub vector_index_lists: usize,
    /// Lists a search scans (calibrated by the training).
    #[serde(default)]
    pub vector_index_nprobe: usize,
}

/// What the graph part of the load did.
#[derive(Debug, Default)]
struct GraphLoad {
    triples: u64,
    created: u64,
    superseded: u64,
    time: Duration,
    /// Every entity name, in first-mention order.
    entities: Vec<String>,
}

/// Loads `w` into a new database at `dir` and returns it reopened for queries, with the names
/// of the graph's entities.
pub fn load(w: &Workload, dir: &Path) -> Result<(Spine, LoadReport, Vec<String>)> {
    let clock = ManualClock::new(T0);
    let db = Spine::open(dir, options(w, &clock, Durability::None))
        .with_context(|| format!("creating the database at {}", dir.display()))?;
    for &(p, single) in PREDICATES {
        db.declare_predicate(p, single)?;
    }
    let wall = Instant::now();
    let (useful, batches, stored, graph) = ingest(w, &db, &clock)?;
    let t = Instant::now();
    let (vector_index_lists, vector_index_nprobe) = match db.build_vector_index() {
        Ok(info) => (info.lists, info.nprobe),
        Err(_) if w.shape.dim == 0 => (0, 0),
        Err(e) => return Err(e.into()),
    };
    let vector_index_secs = t.elapsed().as_secs_f64();
    let t = Instant::now();
    drop(db);
    let close = t.elapsed();
    let wall_secs = wall.elapsed().as_secs_f64();
    let ingest = stored + close;

    let mut open_ms = Vec::with_capacity(OPENS);
    let mut db = None;
    for _ in 0..OPENS {
        drop(db.take());
        let t = Instant::now();
        let d = Spine::open(dir, options(w, &clock, Durability::Immediate))?;
        open_ms.push(t.elapsed().as_secs_f64() * 1e3);
        db = Some(d);
    }
    let db = db.context("no open")?;
    let count = db.count()?;
    ensure!(
        count == w.shape.memories,
        "after reopening the database holds {count} memories, expected {}",
        w.shape.memories
    );
    let bytes_on_disk = db.stats()?.bytes_on_disk;
    let memories = w.shape.memories;
    let report = LoadReport {
        memories,
        batches,
        batch_size: w.shape.batch,
        ingest_secs: ingest.as_secs_f64(),
        close_secs: close.as_secs_f64(),
        ingest_per_sec: memories as f64 / ingest.as_secs_f64().max(1e-9),
        wall_secs,
        open_ms_median: median(&open_ms),
        open_ms,
        bytes_on_disk,
        useful_bytes: useful.total(),
        storage_efficiency: useful.total() as f64 / bytes_on_disk.max(1) as f64,
        useful,
        end_time: db.now(),
        graph_entities: graph.created,
        graph_triples: graph.triples,
        graph_superseded: graph.superseded,
        graph_secs: graph.time.as_secs_f64(),
        graph_triples_per_sec: graph.triples as f64 / graph.time.as_secs_f64().max(1e-9),
        vector_index_secs,
        vector_index_lists,
        vector_index_nprobe,
    };
    Ok((db, report, graph.entities))
}

/// What a kept database remembers of its load (`<db>.load.json`, beside the directory), so a
/// later run can `--reuse` it instead of loading again.
#[derive(Debug, Serialize, Deserialize)]
pub struct Kept {
    /// Memories, dimension and seed of the workload that was loaded.
    pub memories: u64,
    /// Vector dimension.
    pub dim: usize,
    /// Workload seed.
    pub seed: u64,
    /// The load's figures.
    pub report: LoadReport,
    /// The graph's entity names, in first-mention order.
    pub entities: Vec<String>,
}

/// Where [`Kept`] lives for the database directory `dir`.
pub fn kept_path(dir: &Path) -> std::path::PathBuf {
    let mut name = dir.file_name().unwrap_or_default().to_os_string();
    name.push(".load.json");
    dir.with_file_name(name)
}

/// Reopens a database kept by an earlier run of the same workload.
pub fn reuse(w: &Workload, dir: &Path) -> Result<(Spine, LoadReport, Vec<String>)> {
    let path = kept_path(dir);
    let kept: Kept = serde_json::from_str(
        &std::fs::read_to_string(&path)
            .with_context(|| format!("--reuse needs {} (written by --keep)", path.display()))?,
    )
    .with_context(|| format!("reading {}", path.display()))?;
    ensure!(
        (kept.memories, kept.dim, kept.seed) == (w.shape.memories, w.shape.dim, w.shape.seed),
        "{} was loaded with {} memories, dim {}, seed {}: not this workload",
        dir.display(),
        kept.memories,
        kept.dim,
        kept.seed
    );
    let clock = ManualClock::new(kept.report.end_time);
    let db = Spine::open(
        dir,
        Options {
            create: false,
            ..options(w, &clock, Durability::Immediate)
        },
    )?;
    let mut report = kept.report;
    let info = match db.vector_index() {
        Some(info) => Some(info),
        // A database kept before the partitioned vector index existed: train it now.
        None if w.shape.dim > 0 => {
            let t = Instant::now();
            let info = db.build_vector_index()?;
            report.vector_index_secs = t.elapsed().as_secs_f64();
            Some(info)
        }
        None => None,
    };
    if let Some(info) = info {
        report.vector_index_lists = info.lists;
        report.vector_index_nprobe = info.nprobe;
    }
    Ok((db, report, kept.entities))
}

fn options(w: &Workload, clock: &ManualClock, durability: Durability) -> Options {
    Options {
        durability,
        clock: Arc::new(clock.clone()),
        dimension: (w.shape.dim > 0).then_some(w.shape.dim),
        ..Options::default()
    }
}

/// Stores every batch and then its facts (linked to the stored memories), generating the next
/// batches on another thread meanwhile. Returns the useful bytes, the number of batches, the
/// time spent inside `store_batch` and what the graph part did.
fn ingest(
    w: &Workload,
    db: &Spine,
    clock: &ManualClock,
) -> Result<(Useful, u64, Duration, GraphLoad)> {
    std::thread::scope(|s| {
        let (tx, rx) = mpsc::sync_channel::<Batch>(4);
        let producer = s.spawn(move || {
            let mut g = Generator::new(w);
            while let Some(b) = g.next_batch() {
                if tx.send(b).is_err() {
                    break; // the consumer failed and hung up
                }
            }
            (g.useful, std::mem::take(&mut g.facts.entities))
        });
        let mut stored = Duration::ZERO;
        let mut batches = 0u64;
        let mut graph = GraphLoad::default();
        for b in rx {
            // Event time moves with the simulated history, so log windows are realistic.
            clock.set(b.store_at);
            let t = Instant::now();
            let ids = db
                .store_batch(b.memories)
                .with_context(|| format!("storing batch {batches}"))?;
            stored += t.elapsed();
            let t = Instant::now();
            for (i, mut fact) in b.facts {
                fact.memory = ids.get(i).map(|id| id.0);
                let added = db
                    .add_triple(fact)
                    .with_context(|| format!("adding a fact of batch {batches}"))?;
                graph.triples += 1;
                graph.created += added.created.len() as u64;
                graph.superseded += added.closed.len() as u64;
            }
            graph.time += t.elapsed();
            batches += 1;
        }
        let (useful, entities) = producer
            .join()
            .map_err(|_| anyhow::anyhow!("the generator thread panicked"))?;
        graph.entities = entities;
        Ok((useful, batches, stored, graph))
    })
}

/// The median of a non-empty list (0 when empty).
pub fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}
