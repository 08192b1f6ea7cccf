//! Access tracking: memories returned to a caller get their access count and last-access time
//! bumped without turning a read into a write. Reads add to an in-memory buffer; the buffer is
//! written into the `access` table by the next write transaction (piggyback), by
//! [`Spine::flush_access`], when it grows past `Options::access_flush_at` entries (by a
//! short-lived background thread, only if the writer is free: the read that crossed the mark
//! does not wait for the write; that commit does not wait for the disk either, the next durable
//! one carries it), and when the last handle is dropped. Counts pending in the buffer are merged
//! into what reads return, so callers see them at once; a crash loses at most the counts no
//! durable commit carried, never data.
//!
//! The background flush holds the database only while it writes. The last user handle going
//! away marks the flusher closing and waits for a flush in progress, so that once its `drop`
//! returns the database is closed (and can be reopened at once), as with the compactor.

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex};

use redb::{ReadableTable, WriteTransaction};

use crate::clock::Micros;
use crate::db::Spine;
use crate::error::Result;
use crate::schema::{ACCESS, MEMORIES};

/// Default buffer size (distinct memories) that triggers an opportunistic flush
/// ([`crate::Options::access_flush_at`]). A flush rewrites one `access` row per memory, at
/// random places of the table: a few thousand ids already touch most of its pages, so a larger
/// batch costs little more per flush and much less per id. Each flush's commit also moves the
/// record cache to a new generation (reads in flight then miss it) and re-decodes the shared
/// bitmaps. At 1M memories, 4 096 → 32 768 took the flush thread's share of a context-window
/// run from 16 % to 7 % of the CPU; 32 768 → 131 072 took context_window p95 from 4.1-4.5 (one
/// run 8.0) to 3.2-3.5 ms (docs/design.md, "Access counts"). The buffer holds ~6 MiB at this
/// size, and the batch last written as much again until the next write takes counts; a crash
/// may lose the counts no durable commit carried, never anything else.
pub const FLUSH_AT: usize = 131_072;

/// Whether a background flush runs, and whether the database is closing (no new flush).
#[derive(Default)]
pub(crate) struct Flusher {
    state: Mutex<FlushState>,
    idle: Condvar,
}

#[derive(Default)]
struct FlushState {
    running: bool,
    closing: bool,
}

impl Flusher {
    /// Claims the right to start a flush: false when one runs or the database is closing.
    fn claim(&self) -> bool {
        let Ok(mut s) = self.state.lock() else {
            return false;
        };
        if s.running || s.closing {
            return false;
        }
        s.running = true;
        true
    }

    fn release(&self) {
        if let Ok(mut s) = self.state.lock() {
            s.running = false;
        }
        self.idle.notify_all();
    }

    /// Waits for the flush in progress, if any.
    pub(crate) fn wait_idle(&self) {
        self.wait(false);
    }

    /// No flush starts from now on; waits for the one in progress.
    pub(crate) fn close(&self) {
        self.wait(true);
    }

    fn wait(&self, closing: bool) {
        let Ok(mut s) = self.state.lock() else {
            return;
        };
        s.closing |= closing;
        while s.running {
            s = match self.idle.wait(s) {
                Ok(s) => s,
                Err(_) => return,
            };
        }
    }
}

/// (count delta, last access) per memory id.
type Counts = HashMap<u64, (u64, Micros)>;

/// Pending access counts: those no write has taken yet, and the batch the last write took.
#[derive(Default)]
pub(crate) struct AccessBuffer {
    pending: Mutex<Pending>,
}

#[derive(Default)]
struct Pending {
    counts: Counts,
    /// The counts the last write took into its transaction, and the generation its commit
    /// makes visible (set just before the commit; `None` before, or after a failed commit).
    /// With `None` no snapshot's `access` table holds them, so every read adds them; with `g`
    /// only snapshots older than `g` do. A write that took them and never committed leaves
    /// `None`: the next write takes them back. (Before, a background flush of 100K ids hid
    /// their counts from reads for the few hundred milliseconds it wrote, and a failed write
    /// lost them.)
    in_flight: Option<(Arc<Counts>, Option<u64>)>,
}

fn add(to: &mut (u64, Micros), (n, last): (u64, Micros)) {
    to.0 += n;
    to.1 = to.1.max(last);
}

impl AccessBuffer {
    pub(crate) fn note(&self, ids: impl IntoIterator<Item = u64>, now: Micros) -> usize {
        let Ok(mut p) = self.pending.lock() else {
            return 0;
        };
        for id in ids {
            add(p.counts.entry(id).or_insert((0, now)), (1, now));
        }
        p.counts.len()
    }

    /// What is pending for one id, as seen by a snapshot of `generation` (`None`: uncertain, a
    /// commit was in progress when it began; it is then taken to see the last committed
    /// batch). A snapshot older than the commit of the batch before the last one misses that
    /// batch's counts (only the last batch is kept).
    pub(crate) fn pending(&self, id: u64, generation: Option<u64>) -> Option<(u64, Micros)> {
        let p = self.pending.lock().ok()?;
        let mut out = p.counts.get(&id).copied();
        if let Some((batch, committed)) = &p.in_flight {
            let unseen = match (committed, generation) {
                (None, _) => true,
                (Some(c), Some(g)) => g < *c,
                (Some(_), None) => false,
            };
            if let Some(&c) = unseen.then(|| batch.get(&id)).flatten() {
                add(out.get_or_insert((0, 0)), c);
            }
        }
        out
    }

