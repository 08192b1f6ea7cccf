//! Scope-local copies of int8 records: the records of one scope's slots (a user's memories,
//! say) side by side in memory, so that a scoped search reads them sequentially instead of
//! gathering one record per 4 KiB page from all over the arena.
//!
//! A scoped search of 10K memories in a 1M arena touches ~10K scattered int8 records (7 cache
//! lines each): it is bound by how many cache misses the memory system keeps in flight, not by
//! bandwidth. The same records copied side by side stream at bandwidth speed. A group is a
//! copy, never the source of truth: slots are append-only and a published slot's record never
//! changes, so a group built from any snapshot stays true for every later snapshot of the same
//! arena. What the group lacks (slots stored or re-assigned after it was built, or moved into
//! the scope by an update) is read from the arena as before.
//!
//! The result of [`Snapshot::search_grouped`] equals the exact f32 scan's (it is the int8 scan
//! with error bounds of [`crate::vector`], over other bytes).

use roaring::RoaringBitmap;

use crate::arena::format::INT8_HEADER;
use crate::arena::Snapshot;
use crate::error::Result;
use crate::kernels;
use crate::vector::{par_map, split, Hit, Int8Part, QuantQuery, SearchOptions};

/// Records scored per call of the batched int8 kernel.
const BATCH: usize = 32;

/// The int8 records of a set of slots, in slot order, side by side.
#[derive(Debug)]
pub struct Int8Group {
    /// The slots, ascending.
    slots: Vec<u32>,
    /// The same slots as a bitmap.
    set: RoaringBitmap,
    /// `slots.len()` records of `stride` bytes.
    records: Vec<u8>,
    stride: usize,
    dim: u32,
}

impl Int8Group {
    /// Copies the int8 records of the slots of `slots` that `snap` holds (empty and
    /// unpublished slots are left out).
    pub fn build(snap: &Snapshot, slots: &RoaringBitmap) -> Int8Group {
        let stride = snap.int8_stride();
        let eff = slots & snap.present();
        let list: Vec<u32> = eff.iter().collect();
        let mut records = Vec::with_capacity(list.len() * stride);
        let mut kept = Vec::with_capacity(list.len());
        for (i, &slot) in list.iter().enumerate() {
            if let Some(&next) = list.get(i + 8) {
                snap.prefetch_int8(next);
            }
            if let Some(rec) = snap.int8_record(slot) {
                records.extend_from_slice(rec);
                kept.push(slot);
            }
        }
        Int8Group {
            set: kept.iter().copied().collect(),
            slots: kept,
            records,
            stride,
            dim: snap.dim(),
        }
    }

    /// Slots in the group.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether the group is empty.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The group's slots.
    pub fn slots(&self) -> &RoaringBitmap {
        &self.set
    }

    /// Memory the group holds (records and slot lists).
    pub fn bytes(&self) -> usize {
        self.records.capacity() + self.slots.capacity() * 4 + self.set.serialized_size()
    }

    /// The records at positions `r`, side by side.
    fn records_of(&self, r: std::ops::Range<usize>) -> &[u8] {
        self.records
            .get(r.start * self.stride..r.end * self.stride)
            .unwrap_or(&[])
    }

    /// The record at position `i`.
    fn record(&self, i: usize) -> Option<&[u8]> {
        self.records.get(i * self.stride..(i + 1) * self.stride)
    }

    /// Checks that every copied record equals the arena's (for `verify`): the slot of the
    /// first that differs, if one does. Slots `snap` does not publish are skipped: a copy may
    /// have been built from a newer snapshot than the one checked against.
    pub fn first_mismatch(&self, snap: &Snapshot) -> Option<u32> {
        self.slots
            .iter()
            .enumerate()
            .filter(|&(_, &slot)| slot < snap.len())
            .find(|&(i, &slot)| snap.int8_record(slot) != self.record(i))
            .map(|(_, &slot)| slot)
    }
}

