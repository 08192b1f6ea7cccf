//! Vector search over an arena [`Snapshot`]:
//!
//! - `exact`: a full-precision f32 scan of every candidate;
//! - candidate sets up to `exact_below` (filtered searches): an int8 scan with a per-vector error
//!   bound, then an exact f32 rescoring of every slot whose upper bound can still reach the
//!   k-th best lower bound — the result is exactly the f32 scan's, at a quarter of the bytes read;
//! - larger sets: a 1-bit sign-code Hamming scan that picks a candidate pool, rescored exactly.
//!
//! Vectors are L2-normalised, so the score is the dot product (= cosine). Results are sorted
//! by score descending, ties by slot ascending, and never include empty slots or slots outside
//! the caller's candidate bitmap.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::ops::Range;

use rayon::prelude::*;
use roaring::RoaringBitmap;

use crate::arena::Snapshot;
use crate::error::{Error, Result};
use crate::kernels;

/// Candidate sets up to this size get exact results (int8 scan with error bounds, then f32
/// rescoring of the slots that can still win): filtered searches are exact.
pub const DEFAULT_EXACT_BELOW: u64 = 20_000;
/// Smallest rescoring pool of the quantized path.
pub const DEFAULT_POOL_MIN: usize = 1024;
/// Pool slots per requested hit in the quantized path.
pub const DEFAULT_POOL_PER_K: usize = 64;
/// Below this many candidates a scan runs on the calling thread (rayon's fork costs more).
pub(crate) const PARALLEL_MIN: u64 = 8_192;
/// Slots whose Hamming distances are computed per kernel call (fits in L1).
const BLOCK: usize = 2_048;
/// Scattered-slot scans prefetch the record this many slots ahead (int8 records).
const AHEAD_INT8: usize = 8;
/// The same for f32 vectors (4 × dim bytes each).
const AHEAD_F32: usize = 4;
/// The same for sign codes (one cache line at 384-d).
const AHEAD_CODE: usize = 16;
/// A range holding fewer than one slot in `SPARSE` is scanned slot by slot with prefetching
/// instead of block by block.
const SPARSE: u64 = 8;

/// How to search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchOptions {
    /// Scan full-precision vectors for every candidate (no quantization).
    pub exact: bool,
    /// Candidate sets of at most this many vectors are always scanned exactly.
    pub exact_below: u64,
    /// Rescoring pool of the quantized path; 0 picks `max(DEFAULT_POOL_MIN,
    /// k × DEFAULT_POOL_PER_K)`.
    pub pool: usize,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            exact: false,
            exact_below: DEFAULT_EXACT_BELOW,
            pool: 0,
        }
    }
}

impl SearchOptions {
    /// Options for an exact full-precision scan.
    pub fn exact() -> Self {
        SearchOptions {
            exact: true,
            ..Self::default()
        }
    }

    pub(crate) fn pool_for(&self, k: usize) -> usize {
        if self.pool > 0 {
            self.pool.max(k)
        } else {
            DEFAULT_POOL_MIN.max(k.saturating_mul(DEFAULT_POOL_PER_K))
        }
    }
}

/// One search result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// The arena slot.
    pub slot: u32,
    /// Dot product with the query (cosine for normalised vectors).
    pub score: f32,
}

impl Eq for Hit {}

impl Ord for Hit {
    /// "Greater" means better: higher score, then lower slot.
    fn cmp(&self, other: &Self) -> Ordering {
        self.score
            .total_cmp(&other.score)
            .then_with(|| other.slot.cmp(&self.slot))
    }
}

impl PartialOrd for Hit {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Snapshot {
    /// The `k` best slots among `candidates` (slots to consider; empty and unpublished slots
    /// are skipped) for `query`, which must have the arena's dimension and finite components
    /// (normalise it for cosine scores).
    pub fn search(
        &self,
        query: &[f32],
        k: usize,
        candidates: &RoaringBitmap,
        opts: &SearchOptions,
    ) -> Result<Vec<Hit>> {
        self.check_query(query)?;
        if k == 0 {
            return Ok(Vec::new());
        }
        let eff = candidates & self.present();
        let n = eff.len();
        let pool = opts.pool_for(k);
        if opts.exact {
            return Ok(self.exact_scan(query, k, &eff));
        }
        if n <= opts.exact_below || n <= pool as u64 {
            return Ok(self.int8_scan(query, k, &eff));
        }
        Ok(self.quantized_scan(query, k, pool, &eff))
    }

