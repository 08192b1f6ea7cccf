//! The read path: get, history, recent, time windows and bitmap filters. Reads run in their own
//! redb read transaction (an MVCC snapshot) and never wait for the writer.

use std::sync::Arc;

use redb::{ReadTransaction, ReadableTable};
use roaring::RoaringBitmap;
use serde::{Deserialize, Serialize};

use crate::bitmaps;
use crate::clock::{Micros, DAY, HOUR};
use crate::db::Spine;
use crate::error::{Error, Result};
use crate::log::{Event, LogReader};
use crate::memory::record::{self, Rec};
use crate::memory::{Memory, MemoryId};
use crate::record_cache::Cached;
use crate::schema::{ACCESS, BITMAPS, BY_CREATED, MEMORIES, MEM_EVENTS};

/// A structured filter over memories; every set field must match (AND).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Filter {
    /// Only this user's memories.
    pub user: Option<String>,
    /// Only this session's.
    pub session: Option<String>,
    /// Only this agent's.
    pub agent: Option<String>,
    /// Only this kind.
    pub kind: Option<String>,
    /// Memories carrying all these tags.
    pub tags: Vec<String>,
    /// Only pinned (true) or only unpinned (false).
    pub pinned: Option<bool>,
    /// Created at or after (µs).
    pub created_after: Option<Micros>,
    /// Created before (µs).
    pub created_before: Option<Micros>,
    /// Include archived memories (default: live only).
    pub include_archived: bool,
    /// Only this tier (see [`crate::memory::Tier`]); `Working` needs `current_session`.
    pub tier: Option<crate::memory::Tier>,
    /// The caller's current session, which defines the working tier.
    pub current_session: Option<String>,
}

impl Filter {
    /// A filter for one user.
    pub fn user(user: impl Into<String>) -> Self {
        Filter {
            user: Some(user.into()),
            ..Default::default()
        }
    }
}

/// Reads inside one snapshot.
pub(crate) struct Snapshot {
    pub txn: ReadTransaction,
    pub spine: Spine,
    /// The commit generation the transaction reads, when certain (`bitmap_cache.rs`).
    pub generation: Option<u64>,
}

impl Snapshot {
    fn pending_access(&self, id: u64) -> Option<(u64, Micros)> {
        self.spine.inner.access.pending(id, self.generation)
    }

    pub(crate) fn memory(&self, id: u64) -> Result<Option<Memory>> {
        Ok(self.memories(std::iter::once(id))?.pop())
    }

    /// Reads several memories (missing ids skipped), opening the tables once.
    pub(crate) fn memories(&self, ids: impl IntoIterator<Item = u64>) -> Result<Vec<Memory>> {
        Ok(self.records(ids)?.iter().map(Rec::to_memory).collect())
    }

    /// Reads several memories' records (missing ids skipped), from the record cache where it
    /// holds them (`record_cache.rs`), else from the tables, opened once.
    pub(crate) fn records(&self, ids: impl IntoIterator<Item = u64>) -> Result<Vec<Rec>> {
        let ids: Vec<u64> = ids.into_iter().collect();
        let cache = &self.spine.inner.records;
        let cached = cache.get_many(self.generation, &ids);
        let mut tables = None;
        let mut read = Vec::new();
        let mut out = Vec::with_capacity(ids.len());
        for (id, hit) in ids.into_iter().zip(cached) {
            let c = match hit {
                Some(c) => c,
                None => {
                    let (memories, access) = match &tables {
                        Some(t) => t,
                        None => tables
                            .insert((self.txn.open_table(MEMORIES)?, self.txn.open_table(ACCESS)?)),
                    };
                    let Some(v) = memories.get(id)? else {
                        continue;
                    };
                    let c = Cached {
                        record: Arc::new(record::decode(id, v.value())?),
                        access: access.get(id)?.map(|a| a.value()).unwrap_or((0, 0)),
                    };
                    read.push((id, c.clone()));
                    c
                }
            };
            let (mut count, mut last) = c.access;
            if let Some((n, l)) = self.pending_access(id) {
                count += n;
                last = last.max(l);
            }
            out.push(Rec {
                id: MemoryId(id),
                stored: c.record,
                access_count: count,
                last_access: (last > 0).then_some(last),
            });
        }
        cache.put_many(self.generation, read);
        Ok(out)
    }

    pub(crate) fn bitmap(&self, name: &str) -> Result<RoaringBitmap> {
        if crate::bitmap_cache::GLOBAL.contains(&name) {
            return Ok(self.global(name)?.as_ref().clone());
        }
        let t = self.txn.open_table(BITMAPS)?;
        bitmaps::load(&t, name)
    }

