//! Memory records kept in memory, decoded, with their access rows.
//!
//! A context window reads every candidate's record (all the user's pinned memories, the
//! semantic, lexical and graph neighbours, the recent conversation): at a million memories
//! that is two B-tree point reads per candidate, each a walk of three or four pages through
//! redb's page cache, ~40 % of a heavy user's window. An agent asks again and again for the
//! same user, whose pinned memories and best neighbours come back each time; this cache turns
//! those reads into one hash lookup.
//!
//! It holds records decoded (their checksums checked once, when read from the table), shared
//! with the readers that use them (`Rec`), and is exact, never stale:
//!
//! - its contents are those of one commit generation (`bitmap_cache.rs`); a snapshot uses and
//!   fills it only when it reads exactly that generation;
//! - every write notes what it changes before it commits: a record written or removed
//!   ([`RecordCache::touch`]), an access row set ([`RecordCache::touch_access`]), or anything
//!   ([`RecordCache::touch_all`], repair); [`RecordCache::committing`] applies those changes,
//!   closes the cache while the commit runs, and opens it at the new generation; a failed
//!   commit empties it;
//! - a write abandoned before its commit drops what it noted ([`RecordCache::forget_staged`]).
//!
//! Eviction is CLOCK (`memspine_index::clock_cache`): a record used since the hand last passed it is spared
//! once. Each insertion evicts only what it needs room for, so no read ever pays for dropping
//! many records at once (a cache that dropped half its contents at a time made one read in
//! thousands free ~100K records, milliseconds of `free`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use memspine_index::clock_cache::ClockCache;

use crate::memory::record::StoredMemory;

/// Bytes an entry costs besides its record: the map slot, the `Arc` header, allocator rounding.
const ENTRY_OVERHEAD: usize = 64;

/// One cached memory.
#[derive(Debug, Clone)]
pub(crate) struct Cached {
    /// The decoded record (the `memories` table's value).
    pub record: Arc<StoredMemory>,
    /// The access row (count, last access), `(0, 0)` when there is none.
    pub access: (u64, u64),
}

impl Cached {
    fn bytes(&self) -> usize {
        self.record.heap_bytes() + ENTRY_OVERHEAD
    }
}

/// A change a write makes, noted before its commit.
#[derive(Debug, Clone, Copy)]
enum Change {
    /// The record was written or removed.
    Record(u64),
    /// The access row was set.
    Access(u64, (u64, u64)),
}

#[derive(Debug, Default)]
struct State {
    /// The commit generation the contents are of.
    generation: u64,
    /// A commit is running: nothing is used or added.
    committing: bool,
    clock: ClockCache<Cached>,
    /// What the write in progress changes.
    staged: Vec<Change>,
    /// The write in progress changes records it did not list (repair).
    staged_all: bool,
}

impl State {
    fn usable(&self, generation: Option<u64>) -> bool {
        !self.committing && generation == Some(self.generation)
    }
}

/// The record cache of one open database (see the module documentation).
#[derive(Debug)]
pub(crate) struct RecordCache {
    budget: usize,
    state: Mutex<State>,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// What [`RecordCache::usage`] reports.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Usage {
    pub bytes: usize,
    pub hits: u64,
    pub misses: u64,
}

