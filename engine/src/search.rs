//! Search: semantic (vector), lexical (BM25) and hybrid, over a bitmap pre-filter.
//!
//! Every filter (scope, tags, kind, time, pinned, archived) becomes a roaring bitmap first; the
//! vector scan visits only those slots, so a filtered search of a small set is exact.

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
            SearchMode::Lexical | SearchMode::Hybrid => self.semantic(query, opts)?,
        };
        if opts.track_access {
            let ids: Vec<MemoryId> = hits.iter().map(|h| h.id).collect();
            self.note_access(&ids);
        }
        Ok(hits)
    }

    fn query_vector(&self, query: &str, opts: &SearchOptions) -> Result<Vec<f32>> {
        match &opts.vector {
            Some(v) => self.check_vector(v),
            None => Err(Error::invalid(
                "query",
                format!("no embedder is configured to embed {query:?}: pass a query vector"),
            )),
        }
    }

    /// Vector search over the filtered set.
    fn semantic(&self, query: &str, opts: &SearchOptions) -> Result<Vec<SearchHit>> {
        let Some(vs) = &self.inner.vectors else {
            return Err(Error::invalid(
                "mode",
                "this database stores no vectors (dimension 0)",
            ));
        };
        let q = self.query_vector(query, opts)?;
        let snap = self.snapshot()?;
        let ids = snap.filter(&opts.filter)? & snap.bitmap("vec")?;
        let arena = vs.snapshot()?;
        let overrides = vs.overrides()?;
        let slots = overrides.slots_of(ids);
        let iopts = if opts.exact {
            memspine_index::SearchOptions::exact()
        } else {
            memspine_index::SearchOptions::default()
        };
        let hits = arena
            .search(&q, opts.limit, &slots, &iopts)
            .map_err(|e| Error::Index(e.to_string()))?;
        let mut out = Vec::with_capacity(hits.len());
        for h in hits {
            let id = overrides.id_of(h.slot);
            if let Some(memory) = snap.memory(id)? {
                out.push(SearchHit {
                    id: MemoryId(id),
                    score: h.score,
                    semantic: Some(h.score),
                    lexical: None,
                    memory,
                });
            }
        }
        Ok(out)
    }
}
