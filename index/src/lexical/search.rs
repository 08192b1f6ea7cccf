//! BM25 top-k with MaxScore early termination, and the all-terms bitmap.
//!
//! Score of a document d for a query with distinct terms T (a repeated query term counts once):
//! `Σ_{t ∈ T ∩ d} idf(t) · tf·(k1+1) / (tf + k1·(1 − b + b·dl/avgdl))`, with
//! `idf(t) = ln(1 + (N − df + 0.5)/(df + 0.5))` (Lucene's, never negative), N the indexed documents,
//! df the documents holding t, dl the document's length in tokens and avgdl = total length / N.
//! N, df and avgdl are global: a filter restricts which documents are returned, not the statistics.
//!
//! MaxScore (Turtle & Flood, 1995): each term has an upper bound of its contribution (from its
//! largest tf and smallest document length). Terms sorted by bound; the longest prefix whose bounds
//! sum to ≤ the current k-th score θ is "non-essential": a document holding only those terms
//! cannot enter the top k, so only the essential terms' postings are walked, and non-essential
//! terms are looked up (with block skipping) only for candidates whose bound still beats θ.
//! The result is exact (rank-safe): ties are broken by the smaller doc, and documents are visited
//! in increasing doc order, so a later document with a tied score never displaces an earlier one.

use super::cursor::{Cursor, PostingsTable, EXHAUSTED};
use super::format::TermEntry;
use super::scope::ScopePostings;
use super::tables::{open_read, read_stats, read_term, POSTINGS, STATS, TERMS};
use super::tokenize::tokenize;
use crate::error::Result;
use redb::ReadTransaction;
use roaring::RoaringBitmap;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// BM25 term-frequency saturation.
pub const K1: f64 = 1.2;
/// BM25 length normalisation.
pub const B: f64 = 0.75;
/// Bounds are inflated by this factor so float rounding can never make a bound smaller than a
/// score it bounds (which would prune a true top-k document).
const BOUND_SLACK: f64 = 1.0 + 1e-9;

/// The BM25 parameters of one snapshot.
#[derive(Debug, Clone, Copy)]
struct Bm25 {
    n: f64,
    /// K1·(1 − B) and K1·B / avgdl: the length norm is `norm_a + norm_b · dl` (one division
    /// per posting instead of two).
    norm_a: f64,
    norm_b: f64,
}

impl Bm25 {
    fn new(doc_count: u64, total_len: u64) -> Self {
        let n = doc_count as f64;
        let avgdl = total_len as f64 / n;
        Bm25 {
            n,
            norm_a: K1 * (1.0 - B),
            norm_b: K1 * B / avgdl,
        }
    }

    fn idf(&self, df: u32) -> f64 {
        let df = f64::from(df);
        (1.0 + (self.n - df + 0.5) / (df + 0.5)).ln()
    }

    fn tf_part(&self, tf: u32, dl: u32) -> f64 {
        let tf = f64::from(tf);
        tf * (K1 + 1.0) / (tf + self.norm_a + self.norm_b * f64::from(dl))
    }
}

/// One query term being walked.
struct Term<'t> {
    cursor: Cursor<'t>,
    idf: f64,
    /// Upper bound of this term's contribution to any document.
    bound: f64,
    /// Position of the term in the query (scores are summed in this order: deterministic).
    order: usize,
}

/// The top `k` documents for `query` by BM25, best first (ties: smaller doc first), restricted to
/// `filter` when given. Exact: equals scoring every document and sorting. Terms of the query that
/// are in no document contribute nothing; a query without index terms returns nothing.
pub fn search(
    rtxn: &ReadTransaction,
    query: &str,
    k: usize,
    filter: Option<&RoaringBitmap>,
) -> Result<Vec<(u32, f32)>> {
    if k == 0 || filter.is_some_and(|f| f.is_empty()) {
        return Ok(Vec::new());
    }
    let Some(q) = Prepared::new(rtxn, query)? else {
        return Ok(Vec::new());
    };
    Ok(finish(q.top(k, filter)?, k))
}

