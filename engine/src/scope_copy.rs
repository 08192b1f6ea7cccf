//! Scope-local copies of what a scoped search reads, kept in memory: the int8 records of the
//! scopes that are searched (a user's, a session's or an agent's memories), so that a scoped
//! search streams its scope's records instead of gathering one record per 4 KiB page of the
//! arena (`memspine_index::group`; docs/design.md, "Scope copies"), and the scopes' own lexical
//! postings (`crate::lexical_copy`).
//!
//! A copy is asked for by the first search of its scope that needs it, and again by a later
//! search once the scope has grown past it by an eighth; a background thread builds it, so no
//! search waits for a copy (what a copy lacks, or a scope without one, is read from the arena
//! or the index, so results never depend on it). Copies live within a byte budget
//! ([`crate::Options::scope_copy_bytes`]); the least recently used go first. Nothing is
//! written to disk: a reopened database starts without copies.
//!
//! When the scopes being searched need more than the budget, recency alone thrashes: each
//! search of a scope without a copy builds one (reading every memory of the scope) and evicts
//! a copy that the next searches want again. At 1M memories a 64 MiB lexical budget held 76 of
//! the ~90 scopes the harness searched, and the builder rebuilt them 376 times in 15 s, a fifth
//! of a core taken from the searches. So a copy that would evict others is admitted by
//! frequency (as TinyLFU admits): only a scope asked for, while it had no copy, more than twice
//! as often as the copies it would evict (least recently used first) were used since they were
//! built. Both counts are halved every [`AGE_EVERY`] lookups, so a scope hot long ago does not
//! keep its place for ever. Measured with a 24 MiB lexical budget (a third of what the harness's
//! scopes need): 656 builds in 15 s without admission, 168 with it (128 of them in the first
//! second), context window p95 7.6 -> 4.6 ms. A copy that comes out larger than the budget, or
//! than the room frequency would give it (admission estimates a copy's size from the set
//! searched, which may be narrower than its scope), is not kept; a scope whose copy exceeded
//! the whole budget is not built again while the database stays open.

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
/// Scopes of more vectors than this get no copy (their searches take the partitioned path).
/// Bounds a copy to ~36 MB at 384-d. A copy is searched exactly up to `exact_below` candidates
/// (20 000 by default) and by the sign-code pool above, as the arena is.
pub(crate) const MAX_SCOPE: u64 = 80_000;
/// Copies waiting for the builder at most; a search that finds the queue full asks again later.
const QUEUE: usize = 64;
/// Lookups between two halvings of the use and request counts.
const AGE_EVERY: u64 = 32_768;
/// Most scopes whose requests are counted while they have no copy (then the counts restart).
const MAX_WANTED: usize = 4_096;

/// What a cache of scope copies holds.
pub(crate) trait ScopeCopy: Send + Sync + 'static {
    /// The members (arena slots, documents) the copy holds.
    fn members(&self) -> &RoaringBitmap;
    /// Approximate heap bytes held.
    fn bytes(&self) -> usize;
}

impl ScopeCopy for Int8Group {
    fn members(&self) -> &RoaringBitmap {
        self.slots()
    }

    fn bytes(&self) -> usize {
        Int8Group::bytes(self)
    }
}

/// Builds a copy on the builder thread (`None`: nothing to keep).
pub(crate) type Build<T> = Box<dyn FnOnce() -> Option<T> + Send>;

/// The copies of one kind of one open database.
pub(crate) struct ScopeCopies<T: ScopeCopy> {
    shared: Arc<Shared<T>>,
    /// The builder thread and its queue, started by the first copy asked for.
    builder: Mutex<Option<Builder<T>>>,
    /// Sizes of the scopes that get a copy.
    sizes: std::ops::RangeInclusive<u64>,
    thread: &'static str,
}

/// The builder thread's queue and handle.
type Builder<T> = (SyncSender<Job<T>>, JoinHandle<()>);

struct Shared<T> {
    budget: usize,
    state: Mutex<State<T>>,
    /// Scopes queued or being built (one request per scope at a time).
    pending: Mutex<HashSet<String>>,
    /// Signalled when `pending` becomes empty.
    idle: Condvar,
}

/// A copy to build.
struct Job<T> {
    key: String,
    build: Build<T>,
}

struct State<T> {
    map: HashMap<String, Entry<T>>,
    bytes: usize,
    /// Members of the copies held (for the size a new copy will take).
    members: u64,
    tick: u64,
    /// Requests of scopes without a copy, since the last halving.
    wanted: HashMap<String, u32>,
    /// Copies built (for `Stats`).
    builds: u64,
    /// Scopes whose copy came out larger than the whole budget: not built again.
    too_big: HashSet<String>,
}

