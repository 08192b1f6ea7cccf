//! Adaptive memory selection and the token-budgeted context window for an LLM prompt.
//!
//! Candidates come from several strategies — pinned memories, semantic and lexical neighbours of
//! the query, memories linked to the entities the query mentions (see [`graph`]), and the recent
//! conversation — and are ranked by one fused score:
//!
//! ```text
//! score = w_semantic·cos⁺ + w_lexical·bm25_norm + w_recency·0.5^(age / half_life)
//!       + w_importance·importance + w_access·ln(1+accesses)/ln(101) + w_graph·graph + w_pinned·pinned
//! ```
//! with the defaults of [`Weights::default`]. Near-duplicates (same normalised text, or cosine ≥
//! `duplicate_threshold`) are collapsed to the first one placed (sections in order, relevant
//! memories by score, the conversation newest first); a candidate that does not fit the budget
//! is dropped for the budget without that check. The window is packed pinned first
//! (all of them, or the result says they did not fit), then relevant memories by score, then the
//! knowledge-graph facts about the entities the query mentions, then the recent conversation,
//! each section labelled and each line dated, never past `max_tokens`.

pub mod graph;
pub mod tokens;

use std::collections::HashMap;

use serde::Serialize;

use crate::clock::{push_date, Micros, HOUR};
use crate::db::Spine;
use crate::error::{Error, Result};
use crate::memory::record::Rec;
use crate::memory::{Memory, MemoryId, Tier};
use crate::read::Filter;
use crate::search::{SearchMode, SearchOptions};
use graph::{fact_line, GraphContext, GraphFact, GraphLink};
use tokens::{Estimator, TokenCounter};

/// Weights of the fused score. Each signal is in 0..=1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
pub struct Weights {
    /// Cosine similarity to the query (negative clamped to 0).
    pub semantic: f32,
    /// BM25, normalised by the best lexical score among the candidates.
    pub lexical: f32,
    /// Exponential recency with `half_life_hours`.
    pub recency: f32,
    /// The memory's importance.
    pub importance: f32,
    /// Access frequency, log-scaled.
    pub access: f32,
    /// Graph proximity: 1 when linked to an entity the query mentions, 0.5 when linked to an
    /// entity one relation away from one, else 0.
    pub graph: f32,
    /// Pinned.
    pub pinned: f32,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            semantic: 0.45,
            lexical: 0.15,
            recency: 0.15,
            importance: 0.10,
            access: 0.03,
            graph: 0.10,
            pinned: 0.02,
        }
    }
}

/// Options of [`Spine::llm_context_window`] and [`Spine::select_memories`].
#[derive(Debug, Clone)]
pub struct ContextOptions {
    /// Only memories matching this filter (e.g. one user).
    pub filter: Filter,
    /// Signal weights.
    pub weights: Weights,
    /// Half-life of the recency signal, in hours (default 72).
    pub half_life_hours: f64,
    /// Semantic candidates considered (default 50).
    pub semantic_candidates: usize,
    /// Recent memories considered (default 20).
    pub recent_candidates: usize,
    /// Memories linked to each entity the query mentions considered, newest first (default 20).
    pub graph_candidates: usize,
    /// Facts (current relations) shown per entity the query mentions (default 10; 0 = none).
    pub graph_facts: usize,
    /// Cosine at or above which two memories are duplicates (default 0.95).
    pub duplicate_threshold: f32,
    /// Candidates scoring below this are dropped as irrelevant (default 0.0: none).
    pub min_score: f32,
    /// Query vector, when the caller embeds the query itself.
    pub query_vector: Option<Vec<f32>>,
    /// Count the chosen memories as accessed (default true).
    pub track_access: bool,
}

impl Default for ContextOptions {
    fn default() -> Self {
        ContextOptions {
            filter: Filter::default(),
            weights: Weights::default(),
            half_life_hours: 72.0,
            semantic_candidates: 50,
            recent_candidates: 20,
            graph_candidates: 20,
            graph_facts: 10,
            duplicate_threshold: 0.95,
            min_score: 0.0,
            query_vector: None,
            track_access: true,
        }
    }
}

/// The signals behind a candidate's score.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Signals {
    /// Cosine similarity, if the candidate was scored semantically.
    pub semantic: Option<f32>,
    /// Normalised BM25, if scored lexically.
    pub lexical: Option<f32>,
    /// Recency in 0..=1.
    pub recency: f32,
    /// Importance.
    pub importance: f32,
    /// Access signal.
    pub access: f32,
    /// Graph proximity.
    pub graph: f32,
    /// Which entity of the query the memory is linked to, when `graph > 0`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub graph_link: Option<GraphLink>,
    /// Pinned.
    pub pinned: bool,
    /// Its tier (working = the filter's `current_session`; always set by the selector).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<Tier>,
}