/// [`search`] restricted to `filter`, with the documents of `covered` scored from `copy`, the
/// scope's own postings (see [`super::scope`]); the rest of the filter from the index. The
/// caller promises that `covered` ⊆ `filter` ∩ `copy.docs()` and that each covered document is
/// indexed with the text the copy was built from. The result is then exactly [`search`]'s.
pub fn search_with_copy(
    rtxn: &ReadTransaction,
    query: &str,
    k: usize,
    filter: &RoaringBitmap,
    copy: &ScopePostings,
    covered: &RoaringBitmap,
) -> Result<Vec<(u32, f32)>> {
    if k == 0 || filter.is_empty() {
        return Ok(Vec::new());
    }
    let Some(q) = Prepared::new(rtxn, query)? else {
        return Ok(Vec::new());
    };
    let rest = filter - covered;
    let mut hits = if rest.is_empty() {
        Vec::new()
    } else {
        q.top(k, Some(&rest))?
    };
    hits.extend(q.score_copy(copy, covered));
    Ok(finish(hits, k))
}

/// The best `k` of `hits` (best first), as returned to callers.
fn finish(mut hits: Vec<Hit>, k: usize) -> Vec<(u32, f32)> {
    // `Hit`'s order puts worse hits last.
    if hits.len() > k {
        hits.select_nth_unstable(k);
        hits.truncate(k);
    }
    hits.sort_unstable();
    hits.into_iter().map(|h| (h.doc, h.score as f32)).collect()
}

/// A query's terms and the statistics it is scored with, from one transaction.
struct Prepared {
    postings: PostingsTable,
    bm: Bm25,
    /// The query's distinct terms that are in the dictionary, in query order.
    entries: Vec<(String, TermEntry)>,
}

impl Prepared {
    /// `None` when nothing is indexed.
    fn new(rtxn: &ReadTransaction, query: &str) -> Result<Option<Prepared>> {
        let (Some(terms_t), Some(postings), Some(stats_t)) = (
            open_read(rtxn, TERMS)?,
            open_read(rtxn, POSTINGS)?,
            open_read(rtxn, STATS)?,
        ) else {
            return Ok(None);
        };
        let stats = read_stats(&stats_t)?;
        if stats.doc_count == 0 || stats.total_len == 0 {
            return Ok(None);
        }
        let mut entries = Vec::new();
        for term in distinct(tokenize(query)) {
            if let Some(e) = read_term(&terms_t, &term)? {
                entries.push((term, e));
            }
        }
        Ok(Some(Prepared {
            postings,
            bm: Bm25::new(stats.doc_count, stats.total_len),
            entries,
        }))
    }

    /// The top `k` by MaxScore over the index's postings (unsorted).
    fn top(&self, k: usize, filter: Option<&RoaringBitmap>) -> Result<Vec<Hit>> {
        let cached = filter.is_some_and(|f| super::cache::worth_caching(f.len()));
        let terms = open_terms(&self.postings, &self.bm, &self.entries, cached)?;
        MaxScore::new(terms, self.bm, k, filter).run()
    }

    /// Every document of `covered` holding a query term, scored from `copy`: each term's
    /// contribution added in query order, as [`MaxScore::score`] sums them.
    fn score_copy(&self, copy: &ScopePostings, covered: &RoaringBitmap) -> Vec<Hit> {
        let mut acc = vec![0.0f64; copy.len()];
        for (term, e) in &self.entries {
            let idf = self.bm.idf(e.df);
            copy.accumulate(term, &mut acc, |tf, dl| idf * self.bm.tf_part(tf, dl));
        }
        let all = covered.len() == copy.len() as u64;
        acc.iter()
            .enumerate()
            .filter(|(_, &s)| s > 0.0)
            .filter_map(|(i, &score)| {
                Some(Hit {
                    score,
                    doc: copy.id(i)?,
                })
            })
            .filter(|h| all || covered.contains(h.doc))
            .collect()
    }
}

fn distinct(mut v: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    v.retain(|t| seen.insert(t.clone()));
    v
}