impl<T> Default for State<T> {
    fn default() -> Self {
        State {
            map: HashMap::new(),
            bytes: 0,
            members: 0,
            tick: 0,
            wanted: HashMap::new(),
            builds: 0,
            too_big: HashSet::new(),
        }
    }
}

impl<T: ScopeCopy> State<T> {
    /// The admission rule: a copy of `need` bytes for a scope asked for `asked` times fits
    /// beside the copies held, or the scope was asked for more than twice as often as the
    /// copies it would evict were used.
    fn admits(&self, asked: u32, need: usize, budget: usize) -> bool {
        self.bytes.saturating_add(need) <= budget
            || asked > self.victims_used(need, budget).saturating_mul(2)
    }

    /// How much the copies that room for `need` bytes would evict (least recently used first)
    /// were used since they were built.
    fn victims_used(&self, need: usize, budget: usize) -> u32 {
        let mut lru: Vec<&Entry<T>> = self.map.values().collect();
        lru.sort_unstable_by_key(|e| e.used);
        let mut held = self.bytes;
        let mut used = 0u32;
        for e in lru {
            if held.saturating_add(need) <= budget {
                break;
            }
            held -= e.copy.bytes();
            used = used.saturating_add(e.hits);
        }
        used
    }

    fn remove(&mut self, key: &str) {
        if let Some(e) = self.map.remove(key) {
            self.bytes -= e.copy.bytes();
            self.members -= e.copy.members().len();
        }
    }

    /// A new lookup: every [`AGE_EVERY`] of them, the counts are halved.
    fn tick(&mut self) -> u64 {
        self.tick += 1;
        if self.tick.is_multiple_of(AGE_EVERY) {
            for e in self.map.values_mut() {
                e.hits /= 2;
            }
            self.wanted.retain(|_, n| {
                *n /= 2;
                *n > 0
            });
        }
        self.tick
    }
}

struct Entry<T> {
    copy: Arc<T>,
    /// Tick of the last use.
    used: u64,
    /// Uses since it was built (halved as they age).
    hits: u32,
}

/// Takes a scope off `pending` when dropped (also when a build panics), waking waiters.
struct Done<'a, T>(&'a Shared<T>, &'a str);

impl<T> Drop for Done<'_, T> {
    fn drop(&mut self) {
        if let Ok(mut p) = self.0.pending.lock() {
            p.remove(self.1);
            if p.is_empty() {
                self.0.idle.notify_all();
            }
        }
    }
}

impl ScopeCopies<Int8Group> {
    /// The copies of int8 records, for scopes of [`MIN_SCOPE`]..=[`MAX_SCOPE`] vectors.
    pub(crate) fn int8(budget: usize) -> Self {
        ScopeCopies::new(budget, MIN_SCOPE..=MAX_SCOPE, "memspine-scope-copies")
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
            .map(|(k, e)| (k.clone(), e.copy.clone()))
            .collect();
        groups
            .into_iter()
            .find_map(|(k, g)| g.first_mismatch(snap).map(|slot| (k, slot)))
    }
}

impl<T: ScopeCopy> ScopeCopies<T> {
    /// No copies yet, within `budget` bytes, for scopes whose size is in `sizes`; `thread`
    /// names the builder thread.
    pub(crate) fn new(
        budget: usize,
        sizes: std::ops::RangeInclusive<u64>,
        thread: &'static str,
    ) -> Self {
        ScopeCopies {
            shared: Arc::new(Shared {
                budget,
                state: Mutex::new(State::default()),
                pending: Mutex::new(HashSet::new()),
                idle: Condvar::new(),
            }),
            builder: Mutex::new(None),
            sizes,
            thread,
        }
    }

    /// The copy of scope `key` (a bitmap name such as `u:alice`) to search a set of `want`
    /// members, or `None` to search without one. `missing(copy)`: how many of those members
    /// the copy cannot serve. When there is no copy or it misses more than an eighth of its
    /// size, and the set is large enough to be worth one, queues the build that `job` gives
    /// (`None`: the scope is not worth a copy) and returns what there is now.
    pub(crate) fn get(
        &self,
        key: &str,
        want: u64,
        missing: impl FnOnce(&T) -> u64,
        job: impl FnOnce(&Self) -> Result<Option<Build<T>>>,
    ) -> Result<Option<Arc<T>>> {
        let sh = &self.shared;
        if sh.budget == 0 || want > *self.sizes.end() {
            return Ok(None);
        }
        let found = sh.lookup(key);
        let stale = match &found {
            Some(c) => missing(c) > (c.members().len() / 8).max(64),
            None => true,
        };
        if !stale
            || want < *self.sizes.start()
            || found.is_none() && !sh.admit(key, want)
            || !sh.claim(key)
        {
            return Ok(found);
        }
        let done = Done(sh, key);
        if let Some(build) = job(self)? {
            let job = Job {
                key: key.to_owned(),
                build,
            };
            if self.submit(job) {
                // The builder takes the scope off `pending` when the copy is in.
                std::mem::forget(done);
            }
        }
        Ok(found)
    }