    pub(crate) fn check_query(&self, query: &[f32]) -> Result<()> {
        if query.len() != self.dim() as usize {
            return Err(Error::DimensionMismatch {
                expected: self.dim(),
                got: u32::try_from(query.len()).unwrap_or(u32::MAX),
            });
        }
        match query.iter().position(|x| !x.is_finite()) {
            Some(index) => Err(Error::NonFiniteVector { index }),
            None => Ok(()),
        }
    }

    /// Exact f32 scan of every slot in `eff`.
    fn exact_scan(&self, query: &[f32], k: usize, eff: &RoaringBitmap) -> Vec<Hit> {
        par_map(split(eff), |range| self.exact_part(query, k, eff, range))
            .into_iter()
            .fold(TopK::new(k), TopK::merge)
            .into_sorted()
    }

    fn exact_part(&self, query: &[f32], k: usize, eff: &RoaringBitmap, r: Range<u32>) -> TopK {
        let slots: Vec<u32> = eff.range(r).collect();
        self.rescore(query, k, &slots)
    }

    /// Exact f32 scores of `slots` (any order), the best `k` kept; prefetches ahead, so
    /// scattered slots load in parallel.
    fn rescore(&self, query: &[f32], k: usize, slots: &[u32]) -> TopK {
        let mut top = TopK::new(k);
        for (i, &slot) in slots.iter().enumerate() {
            if let Some(&next) = slots.get(i + AHEAD_F32) {
                self.prefetch_vector(next);
            }
            if let Some(v) = self.vector_unchecked(slot) {
                top.offer(Hit {
                    slot,
                    score: kernels::dot(query, v),
                });
            }
        }
        top
    }

    /// Exact top-k through the int8 codes: each slot's int8 score `a` is within `m = ‖q‖·error +
    /// δ` of its f32 score (`error` from the record, δ a float-rounding allowance), so with `T`
    /// the k-th best lower bound `a − m`, every slot of the true top-k has `a + m ≥ T`. Those
    /// slots (usually a few times k) are rescored in f32; the result equals [`Self::exact_scan`].
    ///
    /// The query itself is quantized to i16 (`q = step·d + e`) so the scan is an integer dot
    /// product; its error adds `s·‖c‖·‖e‖ ≤ s·127·√dim·‖e‖` to each slot's margin.
    fn int8_scan(&self, query: &[f32], k: usize, eff: &RoaringBitmap) -> Vec<Hit> {
        let q = QuantQuery::new(query);
        let parts = par_map(split(eff), |range| self.int8_part(&q, k, eff, range));
        self.finish_int8(query, k, parts)
    }

    /// The exact top `k` from the parts of an int8 scan: every slot whose upper bound reaches
    /// the k-th best lower bound over all parts, rescored in f32.
    pub(crate) fn finish_int8(&self, query: &[f32], k: usize, parts: Vec<Int8Part>) -> Vec<Hit> {
        let mut lows: Vec<f32> = parts.iter().flat_map(|p| p.lows.iter().copied()).collect();
        let threshold = if lows.len() >= k {
            let (_, kth, _) = lows.select_nth_unstable_by(k - 1, |a, b| b.total_cmp(a));
            *kth
        } else {
            f32::NEG_INFINITY
        };
        let cands: Vec<u32> = parts
            .iter()
            .flat_map(|p| p.cands.iter())
            .filter(|(hi, _)| *hi >= threshold)
            .map(|&(_, slot)| slot)
            .collect();
        par_map(cands.chunks(512).collect(), |chunk| {
            self.rescore(query, k, chunk)
        })
        .into_iter()
        .fold(TopK::new(k), TopK::merge)
        .into_sorted()
    }