/// Where a chosen memory sits in the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    /// Pinned memories, always first.
    Pinned,
    /// Memories relevant to the query.
    Relevant,
    /// The recent conversation.
    Recent,
}

/// A candidate with its score and why it was considered. (Inside the engine its memory is the
/// shared record, not a copy: the context window never copies its candidates' records.)
#[derive(Debug, Clone, Serialize)]
pub struct Candidate<M = Memory> {
    /// The memory.
    pub memory: M,
    /// Fused score.
    pub score: f32,
    /// Its signals.
    pub signals: Signals,
    /// Strategies that proposed it (`pinned`, `semantic`, `lexical`, `graph`, `recent`).
    pub sources: Vec<&'static str>,
    /// Section it belongs to.
    pub section: Section,
}

/// Why a candidate was left out.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum DropReason {
    /// It did not fit in the token budget.
    Budget,
    /// A near-duplicate of a chosen memory.
    Duplicate {
        /// The memory kept instead.
        of: MemoryId,
    },
    /// Below `min_score`.
    LowScore,
    /// A graph fact recorded from a memory outside the caller's filter.
    Filtered,
}

/// A chosen memory.
#[derive(Debug, Clone, Serialize)]
pub struct Chosen {
    /// Id.
    pub id: MemoryId,
    /// Section.
    pub section: Section,
    /// Fused score.
    pub score: f32,
    /// Signals.
    pub signals: Signals,
    /// Why it was chosen, in words.
    pub why: String,
    /// Tokens its line costs.
    pub tokens: usize,
}

/// A dropped candidate.
#[derive(Debug, Clone, Serialize)]
pub struct Dropped {
    /// Id.
    pub id: MemoryId,
    /// Fused score.
    pub score: f32,
    /// Why.
    #[serde(flatten)]
    pub reason: DropReason,
}

/// A graph fact placed in the window.
#[derive(Debug, Clone, Serialize)]
pub struct ChosenFact {
    /// The fact.
    #[serde(flatten)]
    pub fact: GraphFact,
    /// Tokens its line costs.
    pub tokens: usize,
}

/// A graph fact left out.
#[derive(Debug, Clone, Serialize)]
pub struct DroppedFact {
    /// Edge id.
    pub edge: u64,
    /// Why.
    #[serde(flatten)]
    pub reason: DropReason,
}

/// The context window: prompt-ready text plus the account of how it was built.
#[derive(Debug, Clone, Serialize)]
pub struct ContextWindow {
    /// Text to put into the prompt.
    pub text: String,
    /// Tokens of `text` by the counter used.
    pub tokens_used: usize,
    /// The budget.
    pub max_tokens: usize,
    /// False when some pinned memories did not fit the budget.
    pub pinned_fit: bool,
    /// The counter used.
    pub token_counter: String,
    /// Chosen memories, in the order they appear.
    pub chosen: Vec<Chosen>,
    /// Every other candidate and why it was dropped.
    pub dropped: Vec<Dropped>,
    /// Entities the query mentions (graph lookup of its words and n-grams).
    pub mentioned_entities: Vec<String>,
    /// Graph facts about them placed in the window, in order.
    pub facts: Vec<ChosenFact>,
    /// Graph facts left out.
    pub dropped_facts: Vec<DroppedFact>,
}

impl Spine {
    /// Adaptive selection: every candidate, scored and sorted (best first), duplicates included.
    pub fn select_memories(&self, query: &str, opts: &ContextOptions) -> Result<Vec<Candidate>> {
        let (cands, _) = self.select(query, opts)?;
        Ok(cands
            .into_iter()
            .map(|c| Candidate {
                memory: c.memory.to_memory(),
                score: c.score,
                signals: c.signals,
                sources: c.sources,
                section: c.section,
            })
            .collect())
    }

