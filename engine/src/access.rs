//! Access tracking: memories returned to a caller get their access count and last-access time
//! bumped without turning a read into a write. Reads add to an in-memory buffer; the buffer is
//! written into the `access` table by the next write transaction (piggyback), by
//! [`Spine::flush_access`], when it grows past [`FLUSH_AT`] entries (only if the writer is free),
//! and when the last handle is dropped. Counts pending in the buffer are merged into what reads
//! return, so callers see them at once; a crash loses at most the unflushed counts, never data.

use std::collections::HashMap;
use std::sync::Mutex;

use redb::{ReadableTable, WriteTransaction};

use crate::clock::Micros;
use crate::db::Spine;
use crate::error::Result;
use crate::schema::{ACCESS, MEMORIES};

/// Buffer size that triggers an opportunistic flush.
pub const FLUSH_AT: usize = 4096;

/// Pending (count delta, last access) per memory id.
#[derive(Default)]
pub(crate) struct AccessBuffer {
    pending: Mutex<HashMap<u64, (u64, Micros)>>,
}

impl AccessBuffer {
    pub(crate) fn note(&self, ids: impl IntoIterator<Item = u64>, now: Micros) -> usize {
        let Ok(mut p) = self.pending.lock() else {
            return 0;
        };
        for id in ids {
            let e = p.entry(id).or_insert((0, now));
            e.0 += 1;
            e.1 = e.1.max(now);
        }
        p.len()
    }

    /// What is pending for one id.
    pub(crate) fn pending(&self, id: u64) -> Option<(u64, Micros)> {
        self.pending.lock().ok()?.get(&id).copied()
    }

    fn take(&self) -> HashMap<u64, (u64, Micros)> {
        self.pending
            .lock()
            .map(|mut p| std::mem::take(&mut *p))
            .unwrap_or_default()
    }

    /// Writes the buffer into `access` inside the caller's transaction. Ids deleted meanwhile are skipped.
    pub(crate) fn drain_into(&self, txn: &WriteTransaction) -> Result<()> {
        let pending = self.take();
        if pending.is_empty() {
            return Ok(());
        }
        let memories = txn.open_table(MEMORIES)?;
        let mut access = txn.open_table(ACCESS)?;
        let mut ids: Vec<_> = pending.into_iter().collect();
        ids.sort_unstable_by_key(|(id, _)| *id);
        for (id, (n, last)) in ids {
            if memories.get(id)?.is_none() {
                continue;
            }
            let (count, prev) = access.get(id)?.map(|v| v.value()).unwrap_or((0, 0));
            access.insert(id, (count + n, prev.max(last)))?;
        }
        Ok(())
    }
}

impl Spine {
    /// Counts one access of each id (they were returned to a caller).
    pub fn note_access(&self, ids: &[crate::MemoryId]) {
        let n = self.inner.access.note(ids.iter().map(|i| i.0), self.now());
        if n >= FLUSH_AT {
            let _ = self.try_flush_access();
        }
    }

    /// Writes pending access counts now (one small write transaction).
    pub fn flush_access(&self) -> Result<()> {
        self.write(|_, _, _| Ok(()))
    }

    fn try_flush_access(&self) -> Result<()> {
        if self.writer_busy() {
            return Ok(()); // the writer will piggyback them
        }
        self.flush_access()
    }
}