    /// Whether a scope of `len` members gets a copy.
    pub(crate) fn worth(&self, len: u64) -> bool {
        self.sizes.contains(&len)
    }

    /// Hands `job` to the builder thread (started on first use): false when it cannot take it
    /// now (queue full, thread not started).
    fn submit(&self, job: Job<T>) -> bool {
        let Ok(mut b) = self.builder.lock() else {
            return false;
        };
        if b.is_none() {
            let (tx, rx) = sync_channel::<Job<T>>(QUEUE);
            let shared = self.shared.clone();
            let spawned = std::thread::Builder::new()
                .name(self.thread.into())
                .spawn(move || {
                    for job in rx {
                        let _done = Done(&shared, &job.key);
                        if let Some(copy) = (job.build)() {
                            shared.insert(&job.key, Arc::new(copy));
                        }
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

    /// Copies built since the database was opened.
    pub(crate) fn builds(&self) -> u64 {
        self.shared.state.lock().map(|s| s.builds).unwrap_or(0)
    }
}

impl<T: ScopeCopy> Drop for ScopeCopies<T> {
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

impl<T: ScopeCopy> Shared<T> {
    /// Marks `key` pending: false when it already was.
    fn claim(&self, key: &str) -> bool {
        self.pending
            .lock()
            .is_ok_and(|mut p| p.insert(key.to_owned()))
    }

    fn lookup(&self, key: &str) -> Option<Arc<T>> {
        let mut s = self.state.lock().ok()?;
        let tick = s.tick();
        let e = s.map.get_mut(key)?;
        e.used = tick;
        e.hits = e.hits.saturating_add(1);
        Some(e.copy.clone())
    }

    /// Whether a copy of `key`, a scope without one asked for `want` members, may be built:
    /// always when it fits beside the copies held (its size estimated from theirs, per
    /// member), else only when the scope was asked for more than twice as often as the copies
    /// it would evict were used (see the module documentation). Counts this request.
    fn admit(&self, key: &str, want: u64) -> bool {
        let Ok(mut s) = self.state.lock() else {
            return false;
        };
        if s.too_big.contains(key) {
            return false;
        }
        if s.wanted.len() >= MAX_WANTED && !s.wanted.contains_key(key) {
            s.wanted.clear();
        }
        let asked = match s.wanted.get_mut(key) {
            Some(n) => {
                *n = n.saturating_add(1);
                *n
            }
            None => {
                s.wanted.insert(key.to_owned(), 1);
                1
            }
        };
        let need = match s.members {
            0 => 0,
            m => (s.bytes as u128 * u128::from(want) / u128::from(m)) as usize,
        };
        s.admits(asked, need, self.budget)
    }

    /// Keeps `copy` for `key` if it fits the budget, evicting the least recently used copies.
    fn insert(&self, key: &str, copy: Arc<T>) {
        let size = copy.bytes();
        let Ok(mut s) = self.state.lock() else {
            return;
        };
        s.builds += 1;
        // A rebuilt copy (its scope grew or changed) keeps its uses.
        let rebuilt = s.map.get(key).map(|e| e.hits);
        s.remove(key);
        if size > self.budget {
            if s.too_big.len() >= MAX_WANTED {
                s.too_big.clear();
            }
            s.too_big.insert(key.to_owned());
            return;
        }
        // A new scope's copy that turns out not to fit beside the others (admission estimated
        // its size from the set searched, which may be narrower than the scope, and builds
        // queued together were each admitted against the same room) is kept only if its scope
        // would have been admitted at its real size.
        let asked = s.wanted.get(key).copied().unwrap_or(0);
        if rebuilt.is_none() && !s.admits(asked, size, self.budget) {
            return;
        }
        s.wanted.remove(key);
        let hits = rebuilt.unwrap_or(0).saturating_add(asked);
        while s.bytes + size > self.budget {
            let Some(victim) = s
                .map
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            s.remove(&victim);
        }
        let used = s.tick();
        s.bytes += size;
        s.members += copy.members().len();
        s.map.insert(key.to_owned(), Entry { copy, used, hits });
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

impl Scope {
    /// The scope's memories that its searches see without further filters.
    pub(crate) fn whole(&self) -> crate::Filter {
        crate::Filter {
            include_archived: self.archived,
            ..self.filter.clone()
        }
    }
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