    /// Selection plus what the graph knows about the query's entities.
    ///
    /// Every source ranks ids on one snapshot with one evaluation of the filter; the records
    /// of all the candidates are then read once (a memory found by several sources, or
    /// pinned and found, is read once), shared with the record cache, not copied.
    fn select(
        &self,
        query: &str,
        opts: &ContextOptions,
    ) -> Result<(Vec<Candidate<Rec>>, GraphContext)> {
        let now = self.now();
        let snap = self.snapshot()?;
        let allowed = snap.filter(&opts.filter)?;
        let limit = opts.semantic_candidates.clamp(1, crate::MAX_LIMIT);
        // (id, source, semantic, lexical), in the order the sources are listed.
        let mut found: Vec<(u64, &'static str, Option<f32>, Option<f32>)> = Vec::new();
        let pinned = &allowed & snap.global("pinned")?.as_ref();
        found.extend(
            pinned
                .iter()
                .map(|id| (u64::from(id), "pinned", None, None)),
        );
        for (id, s) in self.semantic_candidates(&snap, &allowed, query, opts, limit)? {
            found.push((id, "semantic", Some(s), None));
        }
        if !query.trim().is_empty() {
            let hits = crate::search::lexical_ranked(&snap, query, limit, &allowed, &opts.filter)?;
            let max = hits.iter().map(|h| h.1).fold(0f32, f32::max);
            for (id, s) in hits {
                let norm = if max > 0.0 { s / max } else { 0.0 };
                found.push((id, "lexical", None, Some(norm)));
            }
        }
        let graph = GraphContext::build(&snap, query, &allowed, opts)?;
        found.extend(graph.proposed.iter().map(|id| (id.0, "graph", None, None)));
        // The conversation: the memories stored last (highest ids, i.e. store order) of the
        // working tier — the filter's `current_session` — when there is one, else of the whole
        // filter, straight from the bitmaps. (`recent_filtered` orders by `created_at` exactly
        // but walks the global time index until it has found enough of this scope's memories,
        // which for a light user at 1M memories is most of the index.)
        let working = match &opts.filter.current_session {
            Some(s) => {
                let mut w = allowed.clone();
                snap.apply_tier(&mut w, Tier::Working, Some(s))?;
                Some(w)
            }
            None => None,
        };
        let recent = working.as_ref().unwrap_or(&allowed).iter().rev();
        let recent = recent.take(opts.recent_candidates);
        found.extend(recent.map(|id| (u64::from(id), "recent", None, None)));

        let mut ids: Vec<u64> = found.iter().map(|f| f.0).collect();
        ids.sort_unstable();
        ids.dedup();
        // Every record read is a candidate, in id order; a memory deleted since it was ranked
        // is missing and not a candidate.
        let mut out: Vec<Candidate<Rec>> = snap
            .records(ids)?
            .into_iter()
            .map(|memory| Candidate {
                memory,
                score: 0.0,
                signals: Signals::default(),
                sources: Vec::new(),
                section: Section::Recent,
            })
            .collect();
        for (id, source, sem, lex) in found {
            let Ok(at) = out.binary_search_by_key(&id, |c| c.memory.id.0) else {
                continue;
            };
            let e = &mut out[at];
            e.sources.push(source);
            if sem.is_some() {
                e.signals.semantic = sem;
            }
            if lex.is_some() {
                e.signals.lexical = lex;
            }
        }
        for c in &mut out {
            if let Some((proximity, link)) = graph.link_of(&snap, c.memory.id)? {
                c.signals.graph = proximity;
                c.signals.graph_link = Some(link);
            }
            score(c, now, opts);
        }
        out.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then(a.memory.id.cmp(&b.memory.id))
        });
        Ok((out, graph))
    }

    /// The `limit` nearest memories of `allowed` (id, cosine), when there are vectors and a
    /// query (text with an embedder, or a query vector).
    fn semantic_candidates(
        &self,
        snap: &crate::read::Snapshot,
        allowed: &roaring::RoaringBitmap,
        query: &str,
        opts: &ContextOptions,
        limit: usize,
    ) -> Result<Vec<(u64, f32)>> {
        if self.inner.vectors.is_none() || query.trim().is_empty() && opts.query_vector.is_none() {
            return Ok(Vec::new());
        }
        let so = SearchOptions {
            limit,
            filter: opts.filter.clone(),
            mode: SearchMode::Semantic,
            vector: opts.query_vector.clone(),
            track_access: false,
            ..Default::default()
        };
        let q = match self.query_vector(query, &so) {
            Ok(q) => q,
            // No embedder and no query vector: select without the semantic signal.
            Err(Error::InvalidInput { field: "query", .. }) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        self.semantic_ranked(snap, &q, allowed, &so, limit)
    }

    /// Builds the context window for `query` within `max_tokens` with the built-in estimator.
    pub fn llm_context_window(
        &self,
        query: &str,
        max_tokens: usize,
        opts: &ContextOptions,
    ) -> Result<ContextWindow> {
        self.llm_context_window_with(query, max_tokens, opts, &Estimator)
    }

    /// Builds the context window with a given token counter.
    pub fn llm_context_window_with(
        &self,
        query: &str,
        max_tokens: usize,
        opts: &ContextOptions,
        counter: &dyn TokenCounter,
    ) -> Result<ContextWindow> {
        let (cands, graph) = self.select(query, opts)?;
        let mut dropped = Vec::new();
        let kept = cands
            .into_iter()
            .filter(|c| {
                let low = c.score < opts.min_score && c.section != Section::Pinned;
                if low {
                    dropped.push(drop_of(c, DropReason::LowScore));
                }
                !low
            })
            .collect();
        let vectors = self.vector_source()?;
        let dups = Duplicates::new(vectors.as_ref(), opts.duplicate_threshold);
        let w = pack(kept, graph, max_tokens, counter, dropped, Some(dups));
        if opts.track_access {
            let ids: Vec<MemoryId> = w.chosen.iter().map(|c| c.id).collect();
            self.note_access(&ids);
        }
        Ok(w)
    }

    /// Where the candidates' vectors are read from, in place (never copied): one arena
    /// snapshot and the slot overrides.
    fn vector_source(&self) -> Result<Option<VectorSource>> {
        Ok(match &self.inner.vectors {
            Some(vs) => Some((vs.snapshot()?, vs.overrides()?)),
            None => None,
        })
    }
}

