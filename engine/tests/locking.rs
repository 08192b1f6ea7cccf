//! A second process (or handle) opening the same database gets `Locked`, never a hang.

#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use memspine::{Error, NewMemory, Options, Spine};

#[test]
fn second_handle_in_process_is_locked() {
    let dir = common::temp();
    let path = common::db_path(&dir);
    let _db = common::open(&path);
    match Spine::open(&path, Options::default()) {
        Err(Error::Locked { path: p }) => assert_eq!(p, path),
        other => panic!("expected Locked, got {other:?}"),
    }
}

#[test]
fn second_process_is_locked_and_data_is_intact() {
    let dir = common::temp();
    let path = common::db_path(&dir);
    let db = common::open(&path);
    let id = db
        .store(NewMemory::new("held by the first process"))
        .unwrap();
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_memspine"))
        .args([
            "--db",
            path.to_str().unwrap(),
            "store",
            "from the second process",
        ])
        .output()
        .unwrap();
    assert!(t.elapsed() < Duration::from_secs(5), "must not hang");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("locked"), "{err}");
    assert!(
        err.contains(path.to_str().unwrap()),
        "the error names the path: {err}"
    );
    assert_eq!(db.count().unwrap(), 1);
    drop(db);
    let db = common::open(&path);
    assert_eq!(db.get(id).unwrap().content, "held by the first process");
}
