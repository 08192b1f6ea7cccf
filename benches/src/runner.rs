//! Runs one operation from C threads for a fixed time and summarises the latencies.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::ops::{OpCtx, OpSpec};
use crate::rng::Rng;

/// Upper bound on samples per thread, so a very fast operation cannot exhaust memory.
const MAX_SAMPLES: usize = 2_000_000;

/// How to run each operation.
#[derive(Debug, Clone, Copy)]
pub struct RunSpec {
    /// Concurrent threads.
    pub threads: usize,
    /// Measured time per operation (after the warm-up).
    pub duration: Duration,
    /// Seed of the query streams.
    pub seed: u64,
    /// Label of the phase ("idle", "compacting").
    pub phase: &'static str,
}

/// Latency summary of one operation.
#[derive(Debug, Clone, Serialize)]
pub struct OpReport {
    /// Operation name.
    pub name: String,
    /// What it calls.
    pub about: String,
    /// "idle" or "compacting".
    pub phase: String,
    /// Threads that ran it.
    pub threads: usize,
    /// Measured calls (errors excluded).
    pub calls: u64,
    /// Failed calls.
    pub errors: u64,
    /// The first error, if any.
    pub first_error: Option<String>,
    /// Latency percentiles and mean, in ms.
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Largest observed.
    pub max_ms: f64,
    /// Mean.
    pub mean_ms: f64,
    /// Completed calls per second over all threads.
    pub throughput: f64,
    /// Mean results per call (0 means the query found nothing: a broken workload). Graph
    /// reads: entities.
    pub mean_results: f64,
    /// Graph reads: mean relations per call.
    pub mean_relations: Option<f64>,
    /// For a mix: each variant's figures (same percentiles).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<VariantReport>,
    /// The article's p95 for the comparable store, ms.
    pub article_p95_ms: Option<f64>,
    /// Our target p95, ms.
    pub target_p95_ms: Option<f64>,
}

/// One variant of a mix.
#[derive(Debug, Clone, Serialize)]
pub struct VariantReport {
    /// Its label (e.g. the query template).
    pub label: String,
    /// Measured calls.
    pub calls: u64,
    /// Median latency, ms.
    pub p50_ms: f64,
    /// 95th percentile, ms.
    pub p95_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// Mean results per call.
    pub mean_results: f64,
}

/// What one thread measured.
#[derive(Default)]
struct ThreadSamples {
    nanos: Vec<u64>,
    results: u64,
    relations: Option<u64>,
    /// Per variant: latencies and result count.
    by_variant: Vec<(Vec<u64>, u64)>,
    /// Seconds of the measured loop.
    secs: f64,
    errors: u64,
    first_error: Option<String>,
}

/// Runs every operation in turn, printing progress to stderr.
pub fn run_all(cx: &OpCtx, ops: &[OpSpec], spec: &RunSpec) -> Vec<OpReport> {
    ops.iter()
        .enumerate()
        .map(|(i, op)| {
            let r = run(cx, op, spec, i as u64);
            eprintln!(
                "  [{}] {:<24} p95 {:.3} ms, {:.0} ops/s",
                spec.phase, r.name, r.p95_ms, r.throughput
            );
            r
        })
        .collect()
}

/// Runs `op` on `spec.threads` threads for `spec.duration` each and summarises.
pub fn run(cx: &OpCtx, op: &OpSpec, spec: &RunSpec, op_index: u64) -> OpReport {
    let threads = spec.threads.max(1);
    let per_thread: Vec<ThreadSamples> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let mut rng = Rng::derive(spec.seed, op_index << 16 | t as u64);
                s.spawn(move || one_thread(cx, op, spec.duration, &mut rng))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    summarise(op, spec, threads, per_thread)
}