type VectorSource = (memspine_index::arena::Snapshot, crate::vectors::Overrides);

/// Near-duplicates of the memories placed in a window so far: the same normalised text, or a
/// cosine of at least the threshold. Packing asks only for candidates that fit the budget (a
/// candidate that does not fit is dropped for the budget whatever it duplicates), so a heavy
/// user whose pinned memories fill the window costs no pairwise comparisons for the rest.
struct Duplicates<'a> {
    vectors: Option<&'a VectorSource>,
    threshold: f32,
    /// The vectors of the placed memories that have one, with their tails' norms.
    kept_vectors: Vec<(&'a [f32], f32, MemoryId)>,
    /// Their heads (`head_len` floats each), side by side: the pairwise test reads these, not
    /// the vectors scattered over the arena.
    kept_heads: Vec<f32>,
    /// The placed memories, by the hash of their normalised text.
    seen_text: HashMap<u64, Vec<Rec>>,
    /// Scratch for a text being normalised.
    scratch: Vec<u8>,
}

impl<'a> Duplicates<'a> {
    fn new(vectors: Option<&'a VectorSource>, threshold: f32) -> Self {
        Duplicates {
            vectors,
            threshold,
            kept_vectors: Vec::new(),
            kept_heads: Vec::new(),
            seen_text: HashMap::new(),
            scratch: Vec::new(),
        }
    }

    /// Asks the CPU to start loading `m`'s vector (see `pack`).
    fn prefetch(&self, m: &Rec) {
        if let (Some((snap, o)), true) = (self.vectors, m.has_vector) {
            snap.prefetch_vector(o.slot_of(m.id.0));
        }
    }

    fn vector_of(&self, m: &Rec) -> Option<&'a [f32]> {
        let (snap, o) = self.vectors?;
        m.has_vector
            .then(|| snap.vector(o.slot_of(m.id.0)))
            .flatten()
    }

    /// Places `m` unless it duplicates a placed memory (which is returned); `check` false
    /// places it without looking (pinned memories are always kept).
    fn admit(&mut self, m: &Rec, check: bool) -> Option<MemoryId> {
        normalise_into(&m.content, &mut self.scratch);
        let hash = hash_bytes(&self.scratch);
        let vector = self.vector_of(m).map(|v| (v, tail_norm(v)));
        if check {
            let same_text = || {
                let at = self.seen_text.get(&hash)?;
                let norm = self.scratch.as_slice();
                at.iter()
                    .find(|r| normalise_text(&r.content).as_bytes() == norm)
                    .map(|r| r.id)
            };
            let close = || {
                let (v, tail) = vector?;
                let h = head_len(v.len());
                let head = v.get(..h).unwrap_or(v);
                // The kept heads side by side, then the whole dot for the rare pair whose bound
                // reaches the threshold.
                let rows = self.kept_heads.chunks_exact(h.max(1));
                self.kept_vectors
                    .iter()
                    .zip(rows)
                    .find(|((kv, kt, _), kh)| {
                        let head_dot = if h == 0 { 0.0 } else { dot(head, kh) };
                        may_reach(head_dot, tail, *kt, self.threshold)
                            && kv.len() == v.len()
                            && dot(v, kv) >= self.threshold
                    })
                    .map(|(&(_, _, id), _)| id)
            };
            if let Some(of) = same_text().or_else(close) {
                return Some(of);
            }
        }
        // The text itself is normalised again only when a later hash matches (rare).
        self.seen_text.entry(hash).or_default().push(m.clone());
        if let Some((v, tail)) = vector {
            let h = head_len(v.len());
            match v.get(..h) {
                Some(head) if h > 0 => self.kept_heads.extend_from_slice(head),
                _ => self.kept_heads.push(0.0),
            }
            self.kept_vectors.push((v, tail, m.id));
        }
        None
    }
}