    /// Takes the pending counts for a write (with those of a write that took them and never
    /// committed), keeping them visible to reads until that write commits.
    fn take(&self) -> Arc<Counts> {
        let Ok(mut p) = self.pending.lock() else {
            return Arc::default();
        };
        if let Some((abandoned, None)) = p.in_flight.take_if(|(_, c)| c.is_none()) {
            for (&id, &c) in abandoned.iter() {
                add(p.counts.entry(id).or_insert((0, 0)), c);
            }
        }
        if p.counts.is_empty() {
            return Arc::default();
        }
        let batch = Arc::new(std::mem::take(&mut p.counts));
        p.in_flight = Some((batch.clone(), None));
        batch
    }

    /// The write that took the last batch is about to commit, which makes `generation`
    /// visible: a snapshot of that generation or later holds the batch in its `access` table
    /// (a failed commit calls [`AccessBuffer::commit_failed`]).
    pub(crate) fn committing(&self, generation: u64) {
        if let Ok(mut p) = self.pending.lock() {
            if let Some((_, c @ None)) = &mut p.in_flight {
                *c = Some(generation);
            }
        }
    }

    /// The commit announced by [`AccessBuffer::committing`] failed: its batch is taken to be in
    /// no table (redb can fail after publishing a commit, in cleanup; reads of that poisoned
    /// handle then count the batch twice until it is reopened).
    pub(crate) fn commit_failed(&self, generation: u64) {
        if let Ok(mut p) = self.pending.lock() {
            if let Some((_, c)) = &mut p.in_flight {
                if *c == Some(generation) {
                    *c = None;
                }
            }
        }
    }

    /// Writes the buffer into `access` inside the caller's transaction, noting the new rows for
    /// the record cache. Ids deleted meanwhile are skipped.
    pub(crate) fn drain_into(
        &self,
        txn: &WriteTransaction,
        records: &crate::record_cache::RecordCache,
    ) -> Result<()> {
        let pending = self.take();
        if pending.is_empty() {
            return Ok(());
        }
        let memories = txn.open_table(MEMORIES)?;
        let mut access = txn.open_table(ACCESS)?;
        let mut ids: Vec<_> = pending.iter().map(|(&id, &c)| (id, c)).collect();
        ids.sort_unstable_by_key(|(id, _)| *id);
        let mut rows = Vec::with_capacity(ids.len());
        for (id, (n, last)) in ids {
            // A memory's access row goes with it (`WriteCtx::remove`), so an id with a row
            // exists; only one without a row yet may have been deleted since it was read, and
            // needs the look at `memories` (a walk of the largest table, once per id).
            let row = match access.get(id)?.map(|v| v.value()) {
                Some((count, prev)) => (count + n, prev.max(last)),
                None if memories.get(id)?.is_some() => (n, last),
                None => continue,
            };
            access.insert(id, row)?;
            rows.push((id, row));
        }
        records.touch_access(rows);
        Ok(())
    }
}

impl Spine {
    /// Counts one access of each id (they were returned to a caller).
    pub fn note_access(&self, ids: &[crate::MemoryId]) {
        let n = self.inner.access.note(ids.iter().map(|i| i.0), self.now());
        let at = self.inner.opts.access_flush_at;
        if at > 0 && n >= at && !self.writer_busy() {
            self.flush_in_background();
        }
    }

    /// Writes pending access counts now (one small write transaction).
    pub fn flush_access(&self) -> Result<()> {
        self.write(|_, _, _| Ok(()))
    }

    /// Starts a thread that writes the pending counts (unless one runs, or the database is
    /// closing). It holds the database only through a weak reference until it writes.
    fn flush_in_background(&self) {
        let flusher = self.inner.flusher.clone();
        if !flusher.claim() {
            return;
        }
        let weak = Arc::downgrade(&self.inner);
        let mine = flusher.clone();
        let spawned = std::thread::Builder::new()
            .name("memspine-access-flush".into())
            .spawn(move || {
                // The weak reference goes before `release`: `reclaim_space` needs the database
                // to itself once no flush runs.
                let inner = weak.upgrade();
                drop(weak);
                if let Some(inner) = inner {
                    let spine = Spine {
                        inner,
                        token: Arc::new(crate::db::HandleToken { worker: true }),
                    };
                    // A busy writer piggybacks the counts on its own commit. Written without
                    // waiting for the disk: counts are what a crash may lose (the next durable
                    // commit, or closing, makes them durable), and an fsync here would only
                    // hold the writer lock longer.
                    if !spine.writer_busy() {
                        let lazy = crate::db::Durability::None;
                        let _ = spine.write_with(lazy, |_, _, _| Ok(()));
                    }
                }
                mine.release();
            });
        if spawned.is_err() {
            flusher.release();
        }
    }
}