impl Snapshot {
    /// The exact `k` best slots of `candidates` for `query`, like [`Snapshot::search`] on a
    /// candidate set small enough to be scanned exactly, but reading the records of the slots
    /// in `group` from the group's copy (sequentially) and only the others from the arena.
    /// Every candidate set size is scanned exactly here (the int8 scan with error bounds, then
    /// f32 rescoring): a caller routes sets too large for that to [`Snapshot::search`].
    /// `opts.exact` scans f32 instead.
    pub fn search_grouped(
        &self,
        query: &[f32],
        k: usize,
        candidates: &RoaringBitmap,
        group: &Int8Group,
        opts: &SearchOptions,
    ) -> Result<Vec<Hit>> {
        self.check_query(query)?;
        if k == 0 {
            return Ok(Vec::new());
        }
        if opts.exact || group.dim != self.dim() || group.stride != self.int8_stride() {
            return self.search(query, k, candidates, &SearchOptions::exact());
        }
        // The common case first: the candidates are the group (a search by scope alone, no
        // change since the copy was built). A group holds only slots that were present when
        // it was built, and a published slot stays present, so below `len()` all are.
        let whole =
            candidates == group.slots() && group.slots().max().is_none_or(|m| m < self.len());
        let (inside, outside) = if whole {
            (
                std::borrow::Cow::Borrowed(group.slots()),
                RoaringBitmap::new(),
            )
        } else {
            let eff = candidates & self.present();
            let inside = &eff & group.slots();
            let outside = eff - &inside;
            (std::borrow::Cow::Owned(inside), outside)
        };
        let q = QuantQuery::new(query);
        let mut parts = vec![self.group_part(&q, k, group, &inside)];
        parts.extend(par_map(split(&outside), |range| {
            self.int8_part(&q, k, &outside, range)
        }));
        Ok(self.finish_int8(query, k, parts))
    }

    /// The int8 part of the slots of `inside` (all in `group`), read from the group.
    ///
    /// On one core: the scan streams the copy at memory speed, and splitting it across cores
    /// did not pay for handing half of it to another thread, whether other searches ran or not
    /// (10K of 1M, one / two threads searching: p95 0.37–0.44 / 0.60–0.66 ms split, 0.34–0.37 /
    /// 0.39–0.46 ms not; `memspine-bench --ops scoped_search_10k --threads 1|2`).
    fn group_part(
        &self,
        q: &QuantQuery,
        k: usize,
        group: &Int8Group,
        inside: &RoaringBitmap,
    ) -> Int8Part {
        let mut part = Int8Part::new(k);
        let offer = |part: &mut Int8Part, i: usize, dot: Option<i32>| {
            let rec = group.record(i).and_then(|r| self.decode_int8(r));
            if let (Some(&slot), Some((scale, error, codes))) = (group.slots.get(i), rec) {
                match dot {
                    Some(dot) => part.offer_dot(q, slot, scale, error, dot),
                    None => part.offer(q, slot, scale, error, codes),
                }
            }
        };
        let n = group.len();
        if inside.len() == n as u64 {
            // A scope without other filters: every record, in order, the dots a block at a
            // time.
            let mut dots = [0i32; BATCH];
            for b in (0..n).step_by(BATCH) {
                let e = (b + BATCH).min(n);
                let (recs, dots) = (group.records_of(b..e), &mut dots[..e - b]);
                kernels::dot_i8_i16_many(&q.codes, recs, group.stride, INT8_HEADER, dots);
                for (i, &dot) in (b..e).zip(dots.iter()) {
                    offer(&mut part, i, Some(dot));
                }
            }
        } else {
            // A merge of the candidates (a subset of the group) with the group's slots.
            let mut i = 0;
            for slot in inside {
                while group.slots.get(i).is_some_and(|&s| s < slot) {
                    i += 1;
                }
                if group.slots.get(i) == Some(&slot) {
                    offer(&mut part, i, None);
                }
            }
        }
        part.done()
    }
}