fn score(c: &mut Candidate<Rec>, now: Micros, opts: &ContextOptions) {
    let w = &opts.weights;
    let m = &c.memory;
    let age_h = now.saturating_sub(m.created_at) as f64 / HOUR as f64;
    let s = &mut c.signals;
    s.recency = 0.5f64.powf(age_h / opts.half_life_hours.max(1e-6)) as f32;
    s.importance = m.importance;
    s.access = ((1.0 + m.access_count as f64).ln() / 101f64.ln()).min(1.0) as f32;
    s.pinned = m.pinned;
    s.tier = Some(Tier::of(
        m.created_at,
        m.scope.session.as_deref(),
        now,
        opts.filter.current_session.as_deref(),
    ));
    let sem = s.semantic.unwrap_or(0.0).max(0.0);
    let lex = s.lexical.unwrap_or(0.0);
    c.score = w.semantic * sem
        + w.lexical * lex
        + w.recency * s.recency
        + w.importance * s.importance
        + w.access * s.access
        + w.graph * s.graph
        + w.pinned * f32::from(u8::from(s.pinned));
    c.section = if m.pinned {
        Section::Pinned
    } else if ["semantic", "lexical", "graph"]
        .iter()
        .any(|s| c.sources.contains(s))
    {
        Section::Relevant
    } else {
        Section::Recent
    };
}

fn drop_of(c: &Candidate<Rec>, reason: DropReason) -> Dropped {
    Dropped {
        id: c.memory.id,
        score: c.score,
        reason,
    }
}

/// The words of `s` trimmed of punctuation, lowercased, joined by single spaces (two texts
/// that differ only in case, spacing and surrounding punctuation are the same text).
fn normalise_text(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len());
    normalise_into(s, &mut out);
    // Only whole UTF-8 sequences are written (ASCII bytes, or `str`s).
    String::from_utf8(out).unwrap_or_default()
}

/// [`normalise_text`] into `out` (cleared first), with no allocation for ASCII text: words
/// split at ASCII whitespace and trimmed to their first and last alphanumeric byte, as the
/// general path does for those characters.
fn normalise_into(s: &str, out: &mut Vec<u8>) {
    out.clear();
    if !s.is_ascii() {
        return normalise_chars(s, out);
    }
    for w in s.as_bytes().split(|b| matches!(b, b'\t'..=b'\r' | b' ')) {
        let Some(a) = w.iter().position(u8::is_ascii_alphanumeric) else {
            continue;
        };
        let z = w.iter().rposition(u8::is_ascii_alphanumeric).unwrap_or(a);
        if !out.is_empty() {
            out.push(b' ');
        }
        out.extend(
            w.get(a..=z)
                .unwrap_or_default()
                .iter()
                .map(u8::to_ascii_lowercase),
        );
    }
}

/// The general path of [`normalise_into`].
fn normalise_chars(s: &str, out: &mut Vec<u8>) {
    for w in s.split_whitespace() {
        let w = w.trim_matches(|c: char| !c.is_alphanumeric());
        if w.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(b' ');
        }
        // `str::to_lowercase` knows a word-final capital sigma, `char`'s does not.
        out.extend_from_slice(w.to_lowercase().as_bytes());
    }
}