/// Cursors sorted by ascending bound.
fn open_terms<'t>(
    table: &'t PostingsTable,
    bm: &Bm25,
    entries: &[(String, TermEntry)],
    cached: bool,
) -> Result<Vec<Term<'t>>> {
    let mut terms = Vec::with_capacity(entries.len());
    for (order, (_, e)) in entries.iter().enumerate() {
        let idf = bm.idf(e.df);
        let bound = idf * bm.tf_part(e.max_tf.max(1), e.min_dl) * BOUND_SLACK;
        let cursor = Cursor::new(table, e.id, cached)?;
        terms.push(Term {
            cursor,
            idf,
            bound,
            order,
        });
    }
    terms.sort_by(|a, b| a.bound.total_cmp(&b.bound));
    Ok(terms)
}

/// A heap entry ordered so that the heap's top is the *worst* hit kept.
#[derive(Debug, Clone, Copy)]
struct Hit {
    score: f64,
    doc: u32,
}

impl Ord for Hit {
    fn cmp(&self, other: &Self) -> Ordering {
        // Worse = lower score, then larger doc. "Greater" means worse.
        other
            .score
            .total_cmp(&self.score)
            .then(self.doc.cmp(&other.doc))
    }
}
impl PartialOrd for Hit {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Hit {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Hit {}

struct MaxScore<'t, 'f> {
    terms: Vec<Term<'t>>,
    /// prefix[i] = Σ bound of terms[0..=i].
    prefix: Vec<f64>,
    bm: Bm25,
    k: usize,
    filter: Option<FilterWalk<'f>>,
    heap: BinaryHeap<Hit>,
    /// Terms [0, first_essential) are non-essential.
    first_essential: usize,
    /// Contribution per query position for the current candidate.
    contrib: Vec<f64>,
    /// (window end, θ) of the last block-max window found not skippable: rechecked only when
    /// the walk leaves that window or θ rises.
    window: Option<(u32, f64)>,
}

impl<'t, 'f> MaxScore<'t, 'f> {
    fn new(terms: Vec<Term<'t>>, bm: Bm25, k: usize, filter: Option<&'f RoaringBitmap>) -> Self {
        let prefix = terms
            .iter()
            .scan(0.0, |s, t| {
                *s += t.bound;
                Some(*s)
            })
            .collect();
        let n = terms.len();
        MaxScore {
            terms,
            prefix,
            bm,
            k,
            filter: filter.map(FilterWalk::new),
            heap: BinaryHeap::new(),
            first_essential: 0,
            contrib: vec![0.0; n],
            window: None,
        }
    }

    /// The k-th best score so far, or −∞ while fewer than k hits are kept.
    fn theta(&self) -> f64 {
        match self.heap.peek() {
            Some(h) if self.heap.len() >= self.k => h.score,
            _ => f64::NEG_INFINITY,
        }
    }

    /// The top k (unsorted).
    fn run(mut self) -> Result<Vec<Hit>> {
        while let Some(doc) = self.next_candidate()? {
            if let Some(score) = self.score(doc)? {
                self.offer(doc, score);
            }
        }
        Ok(self.heap.into_vec())
    }

    /// The next document worth scoring: the smallest doc of an essential term that is in the
    /// filter, skipping windows of blocks whose block-max bounds cannot beat θ. On return the
    /// essential cursors standing on the doc are exact.
    fn next_candidate(&mut self) -> Result<Option<u32>> {
        loop {
            let ess = self.terms.get(self.first_essential..).unwrap_or_default();
            let min = ess
                .iter()
                .map(|t| t.cursor.doc())
                .min()
                .unwrap_or(EXHAUSTED);
            let Ok(doc) = u32::try_from(min) else {
                return Ok(None);
            };
            if self.skip_window(doc)? || self.leapfrog_filter(doc)? {
                continue;
            }
            let ess = self
                .terms
                .get_mut(self.first_essential..)
                .unwrap_or_default();
            let mut moved = false;
            for t in ess
                .iter_mut()
                .filter(|t| t.cursor.doc() == min && !t.cursor.is_exact())
            {
                t.cursor.make_exact()?;
                moved |= t.cursor.doc() != min;
            }
            if !moved {
                return Ok(Some(doc));
            }
        }
    }

