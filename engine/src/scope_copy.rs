//! Scope-local copies of the int8 records of the scopes that are searched (a user's, a
//! session's or an agent's memories), kept in memory so that a scoped search streams its
//! scope's records instead of gathering one record per 4 KiB page of the arena
//! (`memspine_index::group`; docs/design.md, "Scope copies").
//!
//! A copy is built by the first search of its scope that needs it, and rebuilt by a later
//! search once the scope has grown past it by an eighth (what it lacks is read from the arena
//! meanwhile, so results never depend on it). Copies live within a byte budget
//! ([`crate::Options::scope_copy_bytes`]); the least recently used go first. Nothing is
//! written to disk: a reopened database starts without copies.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use memspine_index::arena::Snapshot;
use memspine_index::group::Int8Group;
use roaring::RoaringBitmap;

use crate::error::Result;

/// Scopes with fewer vectors than this are searched from the arena directly (their scattered
/// reads cost little) and get no copy.
pub(crate) const MIN_SCOPE: u64 = 2_048;
/// Candidate sets up to this size, inside a scope with a copy, are searched exactly from the
/// copy; larger ones take the partitioned (approximate) path. Bounds a search's cost to that of
/// streaming ~30 MB at 384-d.
pub(crate) const MAX_EXACT: u64 = 80_000;

/// The copies of one open database.
pub(crate) struct ScopeCopies {
    budget: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    map: HashMap<String, Entry>,
    bytes: usize,
    tick: u64,
}

struct Entry {
    group: Arc<Int8Group>,
    used: u64,
}

impl ScopeCopies {
    pub(crate) fn new(budget: usize) -> ScopeCopies {
        ScopeCopies {
            budget,
            state: Mutex::new(State::default()),
        }
    }

    /// The copy of scope `key` (a bitmap name such as `u:alice`) to search the candidate slots
    /// `eff`, or `None` to search the arena. Builds the copy (from `scope()`, the scope's slots,
    /// and the arena `snap`) when there is none or it lacks more than an eighth of `eff`, if
    /// `eff` is large enough to be worth it and the copy fits the budget.
    pub(crate) fn get(
        &self,
        key: &str,
        eff: &RoaringBitmap,
        snap: &Snapshot,
        scope: impl FnOnce() -> Result<RoaringBitmap>,
    ) -> Result<Option<Arc<Int8Group>>> {
        if self.budget == 0 || eff.len() > MAX_EXACT {
            return Ok(None);
        }
        let found = self.lookup(key);
        let stale = match &found {
            Some(g) => eff.len() - eff.intersection_len(g.slots()) > (g.len() as u64 / 8).max(64),
            None => true,
        };
        if !stale || eff.len() < MIN_SCOPE {
            return Ok(found);
        }
        let slots = scope()?;
        if slots.len() < MIN_SCOPE || slots.len() > MAX_EXACT {
            return Ok(found);
        }
        let group = Arc::new(Int8Group::build(snap, &slots));
        self.insert(key, group.clone());
        Ok(Some(group))
    }

    fn lookup(&self, key: &str) -> Option<Arc<Int8Group>> {
        let mut s = self.state.lock().ok()?;
        s.tick += 1;
        let tick = s.tick;
        let e = s.map.get_mut(key)?;
        e.used = tick;
        Some(e.group.clone())
    }

    /// Keeps `group` for `key` if it fits the budget, evicting the least recently used copies.
    fn insert(&self, key: &str, group: Arc<Int8Group>) {
        let size = group.bytes();
        let Ok(mut s) = self.state.lock() else {
            return;
        };
        if let Some(old) = s.map.remove(key) {
            s.bytes -= old.group.bytes();
        }
        if size > self.budget {
            return;
        }
        while s.bytes + size > self.budget {
            let Some(victim) = s
                .map
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(e) = s.map.remove(&victim) {
                s.bytes -= e.group.bytes();
            }
        }
        s.tick += 1;
        let used = s.tick;
        s.bytes += size;
        s.map.insert(key.to_owned(), Entry { group, used });
    }

    /// Copies held and their bytes.
    pub(crate) fn usage(&self) -> (usize, usize) {
        self.state
            .lock()
            .map(|s| (s.map.len(), s.bytes))
            .unwrap_or((0, 0))
    }

    /// Checks every copy against the arena (part of `verify`): the scope and slot of the
    /// first record that differs.
    pub(crate) fn verify(&self, snap: &Snapshot) -> Option<(String, u32)> {
        let groups: Vec<(String, Arc<Int8Group>)> = self
            .state
            .lock()
            .ok()?
            .map
            .iter()
            .map(|(k, e)| (k.clone(), e.group.clone()))
            .collect();
        groups
            .into_iter()
            .find_map(|(k, g)| g.first_mismatch(snap).map(|slot| (k, slot)))
    }
}

/// The scope a filter searches in, if it names one: its user, else its session, else its
/// agent; live memories only, or archived ones too as the filter says.
pub(crate) struct Scope {
    /// Names the copy: the scope's bitmap name, `+archived` when archived memories count.
    pub key: String,
    /// The scope alone, as a filter.
    pub filter: crate::Filter,
    /// Whether archived memories are part of it.
    pub archived: bool,
}

pub(crate) fn scope_of(filter: &crate::Filter) -> Option<Scope> {
    let (name, scope) = if let Some(u) = &filter.user {
        (format!("u:{u}"), crate::Filter::user(u.clone()))
    } else if let Some(s) = &filter.session {
        let f = crate::Filter {
            session: Some(s.clone()),
            ..Default::default()
        };
        (format!("s:{s}"), f)
    } else {
        let a = filter.agent.as_ref()?;
        let f = crate::Filter {
            agent: Some(a.clone()),
            ..Default::default()
        };
        (format!("a:{a}"), f)
    };
    let archived = filter.include_archived;
    Some(Scope {
        key: if archived {
            format!("{name}+archived")
        } else {
            name
        },
        filter: scope,
        archived,
    })
}
