//! Stress: a writer doing mixed operations and the compactor running passes (its clock a day
//! further each pass, so memories age through the tiers and get demoted, archived, consolidated
//! while the writer updates them) while readers check, in their snapshots, every invariant
//! `verify` knows, and time their reads. MEMSPINE_STRESS_SECS (default 3) sets the length.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use memspine::{Filter, MemoryId, MemoryUpdate, NewMemory, Scope};
use serde_json::json;

#[test]
fn readers_and_writer_together_stay_consistent_and_unblocked() {
    let secs: u64 = std::env::var("MEMSPINE_STRESS_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let dir = common::temp();
    let (db, clock) = common::open_with_clock(&common::db_path(&dir));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (db, stop) = (db.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut ops = 0u64;
            let mut ids: Vec<MemoryId> = Vec::new();
            let mut x = 12345u64;
            while !stop.load(Ordering::Relaxed) {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                match (x >> 33) % 10 {
                    0..=3 => ids.push(
                        db.store(
                            NewMemory::new(format!("m{ops}"))
                                .user(format!("u{}", x % 5))
                                .tag("t"),
                        )
                        .unwrap(),
                    ),
                    4 => ids.extend(
                        db.store_batch(
                            (0..50)
                                .map(|i| NewMemory::new(format!("b{ops}-{i}")).user("batch"))
                                .collect(),
                        )
                        .unwrap(),
                    ),
                    5 | 6 if !ids.is_empty() => {
                        let id = ids[(x % ids.len() as u64) as usize];
                        db.update(
                            id,
                            MemoryUpdate {
                                tags: Some(vec![format!("g{}", x % 3)]),
                                pinned: Some(x.is_multiple_of(2)),
                                ..Default::default()
                            },
                        )
                        .unwrap();
                    }
                    7 if !ids.is_empty() => {
                        let id = ids.swap_remove((x % ids.len() as u64) as usize);
                        db.delete(id).unwrap();
                    }
                    _ => {
                        db.append_event("tick", json!({"ops": ops}), Scope::default())
                            .unwrap();
                    }
                }
                ops += 1;
            }
            ops
        })
    };
    let compactor = {
        let (db, stop) = (db.clone(), stop.clone());
        std::thread::spawn(move || {
            let (mut passes, mut done) = (0u64, 0u64);
            while !stop.load(Ordering::Relaxed) {
                clock.advance(Duration::from_secs(86_400));
                let r = db.compact_now().unwrap();
                done += r.stats.demoted + r.stats.archived + r.stats.consolidated_sources;
                passes += 1;
            }
            (passes, done)
        })
    };
    let verifier = {
        let (db, stop) = (db.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut runs = 0;
            while !stop.load(Ordering::Relaxed) {
                let r = db.verify().unwrap();
                assert!(r.is_ok(), "inconsistent snapshot: {:?}", r.problems);
                runs += 1;
            }
            runs
        })
    };
    let reader = {
        let (db, stop) = (db.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut worst = Duration::ZERO;
            let mut reads = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                db.filter_ids(&Filter::user("u1")).unwrap();
                db.recent(10).unwrap();
                db.query_recent(1.0, Some("tick")).unwrap();
                worst = worst.max(t.elapsed());
                reads += 1;
            }
            (reads, worst)
        })
    };
    std::thread::sleep(Duration::from_secs(secs));
    stop.store(true, Ordering::Relaxed);
    let ops = writer.join().unwrap();
    let (passes, compacted) = compactor.join().unwrap();
    let runs = verifier.join().unwrap();
    let (reads, worst) = reader.join().unwrap();
    eprintln!(
        "stress: {ops} writes, {passes} compaction passes ({compacted} memories compacted), \
         {runs} full verifies, {reads} read rounds, worst read round {worst:?}"
    );
    assert!(ops > 50 && runs > 0 && reads > 10 && passes > 0);
    assert!(
        worst < Duration::from_secs(1),
        "a read round took {worst:?}: readers must not wait for the writer"
    );
    assert!(db.verify().unwrap().is_ok());
}