/// A 64-bit hash of `bytes`, eight at a time (a window's texts are compared only in memory,
/// never stored: any good mix will do).
fn hash_bytes(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mix = |h: u64, w: u64| (h.rotate_left(5) ^ w).wrapping_mul(K);
    let (words, tail) = bytes.as_chunks::<8>();
    let mut h = mix(0, bytes.len() as u64);
    for w in words {
        h = mix(h, u64::from_le_bytes(*w));
    }
    let mut last = [0u8; 8];
    last.get_mut(..tail.len())
        .unwrap_or_default()
        .copy_from_slice(tail);
    h = mix(h, u64::from_le_bytes(last));
    // A final avalanche, so that the low bits the map uses depend on every byte.
    (h ^ (h >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9) ^ (h >> 32)
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    memspine_index::kernels::dot(a, b)
}

/// Where a vector's head ends for the duplicate test: its first quarter (whole 16-lane steps).
fn head_len(dim: usize) -> usize {
    dim / 4 / 16 * 16
}

/// `‖v[head_len..]‖`, rounded up a little.
fn tail_norm(v: &[f32]) -> f32 {
    let tail = v.get(head_len(v.len())..).unwrap_or(&[]);
    dot(tail, tail).sqrt() * (1.0 + 1e-5) + 1e-6
}

/// False when `a · b` cannot reach `threshold`, given the dot of their heads (the first
/// [`head_len`] components) and their tails' norms: the heads' dot plus the product of the tails'
/// norms bounds it (Cauchy–Schwarz on the tails), for a quarter of the work of the whole dot.
/// Most pairs of candidates are far below a duplicate threshold (0.95 by default) and are
/// ruled out here; the others get the whole dot, so the outcome is the whole dot's.
fn may_reach(head_dot: f32, a_tail: f32, b_tail: f32, threshold: f32) -> bool {
    // Slack for the float rounding of the head's dot (and of the whole one it stands for).
    head_dot + a_tail * b_tail + 1e-4 >= threshold
}

const HEADINGS: [(Section, &str); 3] = [
    (Section::Pinned, "## Pinned memories"),
    (Section::Relevant, "## Relevant memories"),
    (Section::Recent, "## Recent conversation"),
];
const FACTS_HEADING: &str = "## Facts about entities in the query";

fn why(c: &Candidate<Rec>) -> String {
    use std::fmt::Write as _;
    let s = &c.signals;
    // One string written in place (a window explains hundreds of memories).
    let mut out = String::with_capacity(128);
    out.push_str("proposed by ");
    for (i, source) in c.sources.iter().enumerate() {
        if i > 0 {
            out.push('+');
        }
        out.push_str(source);
    }
    if let Some(l) = &s.graph_link {
        out.push_str(", ");
        out.push_str(&l.describe());
    }
    if let Some(x) = s.semantic {
        let _ = write!(out, ", similarity {x:.2}");
    }
    if let Some(x) = s.lexical {
        let _ = write!(out, ", lexical {x:.2}");
    }
    let _ = write!(
        out,
        ", recency {:.2}, importance {:.2}",
        s.recency, s.importance
    );
    if s.pinned {
        out.push_str(", pinned");
    }
    if let Some(t) = s.tier {
        out.push_str(", ");
        out.push_str(t.describe());
    }
    out
}

/// One line of the window as it is assembled.
enum Line {
    Heading(&'static str),
    Memory(String, Chosen),
    Fact(String, ChosenFact),
}

impl Line {
    fn text(&self) -> &str {
        match self {
            Line::Heading(h) => h,
            Line::Memory(t, _) | Line::Fact(t, _) => t,
        }
    }
}

/// One section's lines within what is left of the budget: each line costs its tokens plus one
/// for the newline, the heading likewise; a section with no line that fits is left out.
struct Packer<'a> {
    counter: &'a dyn TokenCounter,
    max_tokens: usize,
    used: usize,
    lines: Vec<Line>,
}

/// Something that takes one line of the window.
trait Lined {
    /// Its line.
    fn line(&self) -> String;
    /// A lower bound of its line's length in bytes, known without building the line.
    fn min_line_bytes(&self) -> usize {
        0
    }
}

impl Lined for Candidate<Rec> {
    /// `- [date] user: content` on one line, written into one string.
    fn line(&self) -> String {
        let m = &self.memory;
        let mut line = String::with_capacity(self.min_line_bytes());
        line.push_str("- [");
        push_date(&mut line, m.created_at);
        line.push(']');
        if let Some(u) = &m.scope.user {
            line.push(' ');
            line.push_str(u);
            line.push(':');
        }
        line.push(' ');
        for (i, part) in m.content.split('\n').enumerate() {
            if i > 0 {
                line.push(' ');
            }
            line.push_str(part);
        }
        line
    }
    fn min_line_bytes(&self) -> usize {
        // `- [` date `] ` (a date has at least 10 bytes), ` user:`, the content (a newline
        // becomes a space: same length).
        let user = self.memory.scope.user.as_deref().map_or(0, |u| u.len() + 2);
        15 + user + self.memory.content.len()
    }
}

impl Lined for GraphFact {
    fn line(&self) -> String {
        fact_line(self)
    }
}

impl Packer<'_> {
    /// Places `items` under `heading`; `reject` gets the ones that do not fit and the ones that
    /// fit but `admit` refuses (with its reason). A line that cannot fit by the counter's lower
    /// bound is not built (a heavy user's pinned memories can leave no room for hundreds of
    /// relevant ones).
    fn section<T: Lined>(
        &mut self,
        heading: &'static str,
        items: Vec<T>,
        mut admit: impl FnMut(&T) -> Option<DropReason>,
        mut place: impl FnMut(String, T, usize) -> Line,
        mut reject: impl FnMut(T, DropReason),
    ) {
        let mut section_used = self.counter.count(heading) + 1;
        let mut placed = Vec::new();
        for item in items {
            let room = self.max_tokens.saturating_sub(self.used + section_used);
            if self.counter.min_count(item.min_line_bytes()) + 1 > room {
                reject(item, DropReason::Budget);
                continue;
            }
            let text = item.line();
            let cost = self.counter.count(&text) + 1;
            if cost > room {
                reject(item, DropReason::Budget);
                continue;
            }
            if let Some(reason) = admit(&item) {
                reject(item, reason);
                continue;
            }
            section_used += cost;
            placed.push(place(text, item, cost));
        }
        if placed.is_empty() {
            return;
        }
        self.used += section_used;
        self.lines.push(Line::Heading(heading));
        self.lines.extend(placed);
    }
}

