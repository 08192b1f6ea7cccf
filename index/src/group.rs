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
//! A group also holds its slots' sign codes. [`Snapshot::search_grouped`] then follows the
//! same policy as [`Snapshot::search`] over other bytes: a candidate set of at most
//! `exact_below` vectors gets exactly the f32 scan's result (the int8 scan with error bounds of
//! [`crate::vector`]); a larger one gets the same result as `Snapshot::search` — the pool of
//! the best Hamming distances, rescored exactly (here through the int8 bounds, so only the few
//! slots that can still win are read in f32).

use roaring::RoaringBitmap;

use crate::arena::format::INT8_HEADER;
use crate::arena::Snapshot;
use crate::error::Result;
use crate::kernels;
use crate::vector::{par_map, split, Hit, Int8Part, QuantQuery, SearchOptions};

/// Records scored per call of the batched int8 kernel.
const BATCH: usize = 32;
/// Scattered records are prefetched this many ahead.
const AHEAD: usize = 8;

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
    /// `slots.len()` sign codes of `code_words` words.
    codes: Vec<u64>,
    code_words: usize,
    dim: u32,
}

impl Int8Group {
    /// Copies the int8 records of the slots of `slots` that `snap` holds (empty and
    /// unpublished slots are left out).
    pub fn build(snap: &Snapshot, slots: &RoaringBitmap) -> Int8Group {
        let stride = snap.int8_stride();
        let code_words = snap.code_words();
        let eff = slots & snap.present();
        let list: Vec<u32> = eff.iter().collect();
        let mut records = Vec::with_capacity(list.len() * stride);
        let mut codes = Vec::with_capacity(list.len() * code_words);
        let mut kept = Vec::with_capacity(list.len());
        for (i, &slot) in list.iter().enumerate() {
            if let Some(&next) = list.get(i + 8) {
                snap.prefetch_int8(next);
                snap.prefetch_code(next);
            }
            if let (Some(rec), Some(code)) = (snap.int8_record(slot), snap.codes(slot, slot)) {
                records.extend_from_slice(rec);
                codes.extend_from_slice(code);
                kept.push(slot);
            }
        }
        Int8Group {
            set: kept.iter().copied().collect(),
            slots: kept,
            records,
            stride,
            codes,
            code_words,
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

    /// Memory the group holds (records, sign codes and slot lists).
    pub fn bytes(&self) -> usize {
        self.records.capacity()
            + self.codes.capacity() * 8
            + self.slots.capacity() * 4
            + self.set.serialized_size()
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

    /// The sign codes at positions `r`, side by side.
    fn codes_of(&self, r: std::ops::Range<usize>) -> &[u64] {
        self.codes
            .get(r.start * self.code_words..r.end * self.code_words)
            .unwrap_or(&[])
    }

    /// Checks that every copied record and sign code equals the arena's (for `verify`): the
    /// slot of the first that differs, if one does. Slots `snap` does not publish are skipped:
    /// a copy may have been built from a newer snapshot than the one checked against.
    pub fn first_mismatch(&self, snap: &Snapshot) -> Option<u32> {
        self.slots
            .iter()
            .enumerate()
            .filter(|&(_, &slot)| slot < snap.len())
            .find(|&(i, &slot)| {
                snap.int8_record(slot) != self.record(i)
                    || snap.codes(slot, slot) != Some(self.codes_of(i..i + 1))
            })
            .map(|(_, &slot)| slot)
    }

    /// The position of `slot` in the group at or after `*from` (positions ascend with slots:
    /// callers walk ascending slots and pass the same cursor).
    fn position(&self, slot: u32, from: &mut usize) -> Option<usize> {
        while self.slots.get(*from).is_some_and(|&s| s < slot) {
            *from += 1;
        }
        (self.slots.get(*from) == Some(&slot)).then_some(*from)
    }
}

impl Snapshot {
    /// The `k` best slots of `candidates` for `query`: the same result as
    /// [`Snapshot::search`], but reading the records and sign codes of the slots in `group`
    /// from the group's copy (sequentially) and only the others from the arena. Up to
    /// `opts.exact_below` candidates (or the pool's size) the result is exact (the int8 scan
    /// with error bounds, then f32 rescoring); a larger set is searched by the pool of its best
    /// Hamming distances, rescored exactly. `opts.exact` scans f32 instead.
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
        let pool = opts.pool_for(k);
        let n = inside.len() + outside.len();
        if n > opts.exact_below && n > pool as u64 && group.code_words == self.code_words() {
            return Ok(self.grouped_pool(query, k, pool, group, &inside, &outside));
        }
        let q = QuantQuery::new(query);
        let mut parts = vec![self.group_part(&q, k, group, &inside)];
        parts.extend(par_map(split(&outside), |range| {
            self.int8_part(&q, k, &outside, range)
        }));
        Ok(self.finish_int8(query, k, parts))
    }

    /// The quantized path of [`Snapshot::search_grouped`]: the `pool` best (Hamming distance,
    /// slot) pairs of `inside` (from the group's codes) and `outside` (from the arena's), as
    /// `Snapshot::search` picks them, then the exact top `k` of that pool. The pool goes
    /// through the int8 bounds first: of its thousands of slots only those that can still win
    /// are read in f32 (`Snapshot::search` reads them all, scattered over the arena).
    fn grouped_pool(
        &self,
        query: &[f32],
        k: usize,
        pool: usize,
        group: &Int8Group,
        inside: &RoaringBitmap,
        outside: &RoaringBitmap,
    ) -> Vec<Hit> {
        let mut qcode = vec![0u64; self.code_words()];
        kernels::sign_code(query, &mut qcode);
        let mut cands = group_hamming(group, &qcode, pool, inside);
        cands.extend(
            par_map(split(outside), |range| {
                self.hamming_part(&qcode, pool, outside, range)
            })
            .into_iter()
            .flatten(),
        );
        if cands.len() > pool {
            cands.select_nth_unstable(pool);
            cands.truncate(pool);
        }
        let mut slots: Vec<u32> = cands.into_iter().map(|(_, slot)| slot).collect();
        slots.sort_unstable();
        // Each pool slot's record: from the group where it has it, else from the arena. A pool
        // is scattered over the scope (a few thousand of tens of thousands of records): the
        // records are asked for a few slots ahead, so that their loads overlap.
        let mut at = 0;
        let recs: Vec<(u32, Option<&[u8]>)> = slots
            .into_iter()
            .map(|slot| {
                (
                    slot,
                    group.position(slot, &mut at).and_then(|i| group.record(i)),
                )
            })
            .collect();
        let prefetch = |&(slot, rec): &(u32, Option<&[u8]>)| match rec {
            Some(r) => kernels::prefetch(r),
            None => self.prefetch_int8(slot),
        };
        let q = QuantQuery::new(query);
        let mut part = Int8Part::new(k);
        recs.iter().take(AHEAD).for_each(prefetch);
        for (i, &(slot, rec)) in recs.iter().enumerate() {
            if let Some(next) = recs.get(i + AHEAD) {
                prefetch(next);
            }
            let rec = match rec {
                Some(r) => self.decode_int8(r),
                None => self.int8(slot),
            };
            if let Some((scale, error, codes)) = rec {
                part.offer(&q, slot, scale, error, codes);
            }
        }
        self.finish_int8(query, k, vec![part.done()])
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
            let mut at = 0;
            for slot in inside {
                if let Some(i) = group.position(slot, &mut at) {
                    offer(&mut part, i, None);
                }
            }
        }
        part.done()
    }
}

/// The best `pool` (Hamming distance to `qcode`, slot) pairs of `inside` (all in `group`),
/// from the group's codes: every distance first, then a histogram of them gives the distance
/// the pool ends at (two passes over a few dozen KiB, no per-slot branching on a moving bound).
fn group_hamming(
    group: &Int8Group,
    qcode: &[u64],
    pool: usize,
    inside: &RoaringBitmap,
) -> Vec<(u16, u32)> {
    let n = group.len();
    // The positions of `inside` in the group (`None`: all of them), and their distances.
    let (positions, dist) = if inside.len() == n as u64 {
        let mut dist = vec![0u16; n];
        kernels::hamming_many(&group.codes, qcode, &mut dist);
        (None, dist)
    } else {
        let mut at = 0;
        let positions: Vec<usize> = inside
            .iter()
            .filter_map(|slot| group.position(slot, &mut at))
            .collect();
        let mut dist = vec![0u16; positions.len()];
        for (&i, d) in positions.iter().zip(dist.iter_mut()) {
            kernels::hamming_many(group.codes_of(i..i + 1), qcode, std::slice::from_mut(d));
        }
        (Some(positions), dist)
    };
    let slot_of = |j: usize| {
        let i = positions.as_ref().map_or(Some(j), |p| p.get(j).copied());
        i.and_then(|i| group.slots.get(i).copied())
    };
    // The pool's last distance `t` and how many slots at `t` it takes (the lowest ones).
    let mut hist = vec![0usize; qcode.len() * 64 + 1];
    for &d in &dist {
        if let Some(h) = hist.get_mut(usize::from(d)) {
            *h += 1;
        }
    }
    let (mut below, mut t) = (0usize, hist.len());
    for (d, &count) in hist.iter().enumerate() {
        if below + count >= pool {
            t = d;
            break;
        }
        below += count;
    }
    let mut at_t = pool.saturating_sub(below);
    let mut out = Vec::with_capacity(pool.min(dist.len()));
    for (j, &d) in dist.iter().enumerate() {
        let take = match usize::from(d).cmp(&t) {
            std::cmp::Ordering::Less => true,
            std::cmp::Ordering::Equal if at_t > 0 => {
                at_t -= 1;
                true
            }
            _ => false,
        };
        if let (true, Some(slot)) = (take, slot_of(j)) {
            out.push((d, slot));
        }
    }
    out
}