    /// The int8 part of the slots of `eff ∩ r`, read from the arena (scattered: prefetched).
    pub(crate) fn int8_part(
        &self,
        q: &QuantQuery,
        k: usize,
        eff: &RoaringBitmap,
        r: Range<u32>,
    ) -> Int8Part {
        let mut part = Int8Part::new(k);
        let slots: Vec<u32> = eff.range(r).collect();
        for (i, &slot) in slots.iter().enumerate() {
            if let Some(&next) = slots.get(i + AHEAD_INT8) {
                self.prefetch_int8(next);
            }
            if let Some((scale, error, codes)) = self.int8(slot) {
                part.offer(q, slot, scale, error, codes);
            }
        }
        part.done()
    }

    /// [`Snapshot::search`] through a partitioned index: when the search is not exact and
    /// `candidates` holds more than `exact_below` vectors, only the lists of the index's
    /// `nprobe` nearest centroids (their codes side by side in memory) and the slots it does not
    /// cover yet are scanned, keeping the slots of `candidates`; the pool of the best Hamming
    /// distances is rescored in f32. Otherwise the same as [`Snapshot::search`].
    pub fn search_partitioned(
        &self,
        query: &[f32],
        k: usize,
        candidates: &RoaringBitmap,
        ivf: &crate::ivf::Ivf,
        opts: &SearchOptions,
    ) -> Result<Vec<Hit>> {
        self.check_query(query)?;
        let eff = candidates & self.present();
        let pool = opts.pool_for(k);
        if k == 0
            || opts.exact
            || eff.len() <= opts.exact_below
            || eff.len() <= pool as u64
            || ivf.dim() != self.dim()
            || ivf.nprobe() >= ivf.lists()
        {
            return self.search(query, k, &eff, opts);
        }
        let mut qcode = vec![0u64; self.code_words()];
        kernels::sign_code(query, &mut qcode);
        let cw = ivf.code_words();
        let lists = ivf.lists_for(query, ivf.nprobe());
        let mut parts: Vec<Vec<(u16, u32)>> = lists
            .par_iter()
            .map(|&j| {
                let list = ivf.list(j);
                let mut sel = PoolSelect::new(pool, qcode.len() * 64);
                let mut dist = vec![0u16; BLOCK];
                for (slots, codes) in list.slots.chunks(BLOCK).zip(list.codes.chunks(BLOCK * cw)) {
                    let out = &mut dist[..slots.len()];
                    kernels::hamming_many(codes, &qcode, out);
                    for (&slot, &d) in slots.iter().zip(out.iter()) {
                        if eff.contains(slot) {
                            sel.offer(slot, d);
                        }
                    }
                }
                sel.buf
            })
            .collect();
        let mut tail = eff.clone();
        tail.remove_range(..ivf.covered());
        if !tail.is_empty() {
            parts.extend(
                split(&tail)
                    .into_par_iter()
                    .map(|range| self.hamming_part(&qcode, pool, &tail, range))
                    .collect::<Vec<_>>(),
            );
        }
        let cands: Vec<(u16, u32)> = parts.into_iter().flatten().collect();
        Ok(self.rescore_pool(query, k, pool, cands))
    }

    /// The exact top `k` of the best `pool` of `(distance, slot)` candidates, by f32 rescoring.
    fn rescore_pool(
        &self,
        query: &[f32],
        k: usize,
        pool: usize,
        mut cands: Vec<(u16, u32)>,
    ) -> Vec<Hit> {
        if cands.len() > pool {
            cands.select_nth_unstable(pool);
            cands.truncate(pool);
        }
        let mut slots: Vec<u32> = cands.iter().map(|&(_, slot)| slot).collect();
        // In file order: neighbouring reads share page-table walks and readahead.
        slots.sort_unstable();
        let tops = slots
            .par_chunks(256)
            .map(|chunk| self.rescore(query, k, chunk));
        tops.reduce(|| TopK::new(k), TopK::merge).into_sorted()
    }

    /// Hamming scan of the sign codes for a pool of `pool` candidates, rescored exactly.
    fn quantized_scan(
        &self,
        query: &[f32],
        k: usize,
        pool: usize,
        eff: &RoaringBitmap,
    ) -> Vec<Hit> {
        let mut qcode = vec![0u64; self.code_words()];
        kernels::sign_code(query, &mut qcode);
        let cands: Vec<(u16, u32)> = par_map(split(eff), |range| {
            self.hamming_part(&qcode, pool, eff, range)
        })
        .into_iter()
        .flatten()
        .collect();
        self.rescore_pool(query, k, pool, cands)
    }