/// The packing stage alone, for benches: places already-scored candidates (no duplicate collapse,
/// no graph facts) into a window of `max_tokens`, exactly as `llm_context_window` does after
/// selection.
#[doc(hidden)]
pub fn pack_candidates(
    cands: Vec<Candidate>,
    max_tokens: usize,
    counter: &dyn TokenCounter,
) -> ContextWindow {
    let cands = cands
        .into_iter()
        .map(|c| Candidate {
            memory: Rec::of_memory(&c.memory),
            score: c.score,
            signals: c.signals,
            sources: c.sources,
            section: c.section,
        })
        .collect();
    pack(
        cands,
        GraphContext::default(),
        max_tokens,
        counter,
        Vec::new(),
        None,
    )
}

/// Packs sections in order within the budget: pinned (any order; `pinned_fit` says whether all
/// fit), relevant by score, graph facts (per mentioned entity, newest first), then the recent
/// conversation, chosen newest-first and shown oldest-first.
fn pack(
    kept: Vec<Candidate<Rec>>,
    graph: GraphContext,
    max_tokens: usize,
    counter: &dyn TokenCounter,
    mut dropped: Vec<Dropped>,
    mut dups: Option<Duplicates<'_>>,
) -> ContextWindow {
    let mut by_section: HashMap<Section, Vec<Candidate<Rec>>> = HashMap::new();
    for c in kept {
        by_section.entry(c.section).or_default().push(c);
    }
    if let Some(r) = by_section.get_mut(&Section::Recent) {
        r.sort_by_key(|c| std::cmp::Reverse(c.memory.created_at));
    }
    // The duplicate test reads the vector of every candidate placed, scattered over the arena
    // (1.5 KiB at 384-d): their loads are started now, in the order packing will want them,
    // for as many candidates as the budget may take by the counter's lower bound, so that they
    // overlap instead of each stalling its own test.
    if let Some(d) = &dups {
        let mut room = max_tokens;
        let placed = HEADINGS
            .iter()
            .filter_map(|(section, _)| by_section.get(section))
            .flatten();
        for c in placed {
            let Some(rest) = room.checked_sub(counter.min_count(c.min_line_bytes()) + 1) else {
                continue;
            };
            room = rest;
            d.prefetch(&c.memory);
        }
    }
    let mut p = Packer {
        counter,
        max_tokens,
        used: 0,
        lines: Vec::new(),
    };
    let mut pinned_fit = true;
    let mut dropped_facts: Vec<DroppedFact> = graph
        .filtered
        .iter()
        .map(|&edge| DroppedFact {
            edge,
            reason: DropReason::Filtered,
        })
        .collect();
    let mut facts = Some(graph.facts);
    for (section, heading) in HEADINGS {
        if section == Section::Recent {
            p.section(
                FACTS_HEADING,
                facts.take().unwrap_or_default(),
                |_| None,
                |line, fact, tokens| Line::Fact(line, ChosenFact { fact, tokens }),
                |f, reason| {
                    dropped_facts.push(DroppedFact {
                        edge: f.edge,
                        reason,
                    })
                },
            );
        }
        let Some(list) = by_section.remove(&section) else {
            continue;
        };
        let start = p.lines.len();
        p.section(
            heading,
            list,
            |c| {
                // Pinned memories are always kept: no need to look for what they duplicate.
                let of = dups
                    .as_mut()?
                    .admit(&c.memory, section != Section::Pinned)?;
                Some(DropReason::Duplicate { of })
            },
            |line, c, tokens| {
                Line::Memory(
                    line,
                    Chosen {
                        id: c.memory.id,
                        section,
                        score: c.score,
                        signals: c.signals.clone(),
                        why: why(&c),
                        tokens,
                    },
                )
            },
            |c, reason| {
                if section == Section::Pinned {
                    pinned_fit = false;
                }
                dropped.push(drop_of(&c, reason));
            },
        );
        if section == Section::Recent && p.lines.len() > start + 1 {
            p.lines[start + 1..].reverse(); // oldest first reads like a conversation
        }
    }
    let mut lines = p.lines;
    let join = |lines: &[Line]| lines.iter().map(Line::text).collect::<Vec<_>>().join("\n");
    let mut text = join(&lines);
    let mut tokens_used = counter.count(&text);
    // Per-line costs bound the total for the estimator; a real tokenizer may merge across lines,
    // so check the whole text and give back lines from the end until it fits.
    while !text.is_empty() && tokens_used > max_tokens {
        match lines.pop() {
            Some(Line::Memory(_, c)) => {
                pinned_fit &= c.section != Section::Pinned;
                dropped.push(Dropped {
                    id: c.id,
                    score: c.score,
                    reason: DropReason::Budget,
                })
            }
            Some(Line::Fact(_, f)) => dropped_facts.push(DroppedFact {
                edge: f.fact.edge,
                reason: DropReason::Budget,
            }),
            Some(Line::Heading(_)) | None => {}
        }
        if matches!(lines.last(), Some(Line::Heading(_))) {
            lines.pop();
        }
        text = join(&lines);
        tokens_used = counter.count(&text);
    }
    let mut chosen = Vec::new();
    let mut chosen_facts = Vec::new();
    for l in lines {
        match l {
            Line::Memory(_, c) => chosen.push(c),
            Line::Fact(_, f) => chosen_facts.push(f),
            Line::Heading(_) => {}
        }
    }
    ContextWindow {
        text,
        tokens_used,
        max_tokens,
        pinned_fit,
        token_counter: counter.name().to_owned(),
        chosen,
        dropped,
        mentioned_entities: graph.mentioned,
        facts: chosen_facts,
        dropped_facts,
    }
}