fn one_thread(cx: &OpCtx, op: &OpSpec, duration: Duration, rng: &mut Rng) -> ThreadSamples {
    let mut out = ThreadSamples::default();
    // Warm-up: caches, page cache and lazily built structures, not measured. The scope copies
    // and the graph copy that the warm-up's calls asked for are built in the background; they
    // are waited for, so that their builds (a one-off after open, docs/benchmarks.md) do not
    // share the measured seconds' CPU with the calls.
    let warm = Instant::now() + (duration / 10).min(Duration::from_millis(300));
    while Instant::now() < warm {
        let _ = (op.run)(cx, rng);
    }
    cx.db.wait_for_scope_copies();
    cx.db.wait_for_graph_copy();
    let begin = Instant::now();
    let end = begin + duration;
    while Instant::now() < end && out.nanos.len() < MAX_SAMPLES {
        let t = Instant::now();
        let r = (op.run)(cx, rng);
        let dt = t.elapsed().as_nanos() as u64;
        match r {
            Ok(n) => {
                out.nanos.push(dt);
                out.results += n.results as u64;
                if let Some(r) = n.relations {
                    *out.relations.get_or_insert(0) += r as u64;
                }
                if let Some(k) = n.variant.filter(|&k| k < op.variants.len()) {
                    if out.by_variant.len() < op.variants.len() {
                        out.by_variant.resize(op.variants.len(), (Vec::new(), 0));
                    }
                    out.by_variant[k].0.push(dt);
                    out.by_variant[k].1 += n.results as u64;
                }
            }
            Err(e) => {
                out.errors += 1;
                out.first_error.get_or_insert_with(|| format!("{e:#}"));
            }
        }
    }
    out.secs = begin.elapsed().as_secs_f64();
    out
}

fn summarise(
    op: &OpSpec,
    spec: &RunSpec,
    threads: usize,
    per_thread: Vec<ThreadSamples>,
) -> OpReport {
    let mut nanos = Vec::new();
    let (mut results, mut errors, mut first_error) = (0u64, 0u64, None);
    let mut relations: Option<u64> = None;
    let mut by_variant: Vec<(Vec<u64>, u64)> = vec![(Vec::new(), 0); op.variants.len()];
    let mut throughput = 0.0;
    for t in per_thread {
        throughput += t.nanos.len() as f64 / t.secs.max(1e-9);
        nanos.extend(t.nanos);
        results += t.results;
        if let Some(r) = t.relations {
            *relations.get_or_insert(0) += r;
        }
        for (acc, (ns, res)) in by_variant.iter_mut().zip(t.by_variant) {
            acc.0.extend(ns);
            acc.1 += res;
        }
        errors += t.errors;
        first_error = first_error.or(t.first_error);
    }
    nanos.sort_unstable();
    let calls = nanos.len() as u64;
    let ms = |q: f64| percentile(&nanos, q) as f64 / 1e6;
    let mean = nanos.iter().map(|&n| n as f64).sum::<f64>() / calls.max(1) as f64 / 1e6;
    OpReport {
        name: op.name.to_owned(),
        about: op.about.to_owned(),
        phase: spec.phase.to_owned(),
        threads,
        calls,
        errors,
        first_error,
        p50_ms: ms(0.50),
        p95_ms: ms(0.95),
        p99_ms: ms(0.99),
        max_ms: nanos.last().copied().unwrap_or(0) as f64 / 1e6,
        mean_ms: mean,
        throughput,
        mean_results: results as f64 / calls.max(1) as f64,
        mean_relations: relations.map(|r| r as f64 / calls.max(1) as f64),
        variants: op
            .variants
            .iter()
            .zip(by_variant)
            .map(|(label, (mut ns, res))| {
                ns.sort_unstable();
                let ms = |q: f64| percentile(&ns, q) as f64 / 1e6;
                VariantReport {
                    label: (*label).to_owned(),
                    calls: ns.len() as u64,
                    p50_ms: ms(0.50),
                    p95_ms: ms(0.95),
                    p99_ms: ms(0.99),
                    mean_results: res as f64 / ns.len().max(1) as f64,
                }
            })
            .collect(),
        article_p95_ms: op.article.map(|a| a.p95_ms()),
        target_p95_ms: op.target_p95_ms,
    }
}

/// Nearest-rank percentile of sorted samples (0 when empty).
pub fn percentile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted
        .get(rank.saturating_sub(1).min(sorted.len() - 1))
        .copied()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 0.5), 50);
        assert_eq!(percentile(&v, 0.95), 95);
        assert_eq!(percentile(&v, 0.99), 99);
        assert_eq!(percentile(&v, 1.0), 100);
        assert_eq!(percentile(&[], 0.5), 0);
        assert_eq!(percentile(&[7], 0.99), 7);
    }
}
