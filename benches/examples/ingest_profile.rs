//! Ingest-only loop for profiling (`perf record`): N memories in batches of B, no embedding.
//! `cargo run --release -p memspine-benches --example ingest_profile -- 200000 10000`

#![allow(clippy::unwrap_used)]

use std::time::Instant;

use memspine::{Durability, NewMemory, Options, Spine};

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n = args.first().copied().unwrap_or(200_000);
    let b = args.get(1).copied().unwrap_or(10_000);
    let dir = tempfile::tempdir().unwrap();
    let opts = Options {
        durability: Durability::Immediate,
        ..Options::default()
    };
    let db = Spine::open(dir.path().join("db"), opts).unwrap();
    let t = Instant::now();
    for start in (0..n).step_by(b as usize) {
        let batch = (start..(start + b).min(n))
            .map(|i| {
                NewMemory::new(format!("User {} asked about order #{i} and the delivery window; agent replied with tracking info.", i % 1000))
                    .user(format!("u{}", i % 1000))
                    .session(format!("s{}", i % 5000))
                    .tag(if i.is_multiple_of(3) { "billing" } else { "shipping" })
                    .kind("interaction")
            })
            .collect();
        db.store_batch(batch).unwrap();
    }
    let s = t.elapsed().as_secs_f64();
    println!(
        "{n} memories in {s:.2}s: {:.0}/s (batches of {b}, durable commits)",
        n as f64 / s
    );
}