    /// The best `pool` slots of `eff ∩ r` by (Hamming distance, slot).
    pub(crate) fn hamming_part(
        &self,
        qcode: &[u64],
        pool: usize,
        eff: &RoaringBitmap,
        r: Range<u32>,
    ) -> Vec<(u16, u32)> {
        let mut sel = PoolSelect::new(pool, qcode.len() * 64);
        let mut dist = vec![0u16; BLOCK];
        let span = u64::from(r.end.saturating_sub(r.start));
        if eff.range_cardinality(r.clone()).saturating_mul(SPARSE) < span {
            // A sparse set (one heavy user's memories among everyone's): codes are scattered,
            // one cache line each, so score slot by slot with the next ones prefetched.
            let slots: Vec<u32> = eff.range(r).collect();
            for chunk in slots.chunks(BLOCK) {
                for (i, (&slot, d)) in chunk.iter().zip(dist.iter_mut()).enumerate() {
                    if let Some(&next) = chunk.get(i + AHEAD_CODE) {
                        self.prefetch_code(next);
                    }
                    match self.codes(slot, slot) {
                        Some(c) => kernels::hamming_many(c, qcode, std::slice::from_mut(d)),
                        None => *d = u16::MAX,
                    }
                }
                sel.offer_slots(chunk, &dist);
            }
            return sel.buf;
        }
        let mut it = eff.range(r);
        while let Some(run) = it.next_range() {
            let (mut first, last) = (*run.start(), *run.end());
            loop {
                let end = last.min(first.saturating_add(BLOCK as u32 - 1));
                let n = (end - first + 1) as usize;
                if let (Some(codes), Some(out)) = (self.codes(first, end), dist.get_mut(..n)) {
                    kernels::hamming_many(codes, qcode, out);
                    sel.offer_block(first, out);
                }
                if end == last {
                    break;
                }
                first = end + 1;
            }
        }
        sel.buf
    }
}

/// A query quantized for the int8 scan: `query ≈ step · codes`.
pub(crate) struct QuantQuery {
    pub(crate) codes: Vec<i16>,
    step: f32,
    /// `‖query‖`, rounded up.
    norm: f32,
    /// `127 · √dim · ‖query − step·codes‖`, rounded up: times a slot's scale, bounds the error
    /// the query's quantization adds to that slot's score.
    code_error: f32,
    /// Allowance for float rounding in the scores (the f32 product included).
    delta: f32,
}

impl QuantQuery {
    pub(crate) fn new(query: &[f32]) -> QuantQuery {
        let dim = query.len().max(1) as f64;
        // Largest code magnitude keeping Σ|d_i|·127 within i32 (32 767 up to 516 dims).
        let top = (f64::from(i32::MAX) / (127.0 * dim)).floor().min(32_767.0);
        let max = query.iter().fold(0f32, |m, x| m.max(x.abs()));
        let step = if max > 0.0 { max / top as f32 } else { 0.0 };
        let mut codes = Vec::with_capacity(query.len());
        let (mut e2, mut n2) = (0f64, 0f64);
        for x in query {
            let d = if step > 0.0 {
                (x / step).round().clamp(-top as f32, top as f32)
            } else {
                0.0
            };
            codes.push(d as i16);
            let e = f64::from(*x) - f64::from(step) * f64::from(d);
            e2 += e * e;
            n2 += f64::from(*x) * f64::from(*x);
        }
        let up = 1.0 + 1e-6;
        let norm = (n2.sqrt() * up) as f32;
        QuantQuery {
            codes,
            step,
            norm,
            code_error: (127.0 * dim.sqrt() * e2.sqrt() * up) as f32,
            delta: dim as f32 * 3e-7 * norm + 1e-6,
        }
    }
}

/// One part of an int8 scan: its k best lower bounds and every slot whose upper bound reached
/// the part's k-th best lower bound at the time it was seen, with that upper bound.
pub(crate) struct Int8Part {
    k: usize,
    /// Min-heap of the k best lower bounds seen.
    heap: BinaryHeap<std::cmp::Reverse<TotalF32>>,
    /// The k-th best lower bound so far (−∞ until k were seen).
    floor: f32,
    lows: Vec<f32>,
    cands: Vec<(f32, u32)>,
}

impl Int8Part {
    pub(crate) fn new(k: usize) -> Int8Part {
        Int8Part {
            k,
            heap: BinaryHeap::with_capacity(k + 1),
            floor: f32::NEG_INFINITY,
            lows: Vec::new(),
            cands: Vec::new(),
        }
    }

