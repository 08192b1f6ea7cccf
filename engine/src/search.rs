//! Search: semantic (vector), lexical (BM25) and hybrid, over a bitmap pre-filter.
//!
//! Every filter (scope, tags, kind, time, pinned, archived) becomes a roaring bitmap first; the
//! vector scan visits only those slots, so a filtered search of a small set is exact.

use roaring::RoaringBitmap;
use serde::{Deserialize, Serialize};

use crate::db::Spine;
use crate::error::{Error, Result};
use crate::memory::{Memory, MemoryId};
use crate::read::Filter;

/// Which signals rank the results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SearchMode {
    /// Vector similarity only.
    Semantic,
    /// BM25 only.
    Lexical,
    /// Both, fused (the default).
    #[default]
    Hybrid,
}

impl std::str::FromStr for SearchMode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "semantic" => Ok(SearchMode::Semantic),
            "lexical" => Ok(SearchMode::Lexical),
            "hybrid" => Ok(SearchMode::Hybrid),
            other => Err(Error::invalid(
                "mode",
                format!("{other:?} is not semantic, lexical or hybrid"),
            )),
        }
    }
}

/// Options of [`Spine::search`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchOptions {
    /// Results wanted (default 10, at most 1000).
    pub limit: usize,
    /// Restrict to memories matching this filter.
    pub filter: Filter,
    /// Ranking signals.
    pub mode: SearchMode,
    /// Scan full-precision vectors instead of the quantized codes.
    pub exact: bool,
    /// A query vector to use instead of embedding the query text.
    #[serde(skip)]
    pub vector: Option<Vec<f32>>,
    /// Hybrid fusion: weight of the semantic score (the lexical one gets `1 - w`).
    pub semantic_weight: f32,
    /// Count the returned memories as accessed (default true).
    pub track_access: bool,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            limit: 10,
            filter: Filter::default(),
            mode: SearchMode::Hybrid,
            exact: false,
            vector: None,
            semantic_weight: 0.7,
            track_access: true,
        }
    }
}

/// Most results one search returns.
pub const MAX_LIMIT: usize = 1000;

/// One result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchHit {
    /// The memory's id.
    pub id: MemoryId,
    /// The fused score used for ranking (higher is better).
    pub score: f32,
    /// Cosine similarity, when the semantic signal ran.
    pub semantic: Option<f32>,
    /// BM25 score, when the lexical signal ran.
    pub lexical: Option<f32>,
    /// The memory.
    pub memory: Memory,
}

impl Spine {
    /// Searches memories for `query` (see [`SearchOptions`]).
    pub fn search(&self, query: &str, opts: &SearchOptions) -> Result<Vec<SearchHit>> {
        if opts.limit == 0 || opts.limit > MAX_LIMIT {
            return Err(Error::invalid(
                "limit",
                format!("must be in 1..={MAX_LIMIT}, got {}", opts.limit),
            ));
        }
        if query.trim().is_empty() && opts.vector.is_none() {
            return Err(Error::invalid("query", "must not be empty"));
        }
        let hits = match opts.mode {
            SearchMode::Semantic => self.semantic(query, opts)?,
            SearchMode::Lexical => self.lexical(query, opts)?,
            SearchMode::Hybrid => self.hybrid(query, opts)?,
        };
        if opts.track_access {
            let ids: Vec<MemoryId> = hits.iter().map(|h| h.id).collect();
            self.note_access(&ids);
        }
        Ok(hits)
    }

    pub(crate) fn query_vector(&self, query: &str, opts: &SearchOptions) -> Result<Vec<f32>> {
        match (&opts.vector, &self.inner.embedder) {
            (Some(v), _) => self.check_vector(v),
            (None, Some(e)) => crate::embedding::embed_all(e.as_ref(), &[query])?
                .pop()
                .flatten()
                .ok_or_else(|| {
                    Error::invalid("query", "the embedder found nothing to embed in it")
                }),
            (None, None) => Err(Error::invalid(
                "query",
                format!("no embedder is configured to embed {query:?}: pass a query vector"),
            )),
        }
    }

    /// Vector search over the filtered set.
    fn semantic(&self, query: &str, opts: &SearchOptions) -> Result<Vec<SearchHit>> {
        self.search_vectors()?;
        let q = self.query_vector(query, opts)?;
        let snap = self.snapshot()?;
        let filter = snap.filter(&opts.filter)?;
        let ranked = self.semantic_ranked(&snap, &q, &filter, opts, opts.limit)?;
        let scored = ranked.into_iter().map(|(id, s)| (id, s, Some(s), None));
        self.materialize(&snap, scored)
    }

