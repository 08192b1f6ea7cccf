//! kill -9 during compaction: `memspine compact` child processes are killed at random moments
//! while they consolidate, archive and rewrite log pages; every reopen passes `verify`, no memory
//! is lost, and each consolidation is all or nothing (its originals all archived).

#![allow(clippy::unwrap_used)]

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use memspine::{Durability, MemoryId, NewMemory, Options, Spine, CONSOLIDATED};

const TOPICS: &[&str] = &[
    "the weather in Lisbon",
    "a recipe for lentil soup",
    "the quarterly budget review",
    "a bug in the login page",
    "planning a hiking trip",
    "the new espresso machine",
];

#[test]
fn killed_compaction_leaves_before_or_after_state() {
    let iterations: u64 = std::env::var("MEMSPINE_CRASH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let dir = common::temp();
    let path = common::db_path(&dir);
    let n = 3000u64;
    {
        // Months old for the child's system clock: everything is in the old tier.
        let (db, _clock) = common::open_with_clock(&path);
        for chunk in 0..(n / 500) {
            let batch: Vec<NewMemory> = (chunk * 500..(chunk + 1) * 500)
                .map(|i| {
                    NewMemory::new(format!(
                        "We talked about {} again (note {}).",
                        TOPICS[(i % TOPICS.len() as u64) as usize],
                        i % 5
                    ))
                    .user(format!("user{}", i % 3))
                    .kind("interaction")
                })
                .collect();
            db.store_batch(batch).unwrap();
            db.append_event(
                "tool.call",
                serde_json::json!({ "chunk": chunk }),
                Default::default(),
            )
            .unwrap();
        }
    }
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut finished = 0;
    for i in 0..iterations {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut child = Command::new(env!("CARGO_BIN_EXE_memspine"))
            .args(["--db", path.to_str().unwrap(), "compact"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(30 + seed % 700));
        if child.try_wait().unwrap().is_some() {
            finished += 1;
        }
        let _ = child.kill(); // SIGKILL
        child.wait().unwrap();
        check(&path, n, i);
    }
    // A pass run to completion afterwards finishes the work on the same database.
    let db = Spine::open(&path, Options::default()).unwrap();
    db.compact_now().unwrap();
    drop(db);
    check(&path, n, iterations);
    eprintln!("compaction crash test: {iterations} kill points ({finished} passes finished first), 0 problems");
}

fn check(path: &std::path::Path, n: u64, i: u64) {
    let opts = Options {
        create: false,
        durability: Durability::None,
        ..Options::default()
    };
    let db = Spine::open(path, opts).unwrap();
    let r = db.verify().unwrap();
    assert!(r.is_ok(), "iteration {i}: {:?}", r.problems);
    // No memory lost: the default policy archives, never deletes.
    let originals: Vec<MemoryId> = (1..=n).map(MemoryId).collect();
    let got = db.get_many(&originals).unwrap();
    assert_eq!(got.len() as u64, n, "iteration {i}: memories lost");
    for m in &got {
        assert!(m.content.starts_with("We talked about"), "iteration {i}");
    }
    // Every consolidation is whole: its originals all archived, none pinned, one user.
    let all = db.filter_ids(&memspine::Filter::default()).unwrap();
    for m in db.get_many(&all).unwrap() {
        if m.kind == CONSOLIDATED {
            assert!(m.provenance.len() >= 2);
            for o in db.get_many(&m.provenance).unwrap() {
                assert!(
                    o.archived,
                    "iteration {i}: original {} of {} live",
                    o.id, m.id
                );
                assert_eq!(o.scope.user, m.scope.user);
            }
        }
    }
    let stored = db.events_since(0, Some("memory.stored")).unwrap().len() as u64;
    assert!(stored >= n, "iteration {i}: store events lost");
}