    /// Scores one int8 record (`scale`, `error` and `codes` as stored) and keeps the slot if
    /// its upper bound can still reach the top `k`.
    #[inline]
    pub(crate) fn offer(
        &mut self,
        q: &QuantQuery,
        slot: u32,
        scale: f32,
        error: f32,
        codes: &[u8],
    ) {
        self.offer_dot(q, slot, scale, error, kernels::dot_i8_i16(&q.codes, codes));
    }

    /// [`Int8Part::offer`] with the record's integer dot with the query's codes computed.
    #[inline]
    pub(crate) fn offer_dot(
        &mut self,
        q: &QuantQuery,
        slot: u32,
        scale: f32,
        error: f32,
        dot: i32,
    ) {
        let a = scale * q.step * dot as f32;
        let m = q.norm * error + scale * q.code_error + q.delta;
        let (lo, hi) = (a - m, a + m);
        if hi < self.floor {
            return;
        }
        self.cands.push((hi, slot));
        if self.heap.len() < self.k {
            self.heap.push(std::cmp::Reverse(TotalF32(lo)));
        } else if let Some(mut worst) = self.heap.peek_mut() {
            if lo > worst.0 .0 {
                worst.0 = TotalF32(lo);
            }
        }
        if self.heap.len() >= self.k {
            self.floor = self.heap.peek().map_or(self.floor, |w| w.0 .0);
        }
    }

    /// Ends the part: its lower bounds become readable.
    pub(crate) fn done(mut self) -> Int8Part {
        self.lows = std::mem::take(&mut self.heap)
            .into_iter()
            .map(|w| w.0 .0)
            .collect();
        self
    }
}

/// An f32 ordered by `total_cmp` (the bounds are finite: vectors and queries are checked).
#[derive(Debug, Clone, Copy, PartialEq)]
struct TotalF32(f32);

impl Eq for TotalF32 {}

impl Ord for TotalF32 {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

impl PartialOrd for TotalF32 {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// `items` mapped by `f`, in parallel when there is more than one. A parallel iterator started
/// from a thread outside rayon's pool hands its work to a pool thread and sleeps until it is
/// done — tens of microseconds of wake-ups, more than a small scan costs — so a single item is
/// mapped on the calling thread.
pub(crate) fn par_map<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Send + Sync) -> Vec<R> {
    if items.len() <= 1 {
        items.into_iter().map(f).collect()
    } else {
        items.into_par_iter().map(f).collect()
    }
}

/// Splits `eff` into slot ranges of about equal cardinality, one per worker (one range when
/// the set is too small to be worth forking).
pub(crate) fn split(eff: &RoaringBitmap) -> Vec<Range<u32>> {
    let n = eff.len();
    let (Some(min), Some(max)) = (eff.min(), eff.max()) else {
        return Vec::new();
    };
    let end = max.saturating_add(1);
    if n < PARALLEL_MIN {
        return std::iter::once(min..end).collect();
    }
    let parts = (rayon::current_num_threads() as u64 * 2).max(1);
    let mut bounds: Vec<u32> = (1..parts)
        .filter_map(|i| eff.select((n * i / parts) as u32))
        .collect();
    bounds.insert(0, min);
    bounds.push(end);
    bounds.dedup();
    bounds.windows(2).map(|w| w[0]..w[1]).collect()
}

/// Keeps the best `k` hits (a min-heap on "better").
#[derive(Debug)]
struct TopK {
    k: usize,
    heap: BinaryHeap<std::cmp::Reverse<Hit>>,
}

impl TopK {
    fn new(k: usize) -> Self {
        TopK {
            k,
            heap: BinaryHeap::with_capacity(k + 1),
        }
    }

