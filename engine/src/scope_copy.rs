//! Scope-local copies of the int8 records of the scopes that are searched (a user's, a
//! session's or an agent's memories), kept in memory so that a scoped search streams its
//! scope's records instead of gathering one record per 4 KiB page of the arena
//! (`memspine_index::group`; docs/design.md, "Scope copies").
//!
//! A copy is asked for by the first search of its scope that needs it, and again by a later
//! search once the scope has grown past it by an eighth; a background thread builds it, so no
//! search waits for a copy (what a copy lacks, or a scope without one, is read from the arena,
//! so results never depend on it). Copies live within a byte budget
//! ([`crate::Options::scope_copy_bytes`]); the least recently used go first. Nothing is
//! written to disk: a reopened database starts without copies.

use std::collections::{HashMap, HashSet};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

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
/// Copies waiting for the builder at most; a search that finds the queue full asks again later.
const QUEUE: usize = 64;

/// The copies of one open database.
pub(crate) struct ScopeCopies {
    shared: Arc<Shared>,
    /// The builder thread and its queue, started by the first copy asked for.
    builder: Mutex<Option<(SyncSender<Job>, JoinHandle<()>)>>,
}

struct Shared {
    budget: usize,
    state: Mutex<State>,
    /// Scopes queued or being built (one request per scope at a time).
    pending: Mutex<HashSet<String>>,
    /// Signalled when `pending` becomes empty.
    idle: Condvar,
}

/// A copy to build: the scope's slots, from the arena snapshot of the search that asked.
struct Job {
    key: String,
    snap: Snapshot,
    slots: RoaringBitmap,
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

/// Takes a scope off `pending` when dropped (also when a build panics), waking waiters.
struct Done<'a>(&'a Shared, &'a str);

impl Drop for Done<'_> {
    fn drop(&mut self) {
        if let Ok(mut p) = self.0.pending.lock() {
            p.remove(self.1);
            if p.is_empty() {
                self.0.idle.notify_all();
            }
        }
    }
}

impl ScopeCopies {
    pub(crate) fn new(budget: usize) -> ScopeCopies {
        ScopeCopies {
            shared: Arc::new(Shared {
                budget,
                state: Mutex::new(State::default()),
                pending: Mutex::new(HashSet::new()),
                idle: Condvar::new(),
            }),
            builder: Mutex::new(None),
        }
    }

    /// The copy of scope `key` (a bitmap name such as `u:alice`) to search the candidate slots
    /// `eff`, or `None` to search the arena. When there is no copy or it lacks more than an
    /// eighth of `eff`, and `eff` is large enough to be worth one, queues a build of the copy
    /// (from `scope()`, the scope's slots, and the arena `snap`) and returns what there is now.
    pub(crate) fn get(
        &self,
        key: &str,
        eff: &RoaringBitmap,
        snap: &Snapshot,
        scope: impl FnOnce() -> Result<RoaringBitmap>,
    ) -> Result<Option<Arc<Int8Group>>> {
        let sh = &self.shared;
        if sh.budget == 0 || eff.len() > MAX_EXACT {
            return Ok(None);
        }
        let found = sh.lookup(key);
        let stale = match &found {
            Some(g) if eff == g.slots() => false,
            Some(g) => eff.len() - eff.intersection_len(g.slots()) > (g.len() as u64 / 8).max(64),
            None => true,
        };
        if !stale || eff.len() < MIN_SCOPE || !sh.claim(key) {
            return Ok(found);
        }
        let done = Done(sh, key);
        let slots = scope()?;
        if (MIN_SCOPE..=MAX_EXACT).contains(&slots.len()) {
            let job = Job {
                key: key.to_owned(),
                snap: snap.clone(),
                slots,
            };
            if self.submit(job) {
                // The builder takes the scope off `pending` when the copy is in.
                std::mem::forget(done);
            }
        }
        Ok(found)
    }

    /// Hands `job` to the builder thread (started on first use): false when it cannot take it
    /// now (queue full, thread not started).
    fn submit(&self, job: Job) -> bool {
        let Ok(mut b) = self.builder.lock() else {
            return false;
        };
        if b.is_none() {
            let (tx, rx) = sync_channel::<Job>(QUEUE);
            let shared = self.shared.clone();
            let spawned = std::thread::Builder::new()
                .name("memspine-scope-copies".into())
                .spawn(move || {
                    for job in rx {
                        let _done = Done(&shared, &job.key);
                        let group = Int8Group::build(&job.snap, &job.slots);
                        shared.insert(&job.key, Arc::new(group));
                    }
                });
            match spawned {
                Ok(handle) => *b = Some((tx, handle)),
                Err(_) => return false,
            }
        }
        b.as_ref().is_some_and(|(tx, _)| tx.try_send(job).is_ok())
    }

    /// Blocks until every copy asked for so far is built (or given up).
    pub(crate) fn wait_idle(&self) {
        let Ok(mut p) = self.shared.pending.lock() else {
            return;
        };
        while !p.is_empty() {
            match self.shared.idle.wait(p) {
                Ok(next) => p = next,
                Err(_) => return,
            }
        }
    }

    /// Copies held and their bytes.
    pub(crate) fn usage(&self) -> (usize, usize) {
        self.shared
            .state
            .lock()
            .map(|s| (s.map.len(), s.bytes))
            .unwrap_or((0, 0))
    }

    /// Checks every copy against the arena (part of `verify`): the scope and slot of the
    /// first record that differs.
    pub(crate) fn verify(&self, snap: &Snapshot) -> Option<(String, u32)> {
        let groups: Vec<(String, Arc<Int8Group>)> = self
            .shared
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

impl Drop for ScopeCopies {
    /// Stops the builder after the copy it is building, so no thread reads the arena's maps
    /// once the database is closed.
    fn drop(&mut self) {
        let builder = self.builder.get_mut().ok().and_then(Option::take);
        if let Some((tx, handle)) = builder {
            drop(tx);
            let _ = handle.join();
        }
    }
}

impl Shared {
    /// Marks `key` pending: false when it already was.
    fn claim(&self, key: &str) -> bool {
        self.pending
            .lock()
            .is_ok_and(|mut p| p.insert(key.to_owned()))
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