    /// One of the database-wide bitmaps (`bitmap_cache::GLOBAL`), decoded once per committed
    /// state and shared by the snapshots that read that state.
    pub(crate) fn global(&self, name: &str) -> Result<std::sync::Arc<RoaringBitmap>> {
        let cache = &self.spine.inner.bitmap_cache;
        if let Some(bm) = self.generation.and_then(|g| cache.get(g, name)) {
            return Ok(bm);
        }
        let t = self.txn.open_table(BITMAPS)?;
        let bm = std::sync::Arc::new(bitmaps::load(&t, name)?);
        let known = crate::bitmap_cache::GLOBAL.iter().find(|g| **g == name);
        if let (Some(g), Some(&known)) = (self.generation, known) {
            cache.put(g, known, bm.clone());
        }
        Ok(bm)
    }

    /// The ids matching a filter, as a bitmap.
    pub(crate) fn filter(&self, f: &Filter) -> Result<RoaringBitmap> {
        self.cached(f, false, || self.evaluate(f))
    }

    /// `filtered ∩ vec`, where `filtered` is this snapshot's [`Snapshot::filter`]`(f)`: the
    /// memories of `f` with vectors, cached like the filter's result.
    pub(crate) fn with_vectors(
        &self,
        f: &Filter,
        filtered: &RoaringBitmap,
    ) -> Result<RoaringBitmap> {
        // Cached under `f`: `filtered` must be `f`'s result (checked in debug builds; only a
        // cacheable filter's result is kept, and only its result is free of the clock).
        debug_assert!(
            !crate::bitmap_cache::cacheable(f) || self.evaluate(f).is_ok_and(|bm| bm == *filtered)
        );
        self.cached(f, true, || Ok(filtered & self.global("vec")?.as_ref()))
    }

    /// A filter's result (with vectors only, when `vectors`) from the cache of this snapshot's
    /// generation, else `compute`d and kept there (`bitmap_cache.rs`).
    fn cached(
        &self,
        f: &Filter,
        vectors: bool,
        compute: impl FnOnce() -> Result<RoaringBitmap>,
    ) -> Result<RoaringBitmap> {
        let cache = &self.spine.inner.bitmap_cache;
        let generation = self
            .generation
            .filter(|_| crate::bitmap_cache::cacheable(f));
        if let Some(bm) = generation.and_then(|g| cache.filter(g, f, vectors)) {
            return Ok(bm.as_ref().clone());
        }
        let bm = compute()?;
        if let Some(g) = generation {
            cache.put_filter(g, f, vectors, &bm);
        }
        Ok(bm)
    }

    /// [`Snapshot::filter`] without the cache.
    fn evaluate(&self, f: &Filter) -> Result<RoaringBitmap> {
        let t = self.txn.open_table(BITMAPS)?;
        // The named bitmaps first (a user's, a tag's: small), then the shared database-wide
        // ones by reference.
        let mut named: Option<RoaringBitmap> = None;
        let mut and = |name: String| -> Result<()> {
            match named.as_mut() {
                None => named = Some(bitmaps::load(&t, &name)?),
                Some(bm) if !bm.is_empty() => *bm &= bitmaps::load(&t, &name)?,
                Some(_) => {}
            }
            Ok(())
        };
        if let Some(u) = &f.user {
            and(format!("u:{u}"))?;
        }
        if let Some(s) = &f.session {
            and(format!("s:{s}"))?;
        }
        if let Some(a) = &f.agent {
            and(format!("a:{a}"))?;
        }
        if let Some(k) = &f.kind {
            and(format!("k:{k}"))?;
        }
        for tag in &f.tags {
            and(format!("t:{tag}"))?;
        }
        let live = self.global("live")?;
        let mut bm = match (named, f.include_archived) {
            (Some(mut bm), false) => {
                bm &= live.as_ref();
                bm
            }
            (Some(bm), true) => {
                let archived = self.global("archived")?;
                (&bm & live.as_ref()) | (&bm & archived.as_ref())
            }
            (None, false) => live.as_ref().clone(),
            (None, true) => live.as_ref() | self.global("archived")?.as_ref(),
        };
        match f.pinned {
            Some(true) => bm &= self.global("pinned")?.as_ref(),
            Some(false) => bm -= self.global("pinned")?.as_ref(),
            None => {}
        }
        if let Some(tier) = f.tier {
            self.apply_tier(&mut bm, tier, f.current_session.as_deref())?;
        }
        if f.created_after.is_some() || f.created_before.is_some() {
            let lo = f.created_after.unwrap_or(0);
            let hi = f.created_before.unwrap_or(u64::MAX);
            bm &= self.created_range(lo, hi)?;
        }
        Ok(bm)
    }