impl RecordCache {
    /// An empty cache of at most `budget` bytes, for the database at `generation`.
    pub(crate) fn new(budget: usize, generation: u64) -> Self {
        RecordCache {
            budget,
            state: Mutex::new(State {
                generation,
                ..State::default()
            }),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    fn enabled(&self) -> bool {
        self.budget > 0
    }

    /// The cached records of `ids` for a snapshot of `generation`, in order (`None`: not
    /// cached); all `None` when the snapshot cannot use the cache.
    pub(crate) fn get_many(&self, generation: Option<u64>, ids: &[u64]) -> Vec<Option<Cached>> {
        let mut out = vec![None; ids.len()];
        if !self.enabled() || generation.is_none() {
            return out;
        }
        let Ok(mut s) = self.state.lock() else {
            return out;
        };
        if !s.usable(generation) {
            return out;
        }
        let mut hits = 0;
        for (slot, &id) in out.iter_mut().zip(ids) {
            if let Some(c) = s.clock.get(id) {
                *slot = Some(c.clone());
                hits += 1;
            }
        }
        drop(s);
        self.hits.fetch_add(hits, Ordering::Relaxed);
        self.misses
            .fetch_add(ids.len() as u64 - hits, Ordering::Relaxed);
        out
    }

    /// Keeps records a snapshot of `generation` read from the tables.
    pub(crate) fn put_many(&self, generation: Option<u64>, read: Vec<(u64, Cached)>) {
        if !self.enabled() || read.is_empty() {
            return;
        }
        let Ok(mut s) = self.state.lock() else {
            return;
        };
        if !s.usable(generation) {
            return;
        }
        for (id, c) in read {
            // A record already held is left as it is (readers of one generation read the
            // same record).
            if !s.clock.contains(id) {
                let bytes = c.bytes();
                s.clock.insert(id, c, bytes, self.budget);
            }
        }
    }

    /// Notes that the write in progress writes or removes the record of `id` (and its access).
    pub(crate) fn touch(&self, id: u64) {
        self.stage([Change::Record(id)]);
    }

    /// Notes that the write in progress sets the access rows of these ids to these values, under
    /// one lock (an access flush sets tens of thousands: a lock each would contend with every
    /// reader's `get_many`).
    pub(crate) fn touch_access(&self, rows: Vec<(u64, (u64, u64))>) {
        if !rows.is_empty() {
            self.stage(rows.into_iter().map(|(id, a)| Change::Access(id, a)));
        }
    }

    /// Notes that the write in progress may change any record.
    pub(crate) fn touch_all(&self) {
        if let Ok(mut s) = self.state.lock() {
            s.staged_all = true;
            s.staged.clear();
        }
    }

    /// Notes changes of the write in progress, under one lock.
    fn stage(&self, changes: impl IntoIterator<Item = Change>) {
        if !self.enabled() {
            return;
        }
        match self.state.lock() {
            Ok(mut s) if !s.staged_all => s.staged.extend(changes),
            _ => {}
        }
    }

    /// Drops what an abandoned write noted.
    pub(crate) fn forget_staged(&self) {
        if let Ok(mut s) = self.state.lock() {
            s.staged.clear();
            s.staged_all = false;
        }
    }

    /// Runs `commit`, the commit that makes generation `next` visible: the noted changes are
    /// applied first, nothing is read from or added to the cache while it runs, and afterwards
    /// the cache is of generation `next` (empty if the commit failed: its contents may then
    /// hold changes that were not committed).
    pub(crate) fn committing<T, E>(
        &self,
        next: u64,
        commit: impl FnOnce() -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        if let Ok(mut s) = self.state.lock() {
            s.committing = true;
            let staged = std::mem::take(&mut s.staged);
            if std::mem::take(&mut s.staged_all) {
                s.clock.clear();
            }
            for change in staged {
                match change {
                    Change::Record(id) => s.clock.remove(id),
                    Change::Access(id, access) => {
                        if let Some(c) = s.clock.peek_mut(id) {
                            c.access = access;
                        }
                    }
                }
            }
        }
        let out = commit();
        // On a poisoned lock no snapshot ever uses the cache again (`get_many` and `put_many`
        // give up on a poisoned lock).
        if let Ok(mut s) = self.state.lock() {
            if out.is_err() {
                s.clock.clear();
            }
            s.generation = next;
            s.committing = false;
        }
        out
    }

    /// Bytes held and the hit counts since the database was opened.
    pub(crate) fn usage(&self) -> Usage {
        let bytes = self.state.lock().map(|s| s.clock.bytes()).unwrap_or(0);
        Usage {
            bytes,
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(n: u8, len: usize) -> Cached {
        Cached {
            record: Arc::new(StoredMemory {
                content: String::from_utf8(vec![b'0' + n; len]).unwrap(),
                kind: String::new(),
                tags: Vec::new(),
                metadata: String::new(),
                scope: Default::default(),
                importance: 0.0,
                pinned: false,
                created_at: 0,
                updated_at: 0,
                provenance: Vec::new(),
                archived: false,
                has_vector: false,
                stored_seq: 0,
            }),
            access: (0, 0),
        }
    }

    fn first(c: &RecordCache, g: u64, id: u64) -> Option<u8> {
        c.get_many(Some(g), &[id])[0]
            .as_ref()
            .map(|c| c.record.content.as_bytes()[0] - b'0')
    }

    #[test]
    fn serves_only_its_generation() {
        let c = RecordCache::new(1 << 20, 4);
        c.put_many(Some(2), vec![(1, rec(1, 10))]);
        assert_eq!(first(&c, 4, 1), None, "an older snapshot adds nothing");
        c.put_many(Some(4), vec![(1, rec(1, 10))]);
        assert_eq!(first(&c, 4, 1), Some(1));
        assert_eq!(first(&c, 2, 1), None);
        assert!(c.get_many(None, &[1])[0].is_none());
    }

    #[test]
    fn a_commit_applies_what_the_write_noted() {
        let c = RecordCache::new(1 << 20, 0);
        c.put_many(
            Some(0),
            vec![(1, rec(1, 10)), (2, rec(2, 10)), (3, rec(3, 10))],
        );
        c.touch(1);
        c.touch_access(vec![(2, (5, 9))]);
        let seen_during: Vec<bool> = c
            .committing(2, || {
                Ok::<_, ()>(vec![
                    c.get_many(Some(0), &[3])[0].is_some(),
                    c.get_many(Some(2), &[3])[0].is_some(),
                ])
            })
            .unwrap();
        assert_eq!(
            seen_during,
            [false, false],
            "nothing is used while committing"
        );
        assert_eq!(first(&c, 2, 1), None);
        assert_eq!(
            c.get_many(Some(2), &[2])[0].as_ref().unwrap().access,
            (5, 9)
        );
        assert_eq!(first(&c, 2, 3), Some(3));
        assert_eq!(first(&c, 0, 3), None, "the old generation is gone");
    }

    #[test]
    fn a_failed_commit_empties_it_and_an_abandoned_write_changes_nothing() {
        let c = RecordCache::new(1 << 20, 0);
        c.put_many(Some(0), vec![(1, rec(1, 10)), (2, rec(2, 10))]);
        c.touch(1);
        c.forget_staged();
        c.committing(2, || Ok::<_, ()>(())).unwrap();
        assert_eq!(
            first(&c, 2, 1),
            Some(1),
            "the abandoned write's note is gone"
        );
        c.touch_access(vec![(2, (1, 1))]);
        assert!(c.committing(4, || Err::<(), _>(())).is_err());
        assert_eq!(first(&c, 4, 2), None);
        assert_eq!(first(&c, 4, 1), None);
        c.put_many(Some(4), vec![(1, rec(7, 10))]);
        assert_eq!(first(&c, 4, 1), Some(7));
        c.touch_all();
        c.touch(9);
        c.committing(6, || Ok::<_, ()>(())).unwrap();
        assert_eq!(first(&c, 6, 1), None, "touch_all empties it");
    }

    #[test]
    fn stays_within_its_budget_and_keeps_what_is_used() {
        let budget = 100 * rec(0, 100).bytes();
        let c = RecordCache::new(budget, 0);
        c.put_many(Some(0), vec![(0, rec(0, 100))]);
        for id in 1..1000 {
            c.put_many(Some(0), vec![(id, rec(1, 100))]);
            // Used all along: never evicted.
            assert_eq!(first(&c, 0, 0), Some(0), "after {id}");
            assert!(c.usage().bytes <= budget);
        }
        assert_eq!(first(&c, 0, 1), None, "the oldest unused ones went");
        let off = RecordCache::new(0, 0);
        off.put_many(Some(0), vec![(1, rec(1, 1))]);
        assert_eq!(first(&off, 0, 1), None);
    }

    #[test]
    fn a_record_larger_than_the_budget_is_not_kept_and_evicts_nothing() {
        let c = RecordCache::new(10 * rec(0, 100).bytes(), 0);
        c.put_many(Some(0), vec![(1, rec(1, 100)), (2, rec(2, 100_000))]);
        assert_eq!(first(&c, 0, 1), Some(1));
        assert_eq!(first(&c, 0, 2), None);
    }

    #[test]
    fn an_access_update_is_not_a_use() {
        let one = rec(0, 100).bytes();
        let c = RecordCache::new(2 * one, 0);
        c.put_many(Some(0), vec![(1, rec(1, 100)), (2, rec(2, 100))]);
        assert_eq!(first(&c, 0, 2), Some(2), "2 is used, 1 is not");
        c.touch_access(vec![(1, (3, 3))]);
        c.committing(2, || Ok::<_, ()>(())).unwrap();
        c.put_many(Some(2), vec![(3, rec(3, 100))]);
        assert_eq!(
            first(&c, 2, 1),
            None,
            "1 went first despite its access update"
        );
        assert_eq!(first(&c, 2, 2), Some(2));
    }
}
