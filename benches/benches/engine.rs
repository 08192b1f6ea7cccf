//! Criterion benches of the engine's foundation: durable single store, batched ingest, get,
//! recent, and query_recent over a log of N events (MEMSPINE_BENCH_EVENTS, default 1 000 000).
//!
//! Run: `cargo bench -p memspine-benches --bench engine`. Percentiles (p50/p95/p99) are printed
//! from a separate timed loop because criterion reports means and confidence intervals.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use memspine::{Durability, ManualClock, MemoryId, NewMemory, Options, Spine};

const T0: u64 = 1_767_225_600_000_000;

fn memory(i: u64) -> NewMemory {
    NewMemory::new(format!(
        "User {} asked about order #{} and the delivery window for session {}; agent replied with tracking info.",
        i % 1000,
        i,
        i % 5000
    ))
    .user(format!("u{}", i % 1000))
    .session(format!("s{}", i % 5000))
    .tag(if i.is_multiple_of(3) { "billing" } else { "shipping" })
    .kind("interaction")
}

fn percentiles(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let p = |q: f64| samples[((samples.len() as f64 - 1.0) * q) as usize];
    eprintln!(
        "{name}: n={} p50={:?} p95={:?} p99={:?}",
        samples.len(),
        p(0.50),
        p(0.95),
        p(0.99)
    );
}

fn bench_store(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let db = Spine::open(dir.path().join("db"), Options::default()).unwrap();
    let mut i = 0u64;
    let samples: Vec<Duration> = (0..2000)
        .map(|_| {
            i += 1;
            let t = Instant::now();
            db.store(memory(i)).unwrap();
            t.elapsed()
        })
        .collect();
    percentiles("store (single, durable)", samples);
    c.bench_function("store/single_durable", |b| {
        b.iter(|| {
            i += 1;
            db.store(memory(i)).unwrap()
        })
    });
    let mut g = c.benchmark_group("store");
    g.throughput(Throughput::Elements(10_000));
    g.sample_size(10);
    g.bench_function("batch_10k_durable", |b| {
        b.iter_batched(
            || (0..10_000).map(|k| memory(i + k)).collect::<Vec<_>>(),
            |batch| db.store_batch(batch).unwrap(),
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

/// A database with `n` memories (so ≥ n events), one every ~8 s over months.
fn big_db(n: u64) -> (tempfile::TempDir, Spine, ManualClock) {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0);
    let opts = Options {
        clock: Arc::new(clock.clone()),
        durability: Durability::None,
        ..Options::default()
    };
    let db = Spine::open(dir.path().join("db"), opts).unwrap();
    let t = Instant::now();
    // Batches of 100 with the clock moving between them: ~450 events per hour, like a busy agent.
    let step = 100u64;
    for start in (0..n).step_by(step as usize) {
        clock.set(T0 + start * 8_000_000);
        let batch = (start..(start + step).min(n)).map(memory).collect();
        db.store_batch(batch).unwrap();
    }
    let rate = n as f64 / t.elapsed().as_secs_f64();
    eprintln!(
        "ingest: {n} memories in {:?} ({rate:.0}/s, batches of {step}, no embedding)",
        t.elapsed()
    );
    (dir, db, clock)
}

fn bench_reads(c: &mut Criterion) {
    let n: u64 = std::env::var("MEMSPINE_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let (_dir, db, _clock) = big_db(n);
    let mut k = 0u64;
    let samples = (0..5000)
        .map(|_| {
            k = (k * 6364136223846793005 + 1442695040888963407) % n + 1;
            let t = Instant::now();
            db.get(MemoryId(k)).unwrap();
            t.elapsed()
        })
        .collect();
    percentiles("get", samples);
    c.bench_function("get", |b| {
        b.iter(|| {
            k = (k * 6364136223846793005 + 1442695040888963407) % n + 1;
            db.get(MemoryId(k)).unwrap()
        })
    });
    let samples = (0..2000)
        .map(|_| {
            let t = Instant::now();
            db.recent(20).unwrap();
            t.elapsed()
        })
        .collect();
    percentiles("recent(20)", samples);
    c.bench_function("recent_20", |b| b.iter(|| db.recent(20).unwrap()));
    for hours in [1.0, 24.0] {
        let samples = (0..2000)
            .map(|_| {
                let t = Instant::now();
                db.query_recent(hours, Some("memory.stored")).unwrap();
                t.elapsed()
            })
            .collect();
        let got = db.query_recent(hours, Some("memory.stored")).unwrap().len();
        percentiles(
            &format!("query_recent({hours}h) [{got} events of {n}]"),
            samples,
        );
        c.bench_function(&format!("query_recent_{hours}h"), |b| {
            b.iter(|| db.query_recent(hours, Some("memory.stored")).unwrap())
        });
    }
}

criterion_group!(benches, bench_store, bench_reads);
criterion_main!(benches);
