//! Scoped semantic search user by user (heaviest first) on a database kept by
//! `memspine-bench --keep` (384-d): the median and p95 of `search(limit 10, user = u)` with
//! queries near the user's own memories, with scope copies (the default) and without.
//!
//! `cargo run --release -p memspine-benches --example scoped_profile -- /tmp/b1m`
#![allow(clippy::unwrap_used)]

use std::time::Instant;

use memspine::{Filter, MemoryId, Options, SearchMode, SearchOptions, Spine};

fn open(path: &str, scope_copy_bytes: usize) -> Spine {
    Spine::open(
        path,
        Options {
            create: false,
            dimension: Some(384),
            scope_copy_bytes,
            ..Options::default()
        },
    )
    .unwrap()
}

/// Median and p95 (ms) of `n` calls of `f`.
fn timed(n: usize, mut f: impl FnMut(usize)) -> (f64, f64) {
    let mut t: Vec<f64> = (0..n)
        .map(|i| {
            let s = Instant::now();
            f(i);
            s.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    t.sort_by(f64::total_cmp);
    (t[n / 2], t[n * 95 / 100])
}

fn main() -> anyhow::Result<()> {
    let path = std::env::args().nth(1).unwrap_or_else(|| "/tmp/b1m".into());
    let repeat: usize = std::env::var("SCOPED_PROFILE_REPEAT")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    println!("user      memories  no-copy p50/p95 ms  first-ms  copy p50/p95 ms");
    // SCOPED_PROFILE_USERS=3,10 to profile some users only.
    let users: Vec<u32> = std::env::var("SCOPED_PROFILE_USERS")
        .map(|s| s.split(',').filter_map(|u| u.trim().parse().ok()).collect())
        .unwrap_or_else(|_| vec![0, 1, 3, 10, 20, 30, 100]);
    for u in users {
        let user = format!("u{u}");
        let f = Filter::user(&user);
        let mut row = Vec::new();
        let mut n = 0;
        // SCOPED_PROFILE_COPIES=only to time with scope copies alone (for a profile).
        let only = std::env::var("SCOPED_PROFILE_COPIES").is_ok_and(|v| v == "only");
        // Without copies first: the first seconds after an open (the partitioned index loading,
        // the arena prefault) are slower, and would otherwise count against the copies.
        let budgets: &[usize] = if only { &[256 << 20] } else { &[0, 256 << 20] };
        for &budget in budgets {
            let db = open(&path, budget);
            // Let the load of the partitioned index and the arena prefault that follow open
            // finish first: they compete with the searches for the first seconds.
            db.vector_index();
            std::thread::sleep(std::time::Duration::from_secs(3));
            let ids: Vec<MemoryId> = db.filter_ids(&f)?;
            n = ids.len();
            // Queries: 40 of the user's own vectors (a question near what they said).
            let queries: Vec<Vec<f32>> = ids
                .iter()
                .step_by((ids.len() / 40).max(1))
                .take(40)
                .filter_map(|&id| db.vector_of(id).ok()?)
                .collect();
            let opts = |v: &Vec<f32>| SearchOptions {
                limit: 10,
                mode: SearchMode::Semantic,
                filter: f.clone(),
                vector: Some(v.clone()),
                track_access: false,
                ..Default::default()
            };
            let first = Instant::now();
            db.search("", &opts(&queries[0]))?;
            let first = first.elapsed().as_secs_f64() * 1e3;
            // The first search asks for the scope's copy, built in the background.
            db.wait_for_scope_copies();
            let (p50, p95) = timed(queries.len() * repeat, |i| {
                db.search("", &opts(&queries[i % queries.len()])).unwrap();
            });
            row.push((first, p50, p95));
        }
        let (plain, copy) = match row.as_slice() {
            [copy] => ((0.0, 0.0, 0.0), *copy),
            [plain, copy, ..] => (*plain, *copy),
            [] => continue,
        };
        println!(
            "{user:<8} {n:>9}  {:>8.3}/{:<8.3}  {:>8.3}  {:>7.3}/{:<7.3}",
            plain.1, plain.2, copy.0, copy.1, copy.2
        );
    }
    Ok(())
}
