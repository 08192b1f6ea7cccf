//! Real processes killed with SIGKILL mid-write: every acknowledged memory survives, intact,
//! and `verify` passes. Kill points: MEMSPINE_CRASH_ITERATIONS (default 50, 25 with vectors).

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use memspine::{Direction, MemoryId, Options, SearchMode, SearchOptions, Spine};

fn crash_content(n: u64) -> String {
    format!("crash-test memory {n}: {}", "x".repeat((n % 97) as usize))
}

fn crash_vector(n: u64, dim: usize) -> Vec<f32> {
    (0..dim)
        .map(|i| ((n * 31 + i as u64 * 17) % 101) as f32 - 50.0 + 0.5)
        .collect()
}

/// Runs the writer child, lets it acknowledge for a while, kills it; returns acks (id → n).
fn run_and_kill(
    path: &std::path::Path,
    batch: usize,
    start: u64,
    run_for: Duration,
    dim: usize,
    graph: bool,
) -> BTreeMap<u64, u64> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_memspine"))
        .args(["--db", path.to_str().unwrap(), "crash-writer"])
        .args([
            "--batch",
            &batch.to_string(),
            "--start",
            &start.to_string(),
            "--dim",
            &dim.to_string(),
        ])
        .args(graph.then_some("--graph"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let mut p = line.split_whitespace().skip(1);
            if let (Some(id), Some(n)) = (p.next(), p.next()) {
                let _ = tx.send((id.parse::<u64>().unwrap(), n.parse::<u64>().unwrap()));
            }
        }
    });
    let deadline = Instant::now() + run_for;
    let mut acks = BTreeMap::new();
    while Instant::now() < deadline {
        if let Ok((id, n)) = rx.recv_timeout(Duration::from_millis(1)) {
            acks.insert(id, n);
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    reader.join().unwrap();
    // Lines already read from the pipe before the kill were acknowledged: count them too.
    while let Ok((id, n)) = rx.try_recv() {
        acks.insert(id, n);
    }
    acks
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    campaign(0, 50);
}

/// With vectors a kill can land between the arena append and the redb commit: reopening cuts
/// the uncommitted arena tail, and every acknowledged vector is still found by exact search.
#[test]
fn acknowledged_vectors_survive_sigkill() {
    campaign(16, 25);
}

fn campaign(dim: usize, default_iterations: u64) {
    let iterations: u64 = std::env::var("MEMSPINE_CRASH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_iterations);
    let dir = common::temp();
    let path = common::db_path(&dir);
    let mut all_acks: BTreeMap<u64, u64> = BTreeMap::new();
    let mut next = 0u64;
    let mut seed = 0x9e37_79b9_7f4a_7c15u64 ^ dim as u64;
    for i in 0..iterations {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let run_for = Duration::from_millis(20 + seed % 180);
        let batch = if i % 3 == 0 { 50 } else { 1 };
        let acks = run_and_kill(&path, batch, next, run_for, dim, false);
        next = all_acks
            .values()
            .chain(acks.values())
            .max()
            .map_or(next, |m| m + 1)
            + 1000;
        all_acks.extend(acks);
        let opts = Options {
            dimension: (dim > 0).then_some(dim),
            ..Options::default()
        };
        let db = Spine::open(&path, opts).unwrap();
        for (&id, &n) in &all_acks {
            let m = db
                .get(MemoryId(id))
                .unwrap_or_else(|e| panic!("iteration {i}: acknowledged id {id} lost: {e}"));
            assert_eq!(
                m.content,
                crash_content(n),
                "iteration {i}: id {id} corrupted"
            );
        }
        if dim > 0 {
            // The exact nearest neighbour of an acknowledged vector is that memory's own vector.
            for (&id, &n) in all_acks.iter().rev().take(5) {
                let opts = SearchOptions {
                    limit: 1,
                    exact: true,
                    mode: SearchMode::Semantic,
                    vector: Some(crash_vector(n, dim)),
                    ..Default::default()
                };
                let hit = &db.search("", &opts).unwrap()[0];
                assert!(
                    hit.score > 0.9999,
                    "iteration {i}: vector of id {id} lost (best {} {})",
                    hit.id,
                    hit.score
                );
            }
        }
        let r = db.verify().unwrap();
        assert!(r.is_ok(), "iteration {i}: {:?}", r.problems);
    }
    assert!(!all_acks.is_empty(), "the child acknowledged nothing");
    eprintln!(
        "crash test (dim {dim}): {iterations} kill points, {} acknowledged writes checked, 0 lost",
        all_acks.len()
    );
}

/// A crash while a database is being created leaves only a temporary file (the new database is
/// built under another name and linked into place when complete): the next open cleans it up and
/// creates the database, and an open without `create` says there is none.
#[test]
fn a_crash_during_creation_leaves_no_half_database() {
    let dir = common::temp();
    let path = common::db_path(&dir);
    std::fs::create_dir(&path).unwrap();
    // What a kill in the middle of redb's initialisation leaves: a file without a valid header.
    let stale = path.join("data.redb.creating-4242-1");
    std::fs::write(&stale, vec![0u8; 4096]).unwrap();
    let opts = Options {
        create: false,
        ..Options::default()
    };
    assert!(matches!(
        Spine::open(&path, opts),
        Err(memspine::Error::NotFound { .. })
    ));
    let db = common::open(&path);
    assert_eq!(db.count().unwrap(), 0);
    assert!(!stale.exists());
    assert!(db.verify().unwrap().is_ok());
}

/// Memories stored with their facts in one transaction, killed mid-write: every acknowledged
/// memory has its facts (edges carrying its id, links to both ends), nothing half-written
/// survives, and `verify` finds out- and in-edges mirroring each other after every reopen.
/// Kill points: MEMSPINE_CRASH_ITERATIONS (default 20).
#[test]
fn acknowledged_facts_survive_sigkill_with_mirrored_adjacency() {
    let iterations: u64 = std::env::var("MEMSPINE_CRASH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let dir = common::temp();
    let path = common::db_path(&dir);
    let mut all_acks: BTreeMap<u64, u64> = BTreeMap::new();
    let mut next = 0u64;
    // Created before the first kill: this test is about graph writes, not database creation.
    drop(Spine::open(&path, Options::default()).unwrap());
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for i in 0..iterations {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let run_for = Duration::from_millis(20 + seed % 180);
        let acks = run_and_kill(&path, 1, next, run_for, 0, true);
        next = all_acks
            .values()
            .chain(acks.values())
            .max()
            .map_or(next, |m| m + 1)
            + 1000;
        all_acks.extend(acks);
        let db = Spine::open(&path, Options::default()).unwrap();
        let r = db.verify().unwrap();
        assert!(r.is_ok(), "iteration {i}: {:?}", r.problems);
        for (&id, &n) in all_acks.iter().rev().take(30) {
            assert_eq!(db.get(MemoryId(id)).unwrap().content, crash_content(n));
            let subject = format!("e{}", n % 300);
            let rels = db
                .edges(&subject, Some(&format!("rel{}", n % 4)), Direction::Out)
                .unwrap();
            assert!(
                rels.iter().any(|r| r.memory == Some(id)),
                "iteration {i}: fact of memory {id} lost"
            );
            let about = db.memories_about(&subject, 1_000_000).unwrap();
            assert!(
                about.iter().any(|m| m.id.0 == id),
                "iteration {i}: link of {id} lost"
            );
        }
        // The single-valued `at` has at most one current object per subject.
        for e in 0..300 {
            if let Ok(at) = db.edges(&format!("e{e}"), Some("at"), Direction::Out) {
                assert!(
                    at.len() <= 1,
                    "iteration {i}: e{e} is at {} places",
                    at.len()
                );
            }
        }
    }
    assert!(!all_acks.is_empty(), "the child acknowledged nothing");
    eprintln!(
        "graph crash test: {iterations} kill points, {} acknowledged memories with facts, 0 lost",
        all_acks.len()
    );
}
