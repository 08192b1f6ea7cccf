//! Times the planner on a synthetic store: `cargo run --release -p memspine-compaction --example
//! plan_scale -- [memories=1000000] [dim=64] [users=100]`. Memories are spread over 90 days,
//! vectors cluster around 64 topics; similarity is a plain dot product of unit vectors.
#![allow(clippy::unwrap_used)]

use std::cell::Cell;
use std::time::Instant;

use memspine_compaction::{plan, Candidate, DecayPolicy, MICROS_PER_DAY};

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n = args.first().copied().unwrap_or(1_000_000);
    let dim = args.get(1).copied().unwrap_or(64);
    let users = args.get(2).copied().unwrap_or(100);
    let now = 90 * MICROS_PER_DAY;
    let mut state = 7u64;
    let mut rnd = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut vectors = vec![0f32; n * dim];
    let mut cands = Vec::with_capacity(n);
    for i in 0..n {
        let created = (i as u64) * (now / n as u64);
        let v = &mut vectors[i * dim..(i + 1) * dim];
        for x in v.iter_mut() {
            *x = ((rnd() >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.3;
        }
        v[(rnd() % 64) as usize % dim] += 1.0;
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter_mut().for_each(|x| *x /= norm);
        cands.push(Candidate {
            id: i as u64 + 1,
            created,
            updated: created,
            importance: 0.5,
            access_count: rnd() % 4,
            pinned: rnd() % 100 == 0,
            kind: if rnd() % 5 == 0 {
                "fact"
            } else {
                "interaction"
            }
            .into(),
            user: Some(format!("u{}", rnd() % users as u64)),
            agent: Some("a".into()),
            content_len: 120,
            ..Candidate::default()
        });
    }
    let calls = Cell::new(0u64);
    let sim = |a: u64, b: u64| {
        calls.set(calls.get() + 1);
        let (a, b) = ((a - 1) as usize * dim, (b - 1) as usize * dim);
        let (x, y) = (vectors.get(a..a + dim)?, vectors.get(b..b + dim)?);
        Some(x.iter().zip(y).map(|(p, q)| p * q).sum())
    };
    let t = Instant::now();
    let p = plan(&cands, now, &DecayPolicy::default(), &sim).unwrap();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{n} memories, dim {dim}, {users} users: plan in {secs:.2} s ({:.0} memories/s), {} similarity calls; {:?}",
        n as f64 / secs,
        calls.get(),
        p.counts
    );
}
