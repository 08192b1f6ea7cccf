//! Criterion benches of the vector arena: the scan kernels (Hamming over sign codes, f32 dot via
//! simsimd vs a plain loop) and search over N clustered 384-d unit vectors
//! (MEMSPINE_BENCH_N, default 100 000): global (quantized + rescore) and a 10K-slot subset
//! (exact: int8 scan with error bounds + f32 rescoring, beside a plain f32 scan). A separate timed loop prints p50/p95/p99 and recall@10 against exact f32 search.
//!
//! Run: `MEMSPINE_BENCH_N=1000000 cargo bench -p memspine-benches --bench vector`.

#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use memspine_index::group::Int8Group;
use memspine_index::{kernels, Arena, Hit, SearchOptions, Snapshot};
use roaring::RoaringBitmap;

const DIM: usize = 384;
const QUERIES: usize = 200;
const SUBSET: u32 = 10_000;

/// SplitMix64 with a cheap near-normal draw (sum of four 16-bit uniforms).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn normal(&mut self) -> f32 {
        let r = self.next();
        let s: u64 = (0..4).map(|k| (r >> (16 * k)) & 0xFFFF).sum();
        (s as f32 - 2.0 * 65_535.5) / (65_536.0 * (1.0f32 / 3.0).sqrt())
    }
}

fn normalise(v: &mut [f32]) {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.iter_mut().for_each(|x| *x /= n);
}

/// Mixture of Gaussians around random unit centres, as the load harness's workload: N / 200
/// clusters (64..=2048), cosine to the centre ≈ 0.78.
struct Clusters {
    centres: Vec<Vec<f32>>,
    rng: Rng,
}

impl Clusters {
    fn new(n: usize) -> Self {
        let mut rng = Rng(0x5EED);
        let centres = (0..(n / 200).clamp(64, 2048))
            .map(|_| {
                let mut c: Vec<f32> = (0..DIM).map(|_| rng.normal()).collect();
                normalise(&mut c);
                c
            })
            .collect();
        Clusters { centres, rng }
    }

    fn sample(&mut self) -> Vec<f32> {
        let c = &self.centres[(self.rng.next() % self.centres.len() as u64) as usize];
        let sigma = 0.8 / (DIM as f32).sqrt();
        let mut v: Vec<f32> = c.iter().map(|m| m + self.rng.normal() * sigma).collect();
        normalise(&mut v);
        v
    }
}

fn bench_n() -> usize {
    std::env::var("MEMSPINE_BENCH_N")
        .ok()
        .and_then(|s| s.replace('_', "").parse().ok())
        .unwrap_or(100_000)
}

fn kernels(c: &mut Criterion) {
    let mut clusters = Clusters::new(100_000);
    let (a, b) = (clusters.sample(), clusters.sample());
    let mut g = c.benchmark_group("kernels");
    g.bench_function("dot_f32_384_simsimd", |bch| {
        bch.iter(|| kernels::dot_simsimd(black_box(&a), black_box(&b)))
    });
    g.bench_function("dot_f32_384_dispatched", |bch| {
        bch.iter(|| kernels::dot(black_box(&a), black_box(&b)))
    });
    g.bench_function("dot_f32_384_plain", |bch| {
        bch.iter(|| kernels::dot_plain(black_box(&a), black_box(&b)))
    });
    let b8: Vec<u8> = b
        .iter()
        .map(|x| ((x * 600.0).round() as i8) as u8)
        .collect();
    g.bench_function("dot_i8_384_dispatched", |bch| {
        bch.iter(|| kernels::dot_i8(black_box(&a), black_box(&b8)))
    });
    let a16: Vec<i16> = a.iter().map(|x| (x * 100_000.0).round() as i16).collect();
    g.bench_function("dot_i8_i16_384_dispatched", |bch| {
        bch.iter(|| kernels::dot_i8_i16(black_box(&a16), black_box(&b8)))
    });
    let n = 100_000;
    let words = DIM / 64;
    let mut codes = vec![0u64; n * words];
    for chunk in codes.chunks_mut(words) {
        kernels::sign_code(&clusters.sample(), chunk);
    }
    let mut q = vec![0u64; words];
    kernels::sign_code(&a, &mut q);
    let mut out = vec![0u16; n];
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("hamming_384_x100k", |bch| {
        bch.iter(|| kernels::hamming_many(black_box(&codes), &q, &mut out))
    });
    g.finish();
}

struct Fixture {
    _dir: tempfile::TempDir,
    snap: Snapshot,
    all: RoaringBitmap,
    subset: RoaringBitmap,
    queries: Vec<Vec<f32>>,
}

fn fixture() -> Fixture {
    let n = bench_n();
    let mut clusters = Clusters::new(n);
    let dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let mut arena = Arena::create(dir.path(), DIM as u32).unwrap();
    for _ in 0..n.div_ceil(10_000) {
        let batch: Vec<Vec<f32>> = (0..10_000).map(|_| clusters.sample()).collect();
        arena
            .push_many(batch.iter().map(|v| Some(v.as_slice())))
            .unwrap();
    }
    arena.sync(false).unwrap();
    arena.publish().unwrap();
    let snap = arena.snapshot();
    eprintln!("vector: built {} slots in {:?}", snap.len(), t.elapsed());
    let all: RoaringBitmap = (0..snap.len()).collect();
    let mut rng = Rng(77);
    let mut subset = RoaringBitmap::new();
    while subset.len() < u64::from(SUBSET.min(snap.len() - 1)) {
        subset.insert(1 + (rng.next() % u64::from(snap.len() - 1)) as u32);
    }
    let queries = (0..QUERIES).map(|_| clusters.sample()).collect();
    Fixture {
        _dir: dir,
        snap,
        all,
        subset,
        queries,
    }
}