    pub(crate) fn apply_tier(
        &self,
        bm: &mut RoaringBitmap,
        tier: crate::memory::Tier,
        session: Option<&str>,
    ) -> Result<()> {
        use crate::memory::{Tier, SHORT_TERM};
        let working = match session {
            Some(s) => self.bitmap(&format!("s:{s}"))?,
            None if tier == Tier::Working => {
                return Err(Error::invalid(
                    "tier",
                    "the working tier needs the current session",
                ))
            }
            None => RoaringBitmap::new(),
        };
        // Short-term: age < SHORT_TERM, i.e. created after `now - SHORT_TERM` (as `Memory::tier`).
        let first_short = self.spine.now().saturating_sub(SHORT_TERM) + 1;
        match tier {
            Tier::Working => *bm &= working,
            Tier::ShortTerm => *bm &= self.created_range(first_short, u64::MAX)? - working,
            Tier::LongTerm => *bm &= self.created_range(0, first_short)? - working,
        }
        Ok(())
    }

    /// Ids created in `[lo, hi)`.
    ///
    /// Whole days and hours of the range come from the creation-time bucket bitmaps (one range
    /// read per family and side), the partial hours at both ends from `by_created`; so the cost
    /// follows the number of buckets and the memories of two hours, not the size of the window.
    pub(crate) fn created_range(&self, lo: Micros, hi: Micros) -> Result<RoaringBitmap> {
        if lo >= hi {
            return Ok(RoaringBitmap::new());
        }
        // Whole hours inside [lo, hi).
        let (h_lo, h_hi) = (lo.div_ceil(HOUR), hi / HOUR);
        if h_lo >= h_hi {
            return self.created_scan(lo, hi);
        }
        let mut out = self.created_scan(lo, h_lo * HOUR)?;
        out |= self.created_scan(h_hi * HOUR, hi)?;
        let t = self.txn.open_table(BITMAPS)?;
        let hours = |a: u64, b: u64| {
            bitmaps::load_names(&t, &bitmaps::hour_name(a), &bitmaps::hour_name(b))
        };
        // Whole days inside the whole hours.
        let (d_lo, d_hi) = (h_lo.div_ceil(24), h_hi / 24);
        if d_lo < d_hi {
            out |= hours(h_lo, d_lo * 24)?;
            out |= bitmaps::load_names(&t, &bitmaps::day_name(d_lo), &bitmaps::day_name(d_hi))?;
            out |= hours(d_hi * 24, h_hi)?;
        } else {
            out |= hours(h_lo, h_hi)?;
        }
        Ok(out)
    }

    /// Ids created in `[lo, hi)`, one `by_created` entry at a time (short ranges).
    fn created_scan(&self, lo: Micros, hi: Micros) -> Result<RoaringBitmap> {
        let mut out = RoaringBitmap::new();
        if lo >= hi {
            return Ok(out);
        }
        let t = self.txn.open_table(BY_CREATED)?;
        for e in t.range((lo, 0)..(hi, 0))? {
            out.insert(e?.0.value().1 as u32);
        }
        Ok(out)
    }

    /// Newest memories by creation time among `allowed`, newest first (ties: higher id
    /// first). A set that is dense among the newest memories is found by walking `by_created`
    /// back from the end; a sparse one (a light user among everyone's memories, whose newest
    /// ten may go back months) through the day buckets instead, so the walk never covers most of
    /// the index.
    pub(crate) fn newest(&self, count: usize, allowed: &RoaringBitmap) -> Result<Vec<u64>> {
        if count == 0 || allowed.is_empty() {
            return Ok(Vec::new());
        }
        let t = self.txn.open_table(BY_CREATED)?;
        let budget = count.saturating_mul(64).max(4096);
        let mut out = Vec::with_capacity(count);
        for e in t.iter()?.rev().take(budget) {
            let id = e?.0.value().1;
            if allowed.contains(id as u32) {
                out.push(id);
                if out.len() >= count {
                    return Ok(out);
                }
            }
        }
        let (Some(first), Some(last)) = (t.first()?, t.last()?) else {
            return Ok(out);
        };
        let (oldest, newest) = (first.0.value().0 / DAY, last.0.value().0 / DAY);
        self.newest_by_days(count, allowed, oldest, newest)
    }

