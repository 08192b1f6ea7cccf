//! Readers run concurrently with the writer, see consistent snapshots and are not blocked.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use memspine::{Filter, NewMemory};

#[test]
fn readers_see_consistent_snapshots_while_the_writer_commits() {
    let dir = common::temp();
    let (db, _) = common::open_with_clock(&common::db_path(&dir));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let db = db.clone();
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) && n < 3000 {
                // Each batch stores 10 memories for user "w": a reader must never see a partial batch.
                let batch = (0..10)
                    .map(|i| NewMemory::new(format!("b{n} i{i}")).user("w"))
                    .collect();
                db.store_batch(batch).unwrap();
                n += 1;
            }
            n
        })
    };
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let db = db.clone();
            std::thread::spawn(move || {
                let mut worst = Duration::ZERO;
                let mut reads = 0;
                let end = Instant::now() + Duration::from_millis(1500);
                while Instant::now() < end {
                    let t = Instant::now();
                    let n = db.filter_ids(&Filter::user("w")).unwrap().len();
                    worst = worst.max(t.elapsed());
                    assert_eq!(n % 10, 0, "a reader saw a partial batch: {n}");
                    reads += 1;
                }
                (reads, worst)
            })
        })
        .collect();
    for r in readers {
        let (reads, worst) = r.join().unwrap();
        assert!(reads > 10, "readers made progress");
        // A bound, not a benchmark: a blocked reader would wait for the writer's whole run.
        assert!(worst < Duration::from_millis(500), "a read took {worst:?}");
    }
    stop.store(true, Ordering::Relaxed);
    let batches = writer.join().unwrap();
    assert_eq!(db.count().unwrap(), batches * 10);
}