    /// Block-max skipping: the window from the smallest essential doc to the smallest last doc of
    /// the essential cursors' current blocks lies inside those blocks, so its best possible score
    /// is the sum of their block bounds (of cursors inside the window) plus the non-essential
    /// bounds. When that cannot beat θ, every essential cursor jumps past the window without
    /// decoding anything. Returns true when it skipped.
    fn skip_window(&mut self, doc: u32) -> Result<bool> {
        let theta = self.theta();
        if theta == f64::NEG_INFINITY
            || self
                .window
                .is_some_and(|(end, th)| doc <= end && th == theta)
        {
            return Ok(false);
        }
        let ess = self.terms.get(self.first_essential..).unwrap_or_default();
        let live = || ess.iter().filter(|t| t.cursor.doc() != EXHAUSTED);
        let Some(end) = live().map(|t| t.cursor.header().last_doc).min() else {
            return Ok(false);
        };
        let rest = self.non_essential_bound();
        let bound: f64 = live()
            .filter(|t| t.cursor.doc() <= u64::from(end))
            .map(|t| self.block_bound(t))
            .sum();
        if rest + bound > theta {
            self.window = Some((end, theta));
            return Ok(false);
        }
        let Some(next) = end.checked_add(1) else {
            self.exhaust_essentials();
            return Ok(true);
        };
        for t in self
            .terms
            .get_mut(self.first_essential..)
            .unwrap_or_default()
        {
            t.cursor.advance_to(next)?;
        }
        Ok(true)
    }

    /// With a filter: when `doc` is not in it, moves the essential cursors to the filter's next
    /// member (a leapfrog join). Returns true when it moved them.
    fn leapfrog_filter(&mut self, doc: u32) -> Result<bool> {
        let Some(filter) = self.filter.as_mut() else {
            return Ok(false);
        };
        let Some(next) = filter.at_or_after(doc) else {
            self.exhaust_essentials();
            return Ok(true);
        };
        if next == doc {
            return Ok(false);
        }
        for t in self
            .terms
            .get_mut(self.first_essential..)
            .unwrap_or_default()
        {
            t.cursor.advance_to(next)?;
        }
        Ok(true)
    }

    /// Ends the walk: no further document can qualify.
    fn exhaust_essentials(&mut self) {
        self.terms.truncate(self.first_essential);
    }

    /// Sum of the non-essential terms' bounds.
    fn non_essential_bound(&self) -> f64 {
        self.first_essential
            .checked_sub(1)
            .and_then(|i| self.prefix.get(i).copied())
            .unwrap_or(0.0)
    }

    /// Upper bound of `t`'s contribution to any doc of its current block.
    fn block_bound(&self, t: &Term<'_>) -> f64 {
        let h = t.cursor.header();
        t.idf * self.bm.tf_part(h.max_tf.max(1), h.min_dl) * BOUND_SLACK
    }

    /// Full score of `doc`, or `None` once its bound cannot beat θ. Advances the essential
    /// cursors past `doc`.
    fn score(&mut self, doc: u32) -> Result<Option<f64>> {
        self.contrib.iter_mut().for_each(|c| *c = 0.0);
        let mut partial = 0.0;
        for t in self
            .terms
            .get_mut(self.first_essential..)
            .unwrap_or_default()
        {
            if t.cursor.doc() == u64::from(doc) {
                let (tf, dl) = t.cursor.posting();
                let s = t.idf * self.bm.tf_part(tf, dl);
                partial += s;
                if let Some(c) = self.contrib.get_mut(t.order) {
                    *c = s;
                }
                t.cursor.next()?;
            }
        }
        let theta = self.theta();
        for i in (0..self.first_essential).rev() {
            let rest = self.prefix.get(i).copied().unwrap_or(0.0);
            if partial + rest <= theta {
                return Ok(None);
            }
            let Some(t) = self.terms.get_mut(i) else {
                break;
            };
            t.cursor.advance_to(doc)?;
            if t.cursor.doc() == u64::from(doc) {
                t.cursor.make_exact()?;
            }
            if t.cursor.doc() == u64::from(doc) {
                let (tf, dl) = t.cursor.posting();
                let s = t.idf * self.bm.tf_part(tf, dl);
                partial += s;
                if let Some(c) = self.contrib.get_mut(t.order) {
                    *c = s;
                }
            }
        }
        // Sum in query order so the score does not depend on which terms were essential.
        Ok(Some(self.contrib.iter().sum()))
    }

