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
//!
//! It also keeps the results of the last few scope filters (a user's, a session's live
//! memories: a named bitmap read and decoded, then intersected with `live`) of the same
//! generation: an agent asks for its user's memories query after query, and at a million
//! memories evaluating a 10K-memory user's filter costs ~20 us, a tenth of a scoped search.
//! Only filters whose result is a function of the committed state alone are kept (no time
//! range, no tier: those depend on the clock).

use crate::read::Filter;

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

    /// The generation now (even while no commit is in progress).
    pub(crate) fn current(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
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

/// Filter results kept per generation (the most recently used first out when full).
const MAX_FILTERS: usize = 32;
/// Filter results larger than this (in members) are not kept: evaluating them is dominated by
/// their size, and a copy costs about as much.
const MAX_FILTER_LEN: u64 = 100_000;

#[derive(Debug, Default)]
struct State {
    generation: u64,
    global: HashMap<&'static str, Arc<RoaringBitmap>>,
    /// Least recently used first; the flag: the result intersected with `vec`.
    filters: Vec<((Filter, bool), Arc<RoaringBitmap>)>,
}

impl State {
    /// Empties the cache for `generation` when it is newer (or the cache is empty); false when
    /// `generation` is older than the cache's.
    fn take(&mut self, generation: u64) -> bool {
        if self.generation < generation || (self.global.is_empty() && self.filters.is_empty()) {
            self.generation = generation;
            self.global.clear();
            self.filters.clear();
        }
        self.generation == generation
    }

    /// Where the result of `f` (with vectors when `vectors`) is kept.
    fn find(&self, f: &Filter, vectors: bool) -> Option<usize> {
        self.filters
            .iter()
            .position(|((k, v), _)| *v == vectors && k == f)
    }
}

/// Decoded global bitmaps and recent filter results of one generation.
#[derive(Debug, Default)]
pub(crate) struct BitmapCache {
    state: Mutex<State>,
}

/// Whether `f`'s result depends on the committed state only (see the module documentation).
pub(crate) fn cacheable(f: &Filter) -> bool {
    f.tier.is_none() && f.created_after.is_none() && f.created_before.is_none()
}

impl BitmapCache {
    /// The bitmap `name` of generation `generation`, if cached.
    pub(crate) fn get(&self, generation: u64, name: &str) -> Option<Arc<RoaringBitmap>> {
        let s = self.state.lock().ok()?;
        if s.generation != generation {
            return None;
        }
        s.global.get(name).cloned()
    }

    /// Keeps `bitmap` as `name` of `generation` (dropping an older generation's bitmaps; a
    /// bitmap of an older generation than the cache's is not kept).
    pub(crate) fn put(&self, generation: u64, name: &'static str, bitmap: Arc<RoaringBitmap>) {
        let Ok(mut s) = self.state.lock() else {
            return;
        };
        if s.take(generation) {
            s.global.insert(name, bitmap);
        }
    }

    /// The result of filter `f` in `generation` (intersected with `vec` when `vectors`), if
    /// cached.
    pub(crate) fn filter(
        &self,
        generation: u64,
        f: &Filter,
        vectors: bool,
    ) -> Option<Arc<RoaringBitmap>> {
        let mut s = self.state.lock().ok()?;
        if s.generation != generation {
            return None;
        }
        let at = s.find(f, vectors)?;
        let hit = s.filters.remove(at);
        let bm = hit.1.clone();
        s.filters.push(hit);
        Some(bm)
    }

    /// Keeps `bitmap` as the result of `f` in `generation` when `f` is [`cacheable`] and the
    /// result small enough.
    pub(crate) fn put_filter(
        &self,
        generation: u64,
        f: &Filter,
        vectors: bool,
        bitmap: &RoaringBitmap,
    ) {
        if !cacheable(f) || bitmap.len() > MAX_FILTER_LEN {
            return;
        }
        let Ok(mut s) = self.state.lock() else {
            return;
        };
        if !s.take(generation) || s.find(f, vectors).is_some() {
            return;
        }
        if s.filters.len() >= MAX_FILTERS {
            s.filters.remove(0);
        }
        s.filters
            .push(((f.clone(), vectors), Arc::new(bitmap.clone())));
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

    #[test]
    fn filter_results_are_kept_for_their_generation_only_and_not_when_time_dependent() {
        let c = BitmapCache::default();
        let bm = RoaringBitmap::from([4, 5]);
        let alice = Filter::user("alice");
        c.put_filter(2, &alice, false, &bm);
        assert_eq!(c.filter(2, &alice, false).as_deref(), Some(&bm));
        assert_eq!(
            c.filter(2, &alice, true),
            None,
            "not the result with vectors"
        );
        assert_eq!(c.filter(2, &Filter::user("bob"), false), None);
        assert_eq!(c.filter(4, &alice, false), None, "another generation");
        let recent = Filter {
            created_after: Some(1),
            ..Filter::user("alice")
        };
        c.put_filter(2, &recent, false, &bm);
        assert_eq!(c.filter(2, &recent, false), None, "depends on a time range");
        // A newer generation empties the cache; the least recently used goes first when full.
        c.put_filter(6, &alice, false, &bm);
        assert_eq!(c.filter(2, &alice, false), None);
        for u in 0..MAX_FILTERS {
            c.put_filter(6, &Filter::user(format!("u{u}")), false, &bm);
            if u == 0 {
                assert!(c.filter(6, &alice, false).is_some());
            }
        }
        assert!(c.filter(6, &alice, false).is_some(), "recently used: kept");
        assert_eq!(
            c.filter(6, &Filter::user("u0"), false),
            None,
            "least recently used: dropped"
        );
    }
}
