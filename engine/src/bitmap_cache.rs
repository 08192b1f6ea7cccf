//! Decoded copies of the database-wide bitmaps (`live`, `archived`, `pinned`, `vec`) that almost
//! every filter reads, shared by the snapshots of one committed state.
//!
//! Each is a million bits at a million memories, stored as sixteen chunks: reading and decoding
//! them costs tens of microseconds per query, more than the rest of a small scoped search. A
//! snapshot may use a cached copy only if it reads exactly the state the copy was decoded from,
//! which the commit generation establishes:
//!
//! - the writer makes the generation odd just before a commit and even again just after it
//!   (whether the commit succeeded or not): [`Generation::committing`];
//! - a snapshot reads the generation, begins its read transaction, and reads the generation
//!   again: if both reads give the same even number `g`, no commit was in progress between
//!   them, so the transaction sees exactly the state of generation `g` (a commit visible to it
//!   would have made the generation odd before the transaction began; a commit it misses would
//!   have made it even after the first read). Otherwise the snapshot decodes for itself.
//!
//! The cache holds one generation; a snapshot of a newer generation replaces it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use roaring::RoaringBitmap;

/// Bitmaps worth caching: read by nearly every filter, as large as the database.
pub(crate) const GLOBAL: [&str; 4] = ["live", "archived", "pinned", "vec"];

/// The commit generation of an open database (see the module documentation).
#[derive(Debug, Default)]
pub(crate) struct Generation(AtomicU64);

impl Generation {
    /// Runs `commit` with the generation odd, and makes it even again afterwards.
    pub(crate) fn committing<T>(&self, commit: impl FnOnce() -> T) -> T {
        self.0.fetch_add(1, Ordering::SeqCst);
        let out = commit();
        self.0.fetch_add(1, Ordering::SeqCst);
        out
    }

    /// Begins a read with `begin`; the generation it reads, when that is certain.
    pub(crate) fn reading<T>(&self, begin: impl FnOnce() -> T) -> (T, Option<u64>) {
        let before = self.0.load(Ordering::SeqCst);
        let txn = begin();
        let after = self.0.load(Ordering::SeqCst);
        (
            txn,
            (before == after && before.is_multiple_of(2)).then_some(before),
        )
    }
}

/// Decoded global bitmaps of one generation.
#[derive(Debug, Default)]
pub(crate) struct BitmapCache {
    state: Mutex<(u64, HashMap<&'static str, Arc<RoaringBitmap>>)>,
}

impl BitmapCache {
    /// The bitmap `name` of generation `generation`, if cached.
    pub(crate) fn get(&self, generation: u64, name: &str) -> Option<Arc<RoaringBitmap>> {
        let s = self.state.lock().ok()?;
        if s.0 != generation {
            return None;
        }
        s.1.get(name).cloned()
    }

    /// Keeps `bitmap` as `name` of `generation` (dropping an older generation's bitmaps; a
    /// bitmap of an older generation than the cache's is not kept).
    pub(crate) fn put(&self, generation: u64, name: &'static str, bitmap: Arc<RoaringBitmap>) {
        let Ok(mut s) = self.state.lock() else {
            return;
        };
        if s.0 < generation || s.1.is_empty() {
            s.0 = generation;
            s.1.clear();
        }
        if s.0 == generation {
            s.1.insert(name, bitmap);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_during_a_commit_has_no_generation() {
        let g = Generation::default();
        let (_, seen) = g.reading(|| ());
        assert_eq!(seen, Some(0));
        g.committing(|| {
            let (_, during) = g.reading(|| ());
            assert_eq!(during, None);
        });
        assert_eq!(g.reading(|| ()).1, Some(2));
        // A commit between the two loads of a read.
        let (_, racing) = g.reading(|| g.committing(|| ()));
        assert_eq!(racing, None);
    }

    #[test]
    fn the_cache_holds_the_newest_generation_only() {
        let c = BitmapCache::default();
        let bm = Arc::new(RoaringBitmap::from([1, 2, 3]));
        c.put(2, "live", bm.clone());
        assert_eq!(c.get(2, "live"), Some(bm.clone()));
        assert_eq!(c.get(4, "live"), None);
        c.put(0, "vec", bm.clone());
        assert_eq!(c.get(0, "vec"), None, "older than the cache: not kept");
        c.put(4, "vec", bm.clone());
        assert_eq!(c.get(2, "live"), None, "replaced by generation 4");
        assert_eq!(c.get(4, "vec"), Some(bm));
    }
}
