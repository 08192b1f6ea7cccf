//! Helpers shared by the integration tests (included with `mod common;`).
#![allow(dead_code)]
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use memspine::{Durability, ManualClock, Options, Spine};

/// 2026-01-01T00:00:00Z in µs.
pub const T0: u64 = 1_767_225_600_000_000;

pub fn temp() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

pub fn db_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("db")
}

/// Opens a database with a manual clock standing at `T0`.
pub fn open_with_clock(path: &Path) -> (Spine, ManualClock) {
    let clock = ManualClock::new(T0);
    let opts = Options {
        clock: Arc::new(clock.clone()),
        durability: Durability::None,
        ..Options::default()
    };
    (Spine::open(path, opts).expect("open"), clock)
}

pub fn open(path: &Path) -> Spine {
    Spine::open(path, Options::default()).expect("open")
}
