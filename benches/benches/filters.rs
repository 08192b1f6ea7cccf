//! Criterion benches of the roaring-bitmap filters (`Spine::filter_ids`) over a database of N
//! memories (MEMSPINE_BENCH_N, default 200 000) spread over 90 days: 1 000 users (user u0 holds
//! ~5 %), sessions of ~40 memories, 20 tags, 4 kinds, 1 % pinned. Each filter is a bitmap
//! expression over the stored scope/tag/kind/pinned/time-bucket bitmaps, evaluated in one read
//! transaction; the figure includes loading the bitmaps from redb and returning the ids.
//! Percentiles (p50/p95/p99) come from a separate timed loop.
//!
//! Run: `MEMSPINE_BENCH_N=1000000 cargo bench -p memspine-benches --bench filters`.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use memspine::{Durability, EmbedderChoice, Filter, ManualClock, NewMemory, Options, Spine};

const T0: u64 = 1_767_225_600_000_000;
const HOUR: u64 = 3_600_000_000;
const DAY: u64 = 24 * HOUR;
const KINDS: [&str; 4] = ["interaction", "fact", "user_query", "assistant_response"];

fn memory(i: u64) -> NewMemory {
    let user = if i.is_multiple_of(20) {
        0
    } else {
        (i * 7919) % 1000
    };
    NewMemory::new(format!(
        "memory {i} about order {} and ticket {}",
        i % 977,
        i % 131
    ))
    .user(format!("u{user}"))
    .session(format!("s{}", i / 40))
    .agent(format!("a{}", i % 3))
    .tag(format!("t{}", i % 20))
    .tag(format!("t{}", (i / 3) % 20))
    .kind(KINDS[(i % 4) as usize])
    .pinned(i.is_multiple_of(100))
}

fn percentiles(name: &str, mut samples: Vec<Duration>, hits: usize) {
    samples.sort();
    let p = |q: f64| samples[((samples.len() as f64 - 1.0) * q) as usize];
    eprintln!(
        "{name} [{hits} ids]: n={} p50={:?} p95={:?} p99={:?}",
        samples.len(),
        p(0.50),
        p(0.95),
        p(0.99)
    );
}

fn bench_filters(c: &mut Criterion) {
    let n: u64 = std::env::var("MEMSPINE_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0);
    let opts = Options {
        clock: Arc::new(clock.clone()),
        durability: Durability::None,
        embedder: EmbedderChoice::None,
        ..Options::default()
    };
    let db = Spine::open(dir.path().join("db"), opts).unwrap();
    let span = 90 * DAY;
    let t = Instant::now();
    for start in (0..n).step_by(1000) {
        let batch = (start..(start + 1000).min(n))
            .map(|i| memory(i).created_at(T0 + i * (span / n)))
            .collect();
        db.store_batch(batch).unwrap();
    }
    clock.set(T0 + span);
    eprintln!("loaded {n} memories in {:?}", t.elapsed());

    let now = T0 + span;
    let cases: Vec<(&str, Filter)> = vec![
        ("user_light", Filter::user("u7")),
        ("user_heavy", Filter::user("u0")),
        (
            "user_session",
            Filter {
                session: Some(format!("s{}", (n / 2) / 40)),
                ..Filter::user("u0")
            },
        ),
        (
            "user_tag",
            Filter {
                tags: vec!["t3".into()],
                ..Filter::user("u7")
            },
        ),
        (
            "tag_global",
            Filter {
                tags: vec!["t3".into()],
                ..Filter::default()
            },
        ),
        (
            "kind_pinned",
            Filter {
                kind: Some("fact".into()),
                pinned: Some(true),
                ..Filter::default()
            },
        ),
        (
            "last_7_days",
            Filter {
                created_after: Some(now - 7 * DAY),
                ..Filter::default()
            },
        ),
        (
            "36h_window_partial_hours",
            Filter {
                created_after: Some(now - 40 * DAY - 90 * 60_000_000),
                created_before: Some(now - 38 * DAY - 30 * 60_000_000),
                ..Filter::default()
            },
        ),
        (
            "user_last_7_days",
            Filter {
                created_after: Some(now - 7 * DAY),
                ..Filter::user("u7")
            },
        ),
    ];
    let mut g = c.benchmark_group("filter_ids");
    for (name, f) in &cases {
        let hits = db.filter_ids(f).unwrap().len();
        let samples = (0..1000)
            .map(|_| {
                let t = Instant::now();
                db.filter_ids(f).unwrap();
                t.elapsed()
            })
            .collect();
        percentiles(name, samples, hits);
        g.bench_function(*name, |b| b.iter(|| db.filter_ids(f).unwrap()));
    }
    g.finish();
}

criterion_group!(benches, bench_filters);
criterion_main!(benches);
