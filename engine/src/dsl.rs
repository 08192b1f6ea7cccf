//! The query language against the database: the planner's [`IndexAccess`] over one snapshot.
//!
//! Indexed predicates are bitmap operations: tags, scopes, kind, pinned, archived, tiers
//! (chunked roaring bitmaps), `created_*` (the `by_created` index), `text:` (BM25 postings, then
//! an exact phrase check of the candidates), `id`. `updated_*`, `accessed_*` and `importance`
//! have no index: the planner runs them last, on the candidates the indexed parts left, checking
//! records — a full scan only when a query has nothing indexed to narrow it.

use std::ops::Bound;

use roaring::RoaringBitmap;

use crate::db::Spine;
use crate::error::{Error, Result};
use crate::memory::record;
use crate::memory::{Memory, MemoryId};
use crate::query::{self, Expr, Flag, IndexAccess, Label, Leaf, Tier, TimeField};
use crate::read::Snapshot;
use crate::schema::{ACCESS, MEMORIES};

/// The snapshot plus what the query's context decides.
struct Access<'a> {
    snap: &'a Snapshot,
    include_archived: bool,
    current_session: Option<&'a str>,
    /// The universe, loaded once per query (several leaves intersect with it).
    universe: std::cell::OnceCell<RoaringBitmap>,
}

fn in_bounds<T: PartialOrd>(x: T, lo: Bound<T>, hi: Bound<T>) -> bool {
    let above = match lo {
        Bound::Included(l) => x >= l,
        Bound::Excluded(l) => x > l,
        Bound::Unbounded => true,
    };
    let below = match hi {
        Bound::Included(h) => x <= h,
        Bound::Excluded(h) => x < h,
        Bound::Unbounded => true,
    };
    above && below
}

impl Access<'_> {
    fn live(&self) -> Result<&RoaringBitmap> {
        if let Some(u) = self.universe.get() {
            return Ok(u);
        }
        let mut u = self.snap.bitmap("live")?;
        if self.include_archived {
            u |= self.snap.bitmap("archived")?;
        }
        Ok(self.universe.get_or_init(|| u))
    }

    /// Candidates whose record satisfies `keep` (for predicates without an index).
    fn scan(
        &self,
        candidates: &RoaringBitmap,
        keep: &dyn Fn(u64, &record::StoredMemory) -> Result<bool>,
    ) -> Result<RoaringBitmap> {
        let t = self.snap.txn.open_table(MEMORIES)?;
        let mut out = RoaringBitmap::new();
        for id in candidates {
            if let Some(v) = t.get(u64::from(id))? {
                if keep(u64::from(id), &record::decode(u64::from(id), v.value())?)? {
                    out.insert(id);
                }
            }
        }
        Ok(out)
    }

    fn last_access(&self, id: u64) -> Result<Option<u64>> {
        let t = self.snap.txn.open_table(ACCESS)?;
        let base = t.get(id)?.map(|v| v.value().1).filter(|t| *t > 0);
        let pending = self
            .snap
            .spine
            .inner
            .access
            .pending(id, self.snap.generation)
            .map(|p| p.1);
        Ok(base.max(pending))
    }
}