    /// [`Self::newest`] through the day buckets: whole days, newest first, until they hold
    /// `count` of `allowed` (every member of `allowed` outside them is older than all inside),
    /// then those ordered by their records' creation times.
    fn newest_by_days(
        &self,
        count: usize,
        allowed: &RoaringBitmap,
        oldest: u64,
        newest: u64,
    ) -> Result<Vec<u64>> {
        let t = self.txn.open_table(BITMAPS)?;
        let mut found = RoaringBitmap::new();
        // A week of day buckets per range read.
        let mut hi = newest + 1;
        while hi > oldest && found.len() < count as u64 {
            let lo = hi.saturating_sub(7).max(oldest);
            let days = bitmaps::load_names(&t, &bitmaps::day_name(lo), &bitmaps::day_name(hi))?;
            found |= days & allowed;
            hi = lo;
        }
        let mut dated: Vec<(Micros, u64)> = self
            .memories(found.iter().map(u64::from))?
            .into_iter()
            .map(|m| (m.created_at, m.id.0))
            .collect();
        dated.sort_unstable_by(|a, b| b.cmp(a));
        Ok(dated.into_iter().take(count).map(|(_, id)| id).collect())
    }
}

impl Spine {
    pub(crate) fn snapshot(&self) -> Result<Snapshot> {
        let (txn, generation) = self.inner.generation.reading(|| self.read_txn());
        Ok(Snapshot {
            txn: txn?,
            spine: self.clone(),
            generation,
        })
    }

    /// Reads a memory; `UnknownId` when it does not exist or was deleted.
    pub fn get(&self, id: MemoryId) -> Result<Memory> {
        self.snapshot()?.memory(id.0)?.ok_or(Error::UnknownId(id.0))
    }

    /// Reads several memories in one snapshot, skipping missing ids.
    pub fn get_many(&self, ids: &[MemoryId]) -> Result<Vec<Memory>> {
        self.snapshot()?.memories(ids.iter().map(|id| id.0))
    }

    /// The events of one memory (stored, updated, consolidated, deleted), oldest first.
    /// Works for deleted memories too.
    pub fn history(&self, id: MemoryId) -> Result<Vec<Event>> {
        let s = self.snapshot()?;
        let t = s.txn.open_table(MEM_EVENTS)?;
        let mut seqs = Vec::new();
        if let Some(v) = s.txn.open_table(MEMORIES)?.get(id.0)? {
            seqs.push(record::decode(id.0, v.value())?.stored_seq);
        }
        for e in t.range((id.0, 0)..=(id.0, u64::MAX))? {
            seqs.push(e?.0.value().1);
        }
        seqs.sort_unstable();
        seqs.dedup();
        if seqs.is_empty() {
            return Err(Error::UnknownId(id.0));
        }
        let recs = LogReader::new(&s.txn, &self.inner.log_cache).by_seqs(&seqs)?;
        Ok(recs.into_iter().map(Event::from).collect())
    }

    /// The `count` most recently created live memories, newest first.
    pub fn recent(&self, count: usize) -> Result<Vec<Memory>> {
        self.recent_filtered(count, &Filter::default())
    }

    /// The `count` most recently created memories matching `filter`, newest first.
    pub fn recent_filtered(&self, count: usize, filter: &Filter) -> Result<Vec<Memory>> {
        let s = self.snapshot()?;
        let allowed = s.filter(filter)?;
        let ids = s.newest(count, &allowed)?;
        s.memories(ids)
    }

    /// Events of the last `hours` hours, optionally of one type, oldest first (the article's
    /// `query_recent`). Reads only the log pages that reach into the window.
    pub fn query_recent(&self, hours: f64, event_type: Option<&str>) -> Result<Vec<Event>> {
        if !hours.is_finite() || hours < 0.0 {
            return Err(Error::invalid("hours", format!("must be ≥ 0, got {hours}")));
        }
        let span = (hours * HOUR as f64) as u64;
        let since = self.now().saturating_sub(span);
        self.events_since(since, event_type)
    }

    /// Events with timestamp ≥ `since`, optionally of one type, oldest first.
    pub fn events_since(&self, since: Micros, event_type: Option<&str>) -> Result<Vec<Event>> {
        let s = self.snapshot()?;
        let recs = LogReader::new(&s.txn, &self.inner.log_cache).since(since, event_type)?;
        Ok(recs.into_iter().map(Event::from).collect())
    }

    /// The newest `count` events, newest first.
    pub fn recent_events(&self, count: usize) -> Result<Vec<Event>> {
        let s = self.snapshot()?;
        let recs = LogReader::new(&s.txn, &self.inner.log_cache).newest(count)?;
        Ok(recs.into_iter().map(Event::from).collect())
    }

    /// The ids of memories matching a filter.
    pub fn filter_ids(&self, filter: &Filter) -> Result<Vec<MemoryId>> {
        let bm = self.snapshot()?.filter(filter)?;
        Ok(bm.iter().map(|i| MemoryId(u64::from(i))).collect())
    }

    /// Number of live memories.
    pub fn count(&self) -> Result<u64> {
        Ok(self.snapshot()?.bitmap("live")?.len())
    }
}