    fn search_vectors(&self) -> Result<&crate::vectors::Vectors> {
        self.inner
            .vectors
            .as_ref()
            .ok_or_else(|| Error::invalid("mode", "this database stores no vectors (dimension 0)"))
    }

    /// The `opts.limit` best (id, cosine) of the memories of `filter` (the snapshot's result
    /// of `opts.filter`) with vectors. Of those, the caller needs the first `precise` ranked as
    /// exactly as the quantized path can (its rescoring pool is sized for them); the rest are
    /// candidates for another ranking.
    pub(crate) fn semantic_ranked(
        &self,
        snap: &crate::read::Snapshot,
        q: &[f32],
        filter: &RoaringBitmap,
        opts: &SearchOptions,
        precise: usize,
    ) -> Result<Vec<(u64, f32)>> {
        let vs = self.search_vectors()?;
        let ids = snap.with_vectors(&opts.filter, filter)?;
        let arena = vs.snapshot()?;
        let overrides = vs.overrides()?;
        let slots = overrides.slots_of(ids);
        let iopts = if opts.exact {
            memspine_index::SearchOptions::exact()
        } else {
            use memspine_index::vector::{DEFAULT_POOL_MIN, DEFAULT_POOL_PER_K};
            memspine_index::SearchOptions {
                pool: DEFAULT_POOL_MIN.max(precise.saturating_mul(DEFAULT_POOL_PER_K)),
                ..Default::default()
            }
        };
        // A scope's own copy of its records when it has (or is worth) one; large sets through
        // the partitioned index when there is one (docs/design.md).
        let copy = match crate::scope_copy::scope_of(&opts.filter) {
            Some(scope) if !opts.exact => vs.scopes.get(
                &scope.key,
                slots.len(),
                |g| {
                    if g.slots() == &slots {
                        0
                    } else {
                        slots.len() - slots.intersection_len(g.slots())
                    }
                },
                |copies| {
                    // The scope's memories that its searches see without further filters.
                    let scope = snap.filter(&scope.whole())? & snap.global("vec")?.as_ref();
                    let scope = overrides.slots_of(scope);
                    let snap = arena.clone();
                    Ok(copies
                        .worth(scope.len())
                        .then(|| -> crate::scope_copy::Build<_> {
                            Box::new(move || {
                                Some(memspine_index::group::Int8Group::build(&snap, &scope))
                            })
                        }))
                },
            )?,
            _ => None,
        };
        let hits = match (copy, vs.current_ivf()) {
            (Some(g), _) => arena.search_grouped(q, opts.limit, &slots, &g, &iopts),
            (None, Some(ivf)) => arena.search_partitioned(q, opts.limit, &slots, &ivf, &iopts),
            (None, None) => arena.search(q, opts.limit, &slots, &iopts),
        }
        .map_err(|e| Error::Index(e.to_string()))?;
        Ok(hits
            .iter()
            .map(|h| (overrides.id_of(h.slot), h.score))
            .collect())
    }

    /// BM25 over the filtered set.
    fn lexical(&self, query: &str, opts: &SearchOptions) -> Result<Vec<SearchHit>> {
        let snap = self.snapshot()?;
        let filter = snap.filter(&opts.filter)?;
        let ranked = lexical_ranked(&snap, query, opts.limit, &filter, &opts.filter)?;
        let scored = ranked.into_iter().map(|(id, s)| (id, s, None, Some(s)));
        self.materialize(&snap, scored)
    }

    /// Hits with their memories, read in one pass (tables opened once), in the order given:
    /// `(id, score, semantic, lexical)`. An id whose memory is gone is skipped.
    fn materialize(
        &self,
        snap: &crate::read::Snapshot,
        scored: impl Iterator<Item = (u64, f32, Option<f32>, Option<f32>)>,
    ) -> Result<Vec<SearchHit>> {
        let scored: Vec<_> = scored.collect();
        let mut memories = snap
            .memories(scored.iter().map(|s| s.0))?
            .into_iter()
            .peekable();
        let mut out = Vec::with_capacity(scored.len());
        for (id, score, semantic, lexical) in scored {
            if let Some(memory) = memories.next_if(|m| m.id.0 == id) {
                out.push(SearchHit {
                    id: MemoryId(id),
                    score,
                    semantic,
                    lexical,
                    memory,
                });
            }
        }
        Ok(out)
    }