fn percentiles(name: &str, mut samples: Vec<Duration>, recall: f64) {
    samples.sort();
    let at = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
    eprintln!(
        "{name:<32} p50 {:>9.3?} p95 {:>9.3?} p99 {:>9.3?} recall@10 {recall:.4}",
        at(0.50),
        at(0.95),
        at(0.99)
    );
}

/// Times every query with `opts` and measures recall@10 against exact search.
fn timed(name: &str, f: &Fixture, cands: &RoaringBitmap, opts: &SearchOptions) {
    timed_with(name, f, cands, |q| {
        f.snap.search(q, 10, cands, opts).unwrap()
    });
}

/// Times `search` on every query (back to back, as a caller issuing queries would), then
/// measures recall@10 against exact search of `cands` (separately, so that the exact scans do
/// not evict what the timed searches use).
fn timed_with(name: &str, f: &Fixture, cands: &RoaringBitmap, search: impl Fn(&[f32]) -> Vec<Hit>) {
    let mut samples = Vec::with_capacity(f.queries.len());
    let mut results = Vec::with_capacity(f.queries.len());
    for q in &f.queries {
        let t = Instant::now();
        let got = search(q);
        samples.push(t.elapsed());
        results.push(got);
    }
    let (mut found, mut total) = (0usize, 0usize);
    for (q, got) in f.queries.iter().zip(&results) {
        let truth = f
            .snap
            .search(q, 10, cands, &SearchOptions::exact())
            .unwrap();
        total += truth.len();
        found += got
            .iter()
            .filter(|h| truth.iter().any(|t| t.slot == h.slot))
            .count();
    }
    percentiles(name, samples, found as f64 / total.max(1) as f64);
}

fn search(c: &mut Criterion) {
    let f = fixture();
    let n = f.snap.len() - 1;
    let default = SearchOptions::default();
    // Warm the page cache and the maps once.
    for q in f.queries.iter().take(5) {
        f.snap.search(q, 10, &f.all, &default).unwrap();
    }
    timed(
        &format!("global {n} (1-bit + rescore)"),
        &f,
        &f.all,
        &default,
    );
    for pool in [256, 512, 2048] {
        let opts = SearchOptions {
            pool,
            ..SearchOptions::default()
        };
        timed(&format!("global {n} pool {pool}"), &f, &f.all, &opts);
    }
    timed(
        &format!("subset {SUBSET} of {n} (int8+bound)"),
        &f,
        &f.subset,
        &default,
    );
    // The same subset as a scope whose int8 records were copied side by side (what the engine
    // keeps for a frequently searched user), then half of it (the scope and another filter).
    let t = Instant::now();
    let group = Int8Group::build(&f.snap, &f.subset);
    eprintln!(
        "vector: scope copy of {} slots ({} bytes) in {:?}",
        group.len(),
        group.bytes(),
        t.elapsed()
    );
    timed_with(
        &format!("subset {SUBSET} of {n} (scope copy)"),
        &f,
        &f.subset,
        |q| {
            f.snap
                .search_grouped(q, 10, &f.subset, &group, &default)
                .unwrap()
        },
    );
    let half: RoaringBitmap = f.subset.iter().step_by(2).collect();
    timed_with("half of that scope (scope copy)", &f, &half, |q| {
        f.snap
            .search_grouped(q, 10, &half, &group, &default)
            .unwrap()
    });
    timed(
        &format!("subset {SUBSET} of {n} (f32 scan)"),
        &f,
        &f.subset,
        &SearchOptions::exact(),
    );
    let mut g = c.benchmark_group("vector_search");
    g.sample_size(20);
    let mut i = 0;
    g.bench_function(format!("global_{n}"), |b| {
        b.iter(|| {
            i = (i + 1) % f.queries.len();
            f.snap.search(&f.queries[i], 10, &f.all, &default).unwrap()
        })
    });
    g.bench_function(format!("subset_{SUBSET}_of_{n}"), |b| {
        b.iter(|| {
            i = (i + 1) % f.queries.len();
            f.snap
                .search(&f.queries[i], 10, &f.subset, &default)
                .unwrap()
        })
    });
    g.bench_function(format!("subset_{SUBSET}_of_{n}_scope_copy"), |b| {
        b.iter(|| {
            i = (i + 1) % f.queries.len();
            f.snap
                .search_grouped(&f.queries[i], 10, &f.subset, &group, &default)
                .unwrap()
        })
    });
    g.sample_size(10);
    g.bench_function(format!("global_{n}_exact"), |b| {
        b.iter(|| {
            i = (i + 1) % f.queries.len();
            f.snap
                .search(&f.queries[i], 10, &f.all, &SearchOptions::exact())
                .unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, kernels, search);
criterion_main!(benches);