impl IndexAccess for Access<'_> {
    type Error = Error;

    fn universe(&self) -> Result<RoaringBitmap> {
        Ok(self.live()?.clone())
    }

    fn label(&self, label: Label, value: &str) -> Result<RoaringBitmap> {
        let prefix = match label {
            Label::Tag => "t",
            Label::User => "u",
            Label::Session => "s",
            Label::Agent => "a",
            Label::Kind => "k",
        };
        Ok(self.snap.bitmap(&format!("{prefix}:{value}"))? & self.live()?)
    }

    fn flag(&self, flag: Flag) -> Result<RoaringBitmap> {
        let name = match flag {
            Flag::Pinned => "pinned",
            Flag::Archived => "archived",
        };
        Ok(self.snap.bitmap(name)? & self.live()?)
    }

    fn tier(&self, tier: Tier) -> Result<RoaringBitmap> {
        let t = match tier {
            Tier::Working => crate::memory::Tier::Working,
            Tier::ShortTerm => crate::memory::Tier::ShortTerm,
            Tier::LongTerm => crate::memory::Tier::LongTerm,
        };
        let mut bm = self.universe()?;
        self.snap.apply_tier(&mut bm, t, self.current_session)?;
        Ok(bm)
    }

    fn time_range(
        &self,
        field: TimeField,
        lo: Bound<u64>,
        hi: Bound<u64>,
    ) -> Result<RoaringBitmap> {
        match field {
            TimeField::Created => {
                let from = match lo {
                    Bound::Included(l) => l,
                    Bound::Excluded(l) => l.saturating_add(1),
                    Bound::Unbounded => 0,
                };
                let to = match hi {
                    Bound::Included(h) => h.saturating_add(1),
                    Bound::Excluded(h) => h,
                    Bound::Unbounded => u64::MAX,
                };
                Ok(self.snap.created_range(from, to)? & self.live()?)
            }
            _ => self.filter(&Leaf::Time(field, lo, hi), self.live()?),
        }
    }

    fn importance_range(&self, lo: Bound<f32>, hi: Bound<f32>) -> Result<RoaringBitmap> {
        self.filter(&Leaf::Importance(lo, hi), self.live()?)
    }

    fn text(&self, phrase: &str) -> Result<RoaringBitmap> {
        let docs = memspine_index::lexical::phrase_or_terms_bitmap(&self.snap.txn, phrase)
            .map_err(|e| Error::Index(e.to_string()))?;
        let needle = phrase.to_lowercase();
        let words = needle.split_whitespace().count();
        let cand = docs & self.live()?;
        if words <= 1 {
            return Ok(cand);
        }
        // Several words: the exact phrase (case-insensitive) must occur.
        self.scan(&cand, &|_, m| {
            Ok(m.content.to_lowercase().contains(&needle))
        })
    }

    fn id(&self, id: u64) -> Result<RoaringBitmap> {
        let mut b = RoaringBitmap::new();
        if u32::try_from(id).is_ok_and(|i| self.live().is_ok_and(|u| u.contains(i))) {
            b.insert(id as u32);
        }
        Ok(b)
    }

    fn filter(&self, leaf: &Leaf, candidates: &RoaringBitmap) -> Result<RoaringBitmap> {
        match leaf {
            Leaf::Time(TimeField::Updated, lo, hi) => {
                self.scan(candidates, &|_, m| Ok(in_bounds(m.updated_at, *lo, *hi)))
            }
            Leaf::Time(TimeField::Accessed, lo, hi) => self.scan(candidates, &|id, _| {
                Ok(self
                    .last_access(id)?
                    .is_some_and(|t| in_bounds(t, *lo, *hi)))
            }),
            Leaf::Importance(lo, hi) => {
                self.scan(candidates, &|_, m| Ok(in_bounds(m.importance, *lo, *hi)))
            }
            other => Ok(self.fetch(other)? & candidates),
        }
    }
}

/// Options of a query-language call.
#[derive(Debug, Clone, Default)]
pub struct QueryOptions {
    /// The caller's current session (defines `tier:working`).
    pub current_session: Option<String>,
    /// Most memories returned (0: all).
    pub limit: usize,
    /// Count the returned memories as accessed (default false: a query is a filter — used for
    /// maintenance, export, `accessed_*` conditions — not a retrieval; search and the context
    /// window, the retrievals, count by default).
    pub track_access: bool,
}

fn query_error(e: query::QueryError) -> Error {
    Error::Query {
        position: e.position,
        message: e.to_string(),
    }
}

impl Spine {
    /// Runs a query-language string (e.g. `created_before:30d AND NOT pinned:true`) and returns the
    /// matching memories in id order. Never splice user text into a query: use [`crate::query::Q`]
    /// (the typed builder) and [`Spine::query`] instead.
    pub fn query_dsl(&self, q: &str) -> Result<Vec<Memory>> {
        let expr = query::parse(q).map_err(query_error)?;
        self.query(&expr, &QueryOptions::default())
    }

    /// Runs a built or parsed expression.
    pub fn query(&self, expr: &Expr, opts: &QueryOptions) -> Result<Vec<Memory>> {
        let ids = self.query_ids(expr, opts)?;
        let s = self.snapshot()?;
        let limit = if opts.limit == 0 {
            usize::MAX
        } else {
            opts.limit
        };
        let out = s.memories(ids.iter().take(limit).map(u64::from))?;
        if opts.track_access {
            let ids: Vec<MemoryId> = out.iter().map(|m| m.id).collect();
            self.note_access(&ids);
        }
        Ok(out)
    }

    /// The ids matching an expression, as a bitmap (for counting or as a search filter; no
    /// memory is returned, so `track_access` does not apply).
    pub fn query_ids(&self, expr: &Expr, opts: &QueryOptions) -> Result<RoaringBitmap> {
        // Refused whatever the rest of the query (the planner may never reach the leaf).
        if opts.current_session.is_none() && expr.mentions_working_tier() {
            return Err(Error::invalid(
                "tier",
                "the working tier needs the current session (QueryOptions::current_session)",
            ));
        }
        let plan = query::plan(expr, self.now()).map_err(|e| Error::Query {
            position: 0,
            message: e.to_string(),
        })?;
        let snap = self.snapshot()?;
        let access = Access {
            snap: &snap,
            include_archived: expr.mentions_archived(),
            current_session: opts.current_session.as_deref(),
            universe: Default::default(),
        };
        plan.execute(&access)
    }
}
