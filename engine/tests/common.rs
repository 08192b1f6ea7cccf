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

/// Opens a database of 4-d vectors given by the caller (no embedder) on `clock`.
pub fn open_vec4(path: &Path, clock: &ManualClock) -> Spine {
    let opts = Options {
        dimension: Some(4),
        durability: Durability::None,
        clock: Arc::new(clock.clone()),
        ..Options::default()
    };
    Spine::open(path, opts).expect("open")
}

pub fn open(path: &Path) -> Spine {
    Spine::open(path, Options::default()).expect("open")
}

/// SplitMix64: deterministic test data.
pub struct SplitMix(pub u64);

impl SplitMix {
    #[allow(clippy::should_implement_trait)] // not an iterator: it never ends
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [-0.5, 0.5).
    pub fn centred(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    }
}
