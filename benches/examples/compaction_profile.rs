//! One compaction pass over a database kept by `memspine-bench --keep --no-compaction`, at the
//! end of its simulated history: what the pass did, how long each part took, and the bytes on
//! disk of every file before, after the pass, and after `reclaim_space`. It changes the
//! database: run it on a copy.
//!
//! `cp -r /tmp/b1m /tmp/b1m-c && cp /tmp/b1m.load.json /tmp/b1m-c.load.json`
//! `cargo run --release -p memspine-benches --example compaction_profile -- /tmp/b1m-c`
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use memspine::{CompactOptions, ManualClock, Options, Spine};

fn files(dir: &Path) -> String {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let m = e.metadata().unwrap();
            format!(
                "{} {:.1} MiB",
                e.file_name().to_string_lossy(),
                m.len() as f64 / 1048576.0
            )
        })
        .collect();
    v.sort();
    v.join(", ")
}

fn main() -> anyhow::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "/tmp/b1m-c".into());
    let dir = Path::new(&dir);
    let mut kept = dir.as_os_str().to_os_string();
    kept.push(".load.json");
    let kept: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(kept)?)?;
    let end = kept["report"]["end_time"].as_u64().unwrap();
    let open = || {
        Spine::open(
            dir,
            Options {
                create: false,
                dimension: Some(kept["dim"].as_u64().unwrap() as usize),
                clock: Arc::new(ManualClock::new(end)),
                ..Options::default()
            },
        )
    };
    let db = open()?;
    let before = memspine::dir_bytes(dir);
    println!(
        "before: {:.1} MiB ({})",
        before as f64 / 1048576.0,
        files(dir)
    );
    let t = Instant::now();
    let mut co = CompactOptions::default();
    if let Some(n) = std::env::var("ACTIONS_PER_TXN")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        co.actions_per_txn = n;
    }
    let r = db.compact_with(&co, false)?;
    let secs = t.elapsed().as_secs_f64();
    let s = &r.stats;
    println!(
        "pass: {secs:.1} s (plan {:.1} s, execute {:.1} s), {:.0} memories/s; examined {}, kept {}, demoted {}, archived {}, deleted {}, consolidated {} into {}; log pages merged {}, recompressed {}; {} transactions",
        s.plan_us as f64 / 1e6,
        s.execute_us as f64 / 1e6,
        s.examined as f64 / secs,
        s.examined,
        s.kept,
        s.demoted,
        s.archived,
        s.deleted,
        s.consolidated_sources,
        s.consolidated_groups,
        s.log_pages_merged,
        s.log_pages_recompressed,
        s.transactions
    );
    let after = memspine::dir_bytes(dir);
    println!(
        "after the pass: {:.1} MiB ({})",
        after as f64 / 1048576.0,
        files(dir)
    );
    drop(db);
    let mut db = open()?;
    let t = Instant::now();
    db.reclaim_space()?;
    drop(db);
    let reclaimed = memspine::dir_bytes(dir);
    println!(
        "after reclaim_space ({:.1} s): {:.1} MiB ({})",
        t.elapsed().as_secs_f64(),
        reclaimed as f64 / 1048576.0,
        files(dir)
    );
    Ok(())
}