#[cfg(test)]
mod tests {
    use super::{
        dot, hash_bytes, head_len, may_reach, normalise_chars, normalise_into, normalise_text,
        tail_norm,
    };

    /// SplitMix64 in [-1, 1).
    fn noise(state: &mut u64) -> f32 {
        *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }

    fn unit(v: Vec<f32>) -> Vec<f32> {
        let n = dot(&v, &v).sqrt();
        v.into_iter().map(|x| x / n).collect()
    }

    #[test]
    fn the_head_bound_never_rules_out_a_pair_that_reaches_the_threshold() {
        let mut st = 7u64;
        let (mut ruled_out, mut reached) = (0, 0);
        for dim in [3usize, 16, 64, 100, 384] {
            for _ in 0..400 {
                let a = unit((0..dim).map(|_| noise(&mut st)).collect());
                // From a near copy of `a` to an unrelated vector, and energy in the head or tail.
                let mix = (noise(&mut st) + 1.0) / 2.0;
                let b = unit(
                    a.iter()
                        .enumerate()
                        .map(|(i, x)| {
                            let w = if i < dim / 2 { 3.0 } else { 1.0 };
                            (1.0 - mix) * x + mix * w * noise(&mut st)
                        })
                        .collect(),
                );
                for t in [0.5f32, 0.9, 0.95, 0.99] {
                    let h = head_len(dim);
                    let pass = may_reach(dot(&a[..h], &b[..h]), tail_norm(&a), tail_norm(&b), t);
                    if dot(&a, &b) >= t {
                        reached += 1;
                        assert!(pass, "dim {dim}: dot {} >= {t} ruled out", dot(&a, &b));
                    } else if !pass {
                        ruled_out += 1;
                    }
                }
            }
        }
        assert!(reached > 100 && ruled_out > 1000, "{reached} {ruled_out}");
    }

    #[test]
    fn normalised_text_ignores_case_spacing_and_surrounding_punctuation() {
        assert_eq!(normalise_text("  Hello,   WORLD! "), "hello world");
        assert_eq!(normalise_text("«Ça» -- va?"), "ça va");
        assert_eq!(normalise_text("don't stop"), "don't stop");
        // The word-final capital sigma lowercases as `str::to_lowercase` does.
        assert_eq!(normalise_text("ΟΔΟΣ odos"), "οδος odos");
        assert_eq!(normalise_text(" ... "), "");
        assert_eq!(normalise_text("\tA\x0bb\r\n-c- "), "a b c");
        // Texts of the same words hash alike, other texts apart (by every byte and the length).
        let hash = |t: &str| {
            let mut buf = Vec::new();
            normalise_into(t, &mut buf);
            hash_bytes(&buf)
        };
        assert_eq!(hash("  Hello,   WORLD! "), hash("hello world"));
        assert_eq!(hash("«Ça» -- va?"), hash("ça va"));
        for (a, b) in [
            ("a b", "ab"),
            ("abcdefgh", "abcdefgi"),
            ("", "a"),
            ("a", "a a"),
        ] {
            assert_ne!(hash(a), hash(b), "{a} {b}");
        }
    }

    #[test]
    fn ascii_text_is_normalised_as_the_general_path_does() {
        let mut st = 11u64;
        let alphabet = b"aZ9 .,-'!\t\n\x0b\x0c\r_(x)Q";
        let (mut fast, mut general) = (Vec::new(), Vec::new());
        for _ in 0..5_000 {
            let len = ((noise(&mut st) + 1.0) * 20.0) as usize;
            let text: String = (0..len)
                .map(|_| {
                    let i = ((noise(&mut st) + 1.0) / 2.0 * alphabet.len() as f32) as usize;
                    char::from(alphabet[i.min(alphabet.len() - 1)])
                })
                .collect();
            normalise_into(&text, &mut fast);
            general.clear();
            normalise_chars(&text, &mut general);
            assert_eq!(fast, general, "{text:?}");
        }
    }
}
