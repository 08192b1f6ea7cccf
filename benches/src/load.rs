//! Loading the workload: batched ingest with `Durability::None`, a close that makes it durable,
//! then reopening (timed) and measuring what the database weighs on disk.

use std::path::Path;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use memspine::{Durability, ManualClock, Options, Spine};
use serde::Serialize;

use crate::workload::{Batch, Generator, Useful, Workload, T0};

/// Opens measured after the load; the median is reported (the first open is in the list too).
const OPENS: usize = 3;

/// What loading measured.
#[derive(Debug, Clone, Serialize)]
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
}

/// Loads `w` into a new database at `dir` and returns it reopened for queries.
pub fn load(w: &Workload, dir: &Path) -> Result<(Spine, LoadReport)> {
    let clock = ManualClock::new(T0);
    let db = Spine::open(dir, options(w, &clock, Durability::None))
        .with_context(|| format!("creating the database at {}", dir.display()))?;
    let wall = Instant::now();
    let (useful, batches, stored) = ingest(w, &db, &clock)?;
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
    };
    Ok((db, report))
}

fn options(w: &Workload, clock: &ManualClock, durability: Durability) -> Options {
    Options {
        durability,
        clock: Arc::new(clock.clone()),
        dimension: (w.shape.dim > 0).then_some(w.shape.dim),
        ..Options::default()
    }
}

/// Stores every batch, generating the next ones on another thread meanwhile. Returns the useful
/// bytes, the number of batches and the time spent inside `store_batch`.
fn ingest(w: &Workload, db: &Spine, clock: &ManualClock) -> Result<(Useful, u64, Duration)> {
    std::thread::scope(|s| {
        let (tx, rx) = mpsc::sync_channel::<Batch>(4);
        let producer = s.spawn(move || {
            let mut g = Generator::new(w);
            while let Some(b) = g.next_batch() {
                if tx.send(b).is_err() {
                    break; // the consumer failed and hung up
                }
            }
            g.useful
        });
        let mut stored = Duration::ZERO;
        let mut batches = 0u64;
        for b in rx {
            // Event time moves with the simulated history, so log windows are realistic.
            clock.set(b.store_at);
            let t = Instant::now();
            db.store_batch(b.memories)
                .with_context(|| format!("storing batch {batches}"))?;
            stored += t.elapsed();
            batches += 1;
        }
        let useful = producer
            .join()
            .map_err(|_| anyhow::anyhow!("the generator thread panicked"))?;
        Ok((useful, batches, stored))
    })
}

/// The median of a non-empty list (0 when empty).
pub fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}
