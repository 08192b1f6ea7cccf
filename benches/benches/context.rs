//! Criterion benches of the context window: selection (`select_memories`: semantic, lexical,
//! recent, pinned and graph candidates, scored), the packing stage alone
//! (`context::pack_candidates` on those candidates), the token estimator, and the whole
//! `llm_context_window`, at budgets of 2 000 and 8 000 tokens. The database holds N memories
//! (MEMSPINE_BENCH_N, default 20 000) from 200 users embedded by the built-in embedder; the
//! window is built for user u0, who holds ~10 % of them, 2 % pinned. Percentiles
//! (p50/p95/p99) come from a separate timed loop.
//!
//! Run: `cargo bench -p memspine-benches --bench context`.

#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use memspine::context::{pack_candidates, tokens::Estimator, tokens::TokenCounter};
use memspine::{ContextOptions, Durability, Filter, ManualClock, NewMemory, Options, Spine};

const T0: u64 = 1_767_225_600_000_000;
const MINUTE: u64 = 60_000_000;
const TOPICS: [&str; 8] = [
    "the refund for a double charge on the credit card",
    "a login problem after the password reset email expired",
    "the delivery of the replacement laptop to the new address",
    "upgrading the subscription plan to the annual tier",
    "a broken zipper on the winter jacket and the warranty",
    "moving the dentist appointment to next Tuesday morning",
    "the invoice missing the company VAT number",
    "the tracking number that shows no movement since Monday",
];

fn memory(i: u64) -> NewMemory {
    let user = if i.is_multiple_of(10) { 0 } else { i % 200 };
    let topic = TOPICS[((i / 7) % 8) as usize];
    let text = match i % 3 {
        0 => format!("User asked about {topic} (ticket {i})."),
        1 => format!(
            "Agent explained the next step for {topic}; case {} updated.",
            i % 503
        ),
        _ => format!("Note: customer prefers email; follow up on {topic} within 2 days."),
    };
    NewMemory::new(text)
        .user(format!("u{user}"))
        .session(format!("s{}", i / 30))
        .tag(if i.is_multiple_of(2) {
            "support"
        } else {
            "billing"
        })
        .importance(((i * 37) % 100) as f32 / 100.0)
        .pinned(user == 0 && i.is_multiple_of(500))
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

fn timed(name: &str, runs: usize, mut f: impl FnMut()) {
    let samples = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    percentiles(name, samples);
}

fn bench_context(c: &mut Criterion) {
    let n: u64 = std::env::var("MEMSPINE_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0);
    let opts = Options {
        clock: Arc::new(clock.clone()),
        durability: Durability::None,
        ..Options::default()
    };
    let db = Spine::open(dir.path().join("db"), opts).unwrap();
    let t = Instant::now();
    for start in (0..n).step_by(1000) {
        let batch = (start..(start + 1000).min(n))
            .map(|i| memory(i).created_at(T0 + i * MINUTE))
            .collect();
        db.store_batch(batch).unwrap();
    }
    clock.set(T0 + n * MINUTE);
    eprintln!("loaded {n} memories (embedded) in {:?}", t.elapsed());

    let query = "What did the customer say about being charged twice on her card?";
    let opts = ContextOptions {
        filter: Filter::user("u0"),
        track_access: false,
        ..ContextOptions::default()
    };
    let cands = db.select_memories(query, &opts).unwrap();
    eprintln!("{} candidates for u0", cands.len());
    let lines: Vec<String> = cands.iter().map(|c| c.memory.content.clone()).collect();

    timed("select_memories", 500, || {
        db.select_memories(query, &opts).unwrap();
    });
    let mut g = c.benchmark_group("context");
    g.bench_function("select_memories", |b| {
        b.iter(|| db.select_memories(query, &opts).unwrap())
    });
    g.bench_function("estimator_count_candidates", |b| {
        b.iter(|| {
            lines
                .iter()
                .map(|l| Estimator.count(black_box(l)))
                .sum::<usize>()
        })
    });
    for budget in [2_000usize, 8_000] {
        timed(&format!("pack_candidates({budget})"), 500, || {
            pack_candidates(cands.clone(), budget, &Estimator);
        });
        timed(&format!("llm_context_window({budget})"), 500, || {
            db.llm_context_window(query, budget, &opts).unwrap();
        });
        g.bench_function(format!("pack_{budget}"), |b| {
            b.iter_batched(
                || cands.clone(),
                |cs| pack_candidates(cs, budget, &Estimator),
                BatchSize::SmallInput,
            )
        });
        g.bench_function(format!("window_{budget}"), |b| {
            b.iter(|| db.llm_context_window(query, budget, &opts).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, bench_context);
criterion_main!(benches);
