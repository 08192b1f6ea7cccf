//! Real processes killed with SIGKILL mid-write: every acknowledged memory survives, intact,
//! and `verify` passes. Kill points: MEMSPINE_CRASH_ITERATIONS (default 50).

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use memspine::MemoryId;

fn crash_content(n: u64) -> String {
    format!("crash-test memory {n}: {}", "x".repeat((n % 97) as usize))
}

/// Runs the writer child, lets it acknowledge for a while, kills it; returns acks (id → n).
fn run_and_kill(
    path: &std::path::Path,
    batch: usize,
    start: u64,
    run_for: Duration,
) -> BTreeMap<u64, u64> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_memspine"))
        .args([
            "--db",
            path.to_str().unwrap(),
            "crash-writer",
            "--batch",
            &batch.to_string(),
            "--start",
            &start.to_string(),
        ])
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
    let iterations: u64 = std::env::var("MEMSPINE_CRASH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let dir = common::temp();
    let path = common::db_path(&dir);
    let mut all_acks: BTreeMap<u64, u64> = BTreeMap::new();
    let mut next = 0u64;
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for i in 0..iterations {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let run_for = Duration::from_millis(20 + seed % 180);
        let batch = if i % 3 == 0 { 50 } else { 1 };
        let acks = run_and_kill(&path, batch, next, run_for);
        next = all_acks
            .values()
            .chain(acks.values())
            .max()
            .map_or(next, |m| m + 1)
            + 1000;
        all_acks.extend(acks);
        let db = common::open(&path);
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
        let r = db.verify().unwrap();
        assert!(r.is_ok(), "iteration {i}: {:?}", r.problems);
    }
    assert!(!all_acks.is_empty(), "the child acknowledged nothing");
    eprintln!(
        "crash test: {iterations} kill points, {} acknowledged writes checked, 0 lost",
        all_acks.len()
    );
}
