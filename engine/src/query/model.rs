//! An in-memory [`IndexAccess`] built from [`MemoryFacts`]: the model the planner is tested
//! against, the index of the DSL benchmark, and a reference for the engine's own implementation.
//!
//! Bitmaps for labels, flags, tiers and text terms; sorted `(time, id)` arrays for the times;
//! a sorted `(importance, id)` array. When ids increase with a field's time (true of `created`
//! for memspine ids, which are allocated in time order), a time range is answered as one id
//! range intersected with the field's members: two binary searches and a bitmap `AND`,
//! whatever the range's size.

use std::collections::HashMap;
use std::convert::Infallible;
use std::ops::{Bound, RangeBounds};

use roaring::RoaringBitmap;

use super::ast::{Flag, Label, Tier, TimeField};
use super::eval::{lexical_terms, MemoryFacts};
use super::plan::{IndexAccess, Leaf};

/// An in-memory index over memory descriptions (see the module doc).
#[derive(Debug, Default, Clone)]
pub struct MemoryIndex {
    universe: RoaringBitmap,
    labels: [HashMap<String, RoaringBitmap>; 5],
    flags: [RoaringBitmap; 2],
    tiers: [RoaringBitmap; 3],
    times: [TimeIndex; 3],
    importance: Vec<(f32, u32)>,
    terms: HashMap<String, RoaringBitmap>,
    /// Per id: the content in lowercase, for phrases of several words.
    texts: HashMap<u32, String>,
    /// Per id: (updated, accessed, importance), for checking candidates one by one.
    columns: HashMap<u32, (u64, Option<u64>, f32)>,
}

#[derive(Debug, Default, Clone)]
struct TimeIndex {
    /// Sorted by (time, id).
    entries: Vec<(u64, u32)>,
    /// Ids with this time set.
    members: RoaringBitmap,
    /// Ids increase strictly along `entries`.
    monotone: bool,
}

/// `filter` checks candidates one by one when they are fewer than `universe / SCAN_RATIO`.
const SCAN_RATIO: u64 = 8;

fn label_slot(l: Label) -> usize {
    match l {
        Label::Tag => 0,
        Label::User => 1,
        Label::Session => 2,
        Label::Agent => 3,
        Label::Kind => 4,
    }
}

fn tier_slot(t: Tier) -> usize {
    match t {
        Tier::Working => 0,
        Tier::ShortTerm => 1,
        Tier::LongTerm => 2,
    }
}

fn time_slot(f: TimeField) -> usize {
    match f {
        TimeField::Created => 0,
        TimeField::Updated => 1,
        TimeField::Accessed => 2,
    }
}

impl MemoryIndex {
    /// Indexes `facts`. `None` if an id does not fit `u32` or appears twice.
    pub fn build(facts: impl IntoIterator<Item = MemoryFacts>) -> Option<Self> {
        let mut ix = MemoryIndex::default();
        for m in facts {
            ix.insert(&m)?;
        }
        for t in &mut ix.times {
            t.entries.sort_unstable();
            t.monotone = t
                .entries
                .windows(2)
                .all(|w| matches!(w, [a, b] if a.1 < b.1));
        }
        ix.importance
            .sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        Some(ix)
    }

    fn insert(&mut self, m: &MemoryFacts) -> Option<()> {
        let id = u32::try_from(m.id).ok()?;
        if !self.universe.insert(id) {
            return None;
        }
        let labels = [
            (Label::User, m.user.as_deref()),
            (Label::Session, m.session.as_deref()),
            (Label::Agent, m.agent.as_deref()),
            (Label::Kind, Some(m.kind.as_str())),
        ];
        let tags = m.tags.iter().map(|t| (Label::Tag, Some(t.as_str())));
        for (l, v) in labels.into_iter().chain(tags) {
            if let Some(v) = v {
                let map = &mut self.labels[label_slot(l)];
                map.entry(v.to_string()).or_default().insert(id);
            }
        }
        for (flag, set) in [(0, m.pinned), (1, m.archived)] {
            if set {
                self.flags[flag].insert(id);
            }
        }
        self.tiers[tier_slot(m.tier)].insert(id);
        let times = [Some(m.created), Some(m.updated), m.accessed];
        for (t, ix) in times.into_iter().zip(&mut self.times) {
            if let Some(t) = t {
                ix.entries.push((t, id));
                ix.members.insert(id);
            }
        }
        if !m.importance.is_nan() {
            self.importance.push((m.importance, id));
        }
        for term in lexical_terms(&m.text) {
            self.terms.entry(term).or_default().insert(id);
        }
        self.texts.insert(id, m.text.to_lowercase());
        self.columns
            .insert(id, (m.updated, m.accessed, m.importance));
        Some(())
    }

    /// Number of indexed memories.
    pub fn len(&self) -> u64 {
        self.universe.len()
    }

    /// Whether no memory is indexed.
    pub fn is_empty(&self) -> bool {
        self.universe.is_empty()
    }

    /// Whether candidate `id`'s own values match a scan-type leaf (see [`is_scan_leaf`]).
    fn check(&self, leaf: &Leaf, id: u32) -> bool {
        let Some(&(updated, accessed, importance)) = self.columns.get(&id) else {
            return false;
        };
        match leaf {
            Leaf::Time(TimeField::Updated, lo, hi) => in_range(&updated, lo, hi),
            Leaf::Time(TimeField::Accessed, lo, hi) => {
                accessed.is_some_and(|a| in_range(&a, lo, hi))
            }
            Leaf::Importance(lo, hi) => in_range(&importance, lo, hi),
            _ => false,
        }
    }
}