    fn offer(&mut self, doc: u32, score: f64) {
        if self.heap.len() < self.k {
            self.heap.push(Hit { score, doc });
        } else if score > self.theta() {
            self.heap.pop();
            self.heap.push(Hit { score, doc });
        } else {
            return;
        }
        let theta = self.theta();
        while self.first_essential < self.terms.len()
            && self
                .prefix
                .get(self.first_essential)
                .is_some_and(|&p| p <= theta)
        {
            self.first_essential += 1;
        }
    }
}

/// A forward walk over the filter bitmap (documents are visited in increasing order).
struct FilterWalk<'f> {
    iter: roaring::bitmap::Iter<'f>,
    /// The walk's current member (`None` at the end); always ≤ the next doc asked for.
    cur: Option<u32>,
}

impl<'f> FilterWalk<'f> {
    fn new(filter: &'f RoaringBitmap) -> Self {
        let mut iter = filter.iter();
        let cur = iter.next();
        FilterWalk { iter, cur }
    }

    /// The smallest member ≥ `doc`. Calls must not go backwards.
    fn at_or_after(&mut self, doc: u32) -> Option<u32> {
        if self.cur.is_some_and(|c| c < doc) {
            self.iter.advance_to(doc);
            self.cur = self.iter.next();
        }
        self.cur
    }
}

/// Documents holding every term of `text` (after tokenizing), for the query language's
/// `text:"..."`. A text without index terms gives the empty set. The exact phrase (order and
/// adjacency) is left to the caller, who has the contents.
pub fn phrase_or_terms_bitmap(rtxn: &ReadTransaction, text: &str) -> Result<RoaringBitmap> {
    let (Some(terms_t), Some(postings)) = (open_read(rtxn, TERMS)?, open_read(rtxn, POSTINGS)?)
    else {
        return Ok(RoaringBitmap::new());
    };
    let mut entries = Vec::new();
    for term in distinct(tokenize(text)) {
        match read_term(&terms_t, &term)? {
            Some(e) => entries.push(e),
            None => return Ok(RoaringBitmap::new()),
        }
    }
    entries.sort_by_key(|e| e.df);
    let Some((rarest, rest)) = entries.split_first() else {
        return Ok(RoaringBitmap::new());
    };
    let mut acc = term_bitmap(&postings, rarest.id)?;
    for e in rest {
        acc = intersect_with_term(&postings, e.id, &acc)?;
        if acc.is_empty() {
            break;
        }
    }
    Ok(acc)
}

fn term_bitmap(table: &PostingsTable, term_id: u32) -> Result<RoaringBitmap> {
    let mut c = Cursor::new(table, term_id, false)?;
    let mut docs = Vec::new();
    loop {
        c.make_exact()?;
        let Ok(d) = u32::try_from(c.doc()) else { break };
        docs.push(d);
        c.next()?;
    }
    RoaringBitmap::from_sorted_iter(docs)
        .map_err(|e| super::format::corrupt(format!("term {term_id}: {e}")))
}

/// `acc ∩ postings(term)`, walking the (smaller) `acc` and skipping blocks of the term.
fn intersect_with_term(
    table: &PostingsTable,
    term_id: u32,
    acc: &RoaringBitmap,
) -> Result<RoaringBitmap> {
    let mut c = Cursor::new(table, term_id, super::cache::worth_caching(acc.len()))?;
    let mut out = RoaringBitmap::new();
    for d in acc {
        c.advance_to(d)?;
        if c.doc() == u64::from(d) {
            c.make_exact()?;
        }
        if c.doc() == EXHAUSTED {
            break;
        }
        if c.doc() == u64::from(d) {
            out.insert(d);
        }
    }
    Ok(out)
}