    fn offer(&mut self, hit: Hit) {
        if self.heap.len() < self.k {
            self.heap.push(std::cmp::Reverse(hit));
        } else if let Some(mut worst) = self.heap.peek_mut() {
            if hit > worst.0 {
                worst.0 = hit;
            }
        }
    }

    fn merge(mut self, other: TopK) -> TopK {
        other.heap.into_iter().for_each(|h| self.offer(h.0));
        self
    }

    fn into_sorted(self) -> Vec<Hit> {
        // Ascending `Reverse` = best first.
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|h| h.0)
            .collect()
    }
}

/// Streaming selection of the `pool` smallest (distance, slot) pairs, for slots offered in
/// ascending order. Invariant: `buf` holds every offered pair with `d < limit`, and once the
/// limit has been lowered, at least `pool` pairs with `d ≤ limit`, all with lower slots than
/// any later offer — so later pairs at distance `limit` can be dropped.
#[derive(Debug)]
struct PoolSelect {
    pool: usize,
    limit: u32,
    hist: Vec<u32>,
    buf: Vec<(u16, u32)>,
}

impl PoolSelect {
    fn new(pool: usize, max_distance: usize) -> Self {
        PoolSelect {
            pool,
            limit: u32::MAX,
            hist: vec![0; max_distance + 1],
            buf: Vec::with_capacity(pool * 2),
        }
    }

    fn offer_block(&mut self, first: u32, dist: &[u16]) {
        for (slot, &d) in (first..).zip(dist) {
            self.offer(slot, d);
        }
    }

    /// Offers `slots[i]` at distance `dist[i]` (ascending slots; `dist` may be longer).
    fn offer_slots(&mut self, slots: &[u32], dist: &[u16]) {
        for (&slot, &d) in slots.iter().zip(dist) {
            self.offer(slot, d);
        }
    }

    #[inline]
    fn offer(&mut self, slot: u32, d: u16) {
        {
            if u32::from(d) < self.limit {
                self.buf.push((d, slot));
                if let Some(h) = self.hist.get_mut(usize::from(d)) {
                    *h += 1;
                }
                if self.buf.len() >= self.pool * 2 {
                    self.shrink();
                }
            }
        }
    }

    /// Keeps the best `pool` pairs and lowers the limit to the worst kept distance.
    fn shrink(&mut self) {
        let mut seen = 0usize;
        let mut t = 0usize;
        for (d, &c) in self.hist.iter().enumerate() {
            seen += c as usize;
            t = d;
            if seen >= self.pool {
                break;
            }
        }
        let mut at_t = self
            .pool
            .saturating_sub(seen - self.hist.get(t).copied().unwrap_or(0) as usize);
        self.buf.retain(|&(d, _)| match usize::from(d).cmp(&t) {
            Ordering::Less => true,
            Ordering::Equal if at_t > 0 => {
                at_t -= 1;
                true
            }
            _ => false,
        });
        self.hist.iter_mut().for_each(|h| *h = 0);
        for &(d, _) in &self.buf {
            if let Some(h) = self.hist.get_mut(usize::from(d)) {
                *h += 1;
            }
        }
        self.limit = t as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_select_keeps_the_smallest_pairs() {
        let dist: Vec<u16> = (0..10_000u32).map(|i| ((i * 7919) % 97) as u16).collect();
        let mut sel = PoolSelect::new(50, 100);
        sel.offer_block(0, &dist);
        let mut got = sel.buf;
        got.sort();
        got.truncate(50);
        let mut want: Vec<(u16, u32)> = dist.iter().copied().zip(0..).collect();
        want.sort();
        want.truncate(50);
        assert_eq!(got, want);
    }

    #[test]
    fn topk_orders_by_score_then_slot() {
        let mut t = TopK::new(2);
        for (slot, score) in [(5, 0.5), (3, 0.5), (9, 0.9), (1, 0.1)] {
            t.offer(Hit { slot, score });
        }
        let slots: Vec<u32> = t.into_sorted().iter().map(|h| h.slot).collect();
        assert_eq!(slots, vec![9, 3]);
    }
}