/// Leaves an engine would answer by scanning records; the model checks few candidates directly.
fn is_scan_leaf(leaf: &Leaf) -> bool {
    matches!(
        leaf,
        Leaf::Time(TimeField::Updated | TimeField::Accessed, ..) | Leaf::Importance(..)
    )
}

fn in_range<T: PartialOrd>(v: &T, lo: &Bound<T>, hi: &Bound<T>) -> bool {
    (lo.as_ref(), hi.as_ref()).contains(v)
}

/// The index range of sorted `keys` within the bounds (compared with `PartialOrd`, so `-0.0`
/// and `0.0` are one value, as in the evaluator).
fn bounds_to_range<T: PartialOrd + Copy>(
    keys: &[(T, u32)],
    lo: Bound<T>,
    hi: Bound<T>,
) -> (usize, usize) {
    let start = match lo {
        Bound::Included(v) => keys.partition_point(|k| k.0 < v),
        Bound::Excluded(v) => keys.partition_point(|k| k.0 <= v),
        Bound::Unbounded => 0,
    };
    let end = match hi {
        Bound::Included(v) => keys.partition_point(|k| k.0 <= v),
        Bound::Excluded(v) => keys.partition_point(|k| k.0 < v),
        Bound::Unbounded => keys.len(),
    };
    (start, end.max(start))
}

/// The ids of `keys[start..end]` as a bitmap.
fn ids_of<T>(keys: &[(T, u32)], start: usize, end: usize) -> RoaringBitmap {
    let mut ids: Vec<u32> = keys
        .get(start..end)
        .unwrap_or(&[])
        .iter()
        .map(|k| k.1)
        .collect();
    ids.sort_unstable();
    RoaringBitmap::from_sorted_iter(ids).unwrap_or_default()
}

impl TimeIndex {
    fn range(&self, lo: Bound<u64>, hi: Bound<u64>) -> RoaringBitmap {
        let (start, end) = bounds_to_range(&self.entries, lo, hi);
        if !self.monotone {
            return ids_of(&self.entries, start, end);
        }
        let (Some(first), Some(last)) = (
            self.entries.get(start),
            end.checked_sub(1).and_then(|e| self.entries.get(e)),
        ) else {
            return RoaringBitmap::new();
        };
        let mut b = RoaringBitmap::new();
        b.insert_range(first.1..=last.1);
        b & &self.members
    }
}

impl IndexAccess for MemoryIndex {
    type Error = Infallible;

    fn universe(&self) -> Result<RoaringBitmap, Infallible> {
        Ok(self.universe.clone())
    }

    fn label(&self, label: Label, value: &str) -> Result<RoaringBitmap, Infallible> {
        Ok(self.labels[label_slot(label)]
            .get(value)
            .cloned()
            .unwrap_or_default())
    }

    fn flag(&self, flag: Flag) -> Result<RoaringBitmap, Infallible> {
        Ok(self.flags[usize::from(flag == Flag::Archived)].clone())
    }

    fn tier(&self, tier: Tier) -> Result<RoaringBitmap, Infallible> {
        Ok(self.tiers[tier_slot(tier)].clone())
    }

    fn time_range(
        &self,
        field: TimeField,
        lo: Bound<u64>,
        hi: Bound<u64>,
    ) -> Result<RoaringBitmap, Infallible> {
        Ok(self.times[time_slot(field)].range(lo, hi))
    }

    fn importance_range(
        &self,
        lo: Bound<f32>,
        hi: Bound<f32>,
    ) -> Result<RoaringBitmap, Infallible> {
        let (start, end) = bounds_to_range(&self.importance, lo, hi);
        Ok(ids_of(&self.importance, start, end))
    }

    fn text(&self, phrase: &str) -> Result<RoaringBitmap, Infallible> {
        let mut acc: Option<RoaringBitmap> = None;
        for term in lexical_terms(phrase) {
            let Some(b) = self.terms.get(&term) else {
                return Ok(RoaringBitmap::new());
            };
            acc = Some(match acc {
                Some(a) => a & b,
                None => b.clone(),
            });
        }
        let acc = acc.unwrap_or_default();
        if phrase.split_whitespace().count() <= 1 {
            return Ok(acc);
        }
        // Several words: the phrase itself must occur (as `eval::phrase_matches`).
        let needle = phrase.to_lowercase();
        Ok(acc
            .iter()
            .filter(|id| self.texts.get(id).is_some_and(|t| t.contains(&needle)))
            .collect())
    }

    fn id(&self, id: u64) -> Result<RoaringBitmap, Infallible> {
        let hit = u32::try_from(id)
            .ok()
            .filter(|&i| self.universe.contains(i));
        Ok(hit.into_iter().collect())
    }

    fn filter(&self, leaf: &Leaf, candidates: &RoaringBitmap) -> Result<RoaringBitmap, Infallible> {
        let few = candidates.len().saturating_mul(SCAN_RATIO) < self.universe.len();
        if few && is_scan_leaf(leaf) {
            return Ok(candidates
                .iter()
                .filter(|&id| self.check(leaf, id))
                .collect());
        }
        Ok(self.fetch(leaf)? & candidates)
    }
}
