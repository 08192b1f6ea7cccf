//! Vector search over an arena [`Snapshot`]: exact f32 scans for small or `exact` searches,
//! otherwise a 1-bit sign-code Hamming scan that picks a candidate pool, rescored exactly.
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

/// Candidate sets up to this size are scanned exactly in f32 (filtered searches are exact).
pub const DEFAULT_EXACT_BELOW: u64 = 20_000;
/// Smallest rescoring pool of the quantized path.
pub const DEFAULT_POOL_MIN: usize = 1024;
/// Pool slots per requested hit in the quantized path.
pub const DEFAULT_POOL_PER_K: usize = 64;
/// Below this many candidates a scan runs on the calling thread (rayon's fork costs more).
const PARALLEL_MIN: u64 = 8_192;
/// Slots whose Hamming distances are computed per kernel call (fits in L1).
const BLOCK: usize = 2_048;

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

    fn pool_for(&self, k: usize) -> usize {
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
        if opts.exact || n <= opts.exact_below || n <= pool as u64 {
            return Ok(self.exact_scan(query, k, &eff));
        }
        Ok(self.quantized_scan(query, k, pool, &eff))
    }

    fn check_query(&self, query: &[f32]) -> Result<()> {
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
        let tops = split(eff)
            .into_par_iter()
            .map(|range| self.exact_part(query, k, eff, range));
        tops.reduce(|| TopK::new(k), TopK::merge).into_sorted()
    }

    fn exact_part(&self, query: &[f32], k: usize, eff: &RoaringBitmap, r: Range<u32>) -> TopK {
        let mut top = TopK::new(k);
        let mut it = eff.range(r);
        while let Some(run) = it.next_range() {
            for slot in run {
                if let Some(v) = self.vector_unchecked(slot) {
                    top.offer(Hit {
                        slot,
                        score: kernels::dot(query, v),
                    });
                }
            }
        }
        top
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
        let mut cands: Vec<(u16, u32)> = split(eff)
            .into_par_iter()
            .map(|range| self.hamming_part(&qcode, pool, eff, range))
            .reduce(Vec::new, |mut a, b| {
                a.extend(b);
                a
            });
        if cands.len() > pool {
            cands.select_nth_unstable(pool);
            cands.truncate(pool);
        }
        let tops = cands.par_chunks(256).map(|chunk| {
            let mut top = TopK::new(k);
            for &(_, slot) in chunk {
                if let Some(v) = self.vector_unchecked(slot) {
                    top.offer(Hit {
                        slot,
                        score: kernels::dot(query, v),
                    });
                }
            }
            top
        });
        tops.reduce(|| TopK::new(k), TopK::merge).into_sorted()
    }

    /// The best `pool` slots of `eff ∩ r` by (Hamming distance, slot).
    fn hamming_part(
        &self,
        qcode: &[u64],
        pool: usize,
        eff: &RoaringBitmap,
        r: Range<u32>,
    ) -> Vec<(u16, u32)> {
        let mut sel = PoolSelect::new(pool, qcode.len() * 64);
        let mut dist = vec![0u16; BLOCK];
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

/// Splits `eff` into slot ranges of about equal cardinality, one per worker (one range when
/// the set is too small to be worth forking).
fn split(eff: &RoaringBitmap) -> Vec<Range<u32>> {
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