    /// Weighted score fusion: `w·ĉ + (1−w)·bm25/max_bm25` over the union of the semantic and
    /// lexical top lists (each `max(4·limit, 40)` long), where `ĉ` is the cosine min–max
    /// normalised over that union (raw cosines of the candidates span a few hundredths with a
    /// sentence model, against BM25's whole [0, 1], so unnormalised the lexical signal decided
    /// nearly every ranking). Lexical-only candidates get their exact
    /// cosine from the arena; semantic-only ones a lexical score of 0. Without vectors (or without
    /// a query vector and embedder) hybrid is lexical. Both lists come from one snapshot and one
    /// evaluation of the filter; only the memories of the final `limit` hits are read.
    fn hybrid(&self, query: &str, opts: &SearchOptions) -> Result<Vec<SearchHit>> {
        let pool = (opts.limit * 4).clamp(40, MAX_LIMIT);
        let wide = SearchOptions {
            limit: pool,
            ..opts.clone()
        };
        let snap = self.snapshot()?;
        let filter = snap.filter(&opts.filter)?;
        let lexical = if query.trim().is_empty() {
            Vec::new()
        } else {
            lexical_ranked(&snap, query, pool, &filter, &opts.filter)?
        };
        let (semantic, q) = match (&self.inner.vectors, self.query_vector(query, opts)) {
            // The fused top `limit` come from the best of both lists: the semantic list's tail
            // needs no more precision than a `limit`-long search gets.
            (Some(_), Ok(q)) => (
                self.semantic_ranked(&snap, &q, &filter, &wide, opts.limit)?,
                q,
            ),
            _ => {
                let top = lexical.into_iter().take(opts.limit);
                return self.materialize(&snap, top.map(|(id, s)| (id, s, None, Some(s))));
            }
        };
        let max_lex = lexical.iter().map(|h| h.1).fold(0f32, f32::max);
        // id → (cosine, BM25)
        let mut by_id: std::collections::HashMap<u64, (Option<f32>, Option<f32>)> =
            std::collections::HashMap::new();
        for (id, c) in semantic {
            by_id.insert(id, (Some(c), None));
        }
        for (id, l) in lexical {
            by_id.entry(id).or_insert((None, None)).1 = Some(l);
        }
        let cos = self.cosines(
            &q,
            by_id
                .iter()
                .filter(|(_, (c, _))| c.is_none())
                .map(|(&id, _)| MemoryId(id)),
        )?;
        for (id, (c, _)) in by_id.iter_mut() {
            if c.is_none() {
                *c = cos.get(&MemoryId(*id)).copied();
            }
        }
        // Both signals on [0, 1] over the candidates: cosines min–max, BM25 over its maximum
        // (its minimum is 0, a candidate without the words).
        let (lo, hi) = by_id
            .values()
            .filter_map(|(c, _)| *c)
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), c| {
                (lo.min(c), hi.max(c))
            });
        let sem_norm = |c: Option<f32>| match c {
            Some(c) if hi > lo => (c - lo) / (hi - lo),
            Some(_) => 1.0,
            None => 0.0,
        };
        let w = opts.semantic_weight.clamp(0.0, 1.0);
        let mut hits: Vec<(u64, f32, Option<f32>, Option<f32>)> = by_id
            .into_iter()
            .map(|(id, (c, l))| {
                let lex = match (l, max_lex > 0.0) {
                    (Some(l), true) => l / max_lex,
                    _ => 0.0,
                };
                (id, w * sem_norm(c) + (1.0 - w) * lex, c, l)
            })
            .collect();
        hits.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        hits.truncate(opts.limit);
        self.materialize(&snap, hits.into_iter())
    }

    /// Exact cosines of the query with some memories' vectors.
    fn cosines(
        &self,
        q: &[f32],
        ids: impl Iterator<Item = MemoryId>,
    ) -> Result<std::collections::HashMap<MemoryId, f32>> {
        let mut out = std::collections::HashMap::new();
        let Some(vs) = &self.inner.vectors else {
            return Ok(out);
        };
        let snap = vs.snapshot()?;
        let o = vs.overrides()?;
        for id in ids {
            if let Some(v) = snap.vector(o.slot_of(id.0)) {
                out.insert(id, memspine_index::kernels::dot(q, v));
            }
        }
        Ok(out)
    }
}

/// The `limit` best (id, BM25) of the memories `docs` (the result of `filter`) for `query`.
pub(crate) fn lexical_ranked(
    snap: &crate::read::Snapshot,
    query: &str,
    limit: usize,
    docs: &RoaringBitmap,
    filter: &Filter,
) -> Result<Vec<(u64, f32)>> {
    let copies = &snap.spine.inner.lexical_copies;
    let hits = copies.search(snap, query, limit, docs, filter)?;
    Ok(hits.into_iter().map(|(id, s)| (u64::from(id), s)).collect())
}
