//! Criterion benches of the query language: parse + plan + execute of typical queries against
//! the in-memory `MemoryIndex` over N memories (MEMSPINE_BENCH_MEMORIES, default 1 000 000),
//! plus parse alone. Percentiles (p50/p95/p99) come from a separate timed loop, because
//! criterion reports means and confidence intervals. This measures the planner and the bitmap
//! algebra alone; the target (p95 <= 1 ms for indexed predicates on 1M memories) is
//! measured on a real database by the harness's `dsl_indexed` and `dsl` operations
//! (`memspine-bench --preset 1m`, docs/benchmarks.md).
//!
//! Run: `cargo bench -p memspine-benches --bench dsl`.

#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use memspine::query::{parse, plan, MemoryFacts, MemoryIndex, Tier};

const T0: u64 = 1_767_225_600_000_000;
const SEC: u64 = 1_000_000;
const DAY: u64 = 86_400 * SEC;
const WORDS: [&str; 16] = [
    "order", "refund", "delivery", "invoice", "password", "login", "billing", "shipping",
    "address", "email", "phone", "tracking", "discount", "warranty", "return", "account",
];

/// Memory `i` of `n`: created every 8.64 s over 100 days (ids increase with time), 1 000
/// users, sessions of ~50 memories, 50 tags, 5 kinds, 1 % pinned, 5 % archived.
fn facts(i: u64, n: u64) -> MemoryFacts {
    let created = T0 + i * (100 * DAY / n);
    let now = T0 + 100 * DAY;
    let w = |k: u64| WORDS[((i * 31 + k * 17) % 16) as usize];
    MemoryFacts {
        id: i,
        created,
        updated: created + (i % 7) * SEC,
        accessed: i.is_multiple_of(4).then_some(created + DAY),
        pinned: i.is_multiple_of(100),
        archived: i.is_multiple_of(20),
        tags: vec![format!("t{}", i % 50), format!("t{}", (i / 7) % 50)],
        user: Some(format!("u{}", (i * 7919) % 1000)),
        session: Some(format!("s{}", i / 50)),
        agent: Some(format!("a{}", i % 3)),
        kind: [
            "interaction",
            "fact",
            "user_query",
            "assistant_response",
            "consolidated",
        ][(i % 5) as usize]
            .to_string(),
        tier: if now - created < 7 * DAY {
            Tier::ShortTerm
        } else {
            Tier::LongTerm
        },
        importance: ((i * 7919) % 1000) as f32 / 1000.0,
        text: format!("{} {} {}", w(0), w(1), w(2)),
    }
}

/// Typical queries: scopes, tags, the article's decay query, time windows, text.
const QUERIES: &[(&str, &str)] = &[
    ("tag_and_user", "tag:t7 AND user:u42"),
    ("article_decay", "created_before:30d AND NOT pinned:true"),
    (
        "or_tags_recent_live",
        "(tag:t1 OR tag:t2) AND created_after:7d AND NOT archived:true",
    ),
    ("user_session", "user:u7 AND session:s123"),
    (
        "kind_recent_important",
        "kind:fact AND created_after:2d AND importance>=0.8",
    ),
    ("text_and_tag", "text:\"refund delivery\" AND tag:t3"),
    (
        "window_not_tags",
        "created_after:60d AND created_before:30d AND NOT (tag:t1 OR tag:t2)",
    ),
];

fn percentiles(name: &str, mut samples: Vec<Duration>, hits: u64) {
    samples.sort();
    let p = |q: f64| samples[((samples.len() as f64 - 1.0) * q) as usize];
    eprintln!(
        "{name:<24} hits={hits:<8} p50={:>9.1?} p95={:>9.1?} p99={:>9.1?}",
        p(0.50),
        p(0.95),
        p(0.99)
    );
}

fn dsl(c: &mut Criterion) {
    let n: u64 = std::env::var("MEMSPINE_BENCH_MEMORIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let t = Instant::now();
    let index = MemoryIndex::build((1..=n).map(|i| facts(i, n))).unwrap();
    eprintln!("built MemoryIndex of {n} memories in {:?}", t.elapsed());
    let now = T0 + 100 * DAY;
    let run = |q: &str| {
        plan(&parse(q).unwrap(), now)
            .unwrap()
            .execute(&index)
            .unwrap()
    };

    for (name, q) in QUERIES {
        let hits = run(q).len();
        let samples = (0..500)
            .map(|_| {
                let t = Instant::now();
                black_box(run(q));
                t.elapsed()
            })
            .collect();
        percentiles(name, samples, hits);
    }

    let mut g = c.benchmark_group(format!("dsl_{n}"));
    for (name, q) in QUERIES {
        g.bench_function(*name, |b| b.iter(|| run(black_box(q))));
    }
    g.finish();
    c.bench_function("dsl_parse_only", |b| {
        b.iter(|| parse(black_box(QUERIES[2].1)).unwrap())
    });
}

criterion_group!(benches, dsl);
criterion_main!(benches);
