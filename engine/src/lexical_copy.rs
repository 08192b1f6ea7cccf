//! Scope copies of the lexical index: a scope's own postings (`memspine_index::lexical::
//! ScopePostings`), so that a lexical search restricted to a user's (session's, agent's)
//! memories scores that scope's postings instead of leapfrogging its members through the
//! database-wide postings lists (docs/design.md, "Lexical scope copies").
//!
//! A copy is built in the background from the memories' texts as one committed generation
//! holds them. A search uses it for the filter's documents that the copy holds *with the same
//! text* as the search's snapshot; the rest of the filter (documents stored since, or whose
//! text changed since) is searched in the index, and the two are merged, so results are exactly
//! those of the index alone.
//!
//! Which texts changed is known from a change log: the writer stages every document it
//! re-indexes with another text, and just before the commit records them under the generation
//! the commit makes visible. A search at generation `g` with a copy of generation `c ≤ g`
//! excludes the documents logged in `(c, g]`. The log is bounded by merging its two oldest
//! entries under the later generation, which can only exclude more documents than needed (they
//! are then searched in the index), never fewer. A snapshot whose generation is uncertain (a
//! commit was in progress when it began) uses no copy.

use std::sync::Mutex;

use memspine_index::lexical::{ScopePostings, PAUSE_EVERY};
use roaring::RoaringBitmap;

use crate::error::{Error, Result};
use crate::read::{Filter, Snapshot};
use crate::scope_copy::{Build, ScopeCopies, ScopeCopy};

/// Scopes with fewer documents than this are searched in the index directly.
const MIN_SCOPE: u64 = 1_024;
/// Scopes with more documents than this get no copy.
const MAX_SCOPE: u64 = 200_000;
/// Change log entries kept at most; the two oldest are merged beyond.
const MAX_CHANGES: usize = 256;

/// One scope's postings and the generation whose texts they were built from.
pub(crate) struct LexCopy {
    postings: ScopePostings,
    generation: u64,
}

impl ScopeCopy for LexCopy {
    fn members(&self) -> &RoaringBitmap {
        self.postings.docs()
    }

    fn bytes(&self) -> usize {
        self.postings.bytes()
    }
}

#[derive(Default)]
struct ChangeLog {
    /// (generation that made them visible, documents re-indexed), oldest first.
    entries: Vec<(u64, RoaringBitmap)>,
    /// A lock was poisoned: changes may be missing, no copy is used again.
    lost: bool,
}

/// The lexical scope copies of one open database.
pub(crate) struct LexicalCopies {
    copies: ScopeCopies<LexCopy>,
    log: Mutex<ChangeLog>,
    /// Documents the current write re-indexes with another text.
    staged: Mutex<RoaringBitmap>,
}

impl LexicalCopies {
    pub(crate) fn new(budget: usize) -> Self {
        LexicalCopies {
            copies: ScopeCopies::new(budget, MIN_SCOPE..=MAX_SCOPE, "memspine-lexical-copies"),
            log: Mutex::default(),
            staged: Mutex::default(),
        }
    }

    /// Notes that the current write re-indexes `doc` with another text.
    pub(crate) fn stage(&self, doc: u32) {
        if let Ok(mut s) = self.staged.lock() {
            s.insert(doc);
        }
    }

    /// Records the staged documents as changed by the commit that makes `generation` visible;
    /// called just before that commit (a commit that then fails leaves an entry that only makes
    /// copies serve less). With `generation` `None` the write is abandoned: the staged
    /// documents are dropped.
    pub(crate) fn publish(&self, generation: Option<u64>) {
        let staged = match self.staged.lock() {
            Ok(mut s) => std::mem::take(&mut *s),
            Err(_) => return self.forget_all(),
        };
        let (Some(g), false) = (generation, staged.is_empty()) else {
            return;
        };
        let Ok(mut log) = self.log.lock() else {
            return;
        };
        log.entries.push((g, staged));
        if log.entries.len() > MAX_CHANGES {
            let (_, oldest) = log.entries.remove(0);
            if let Some((_, next)) = log.entries.first_mut() {
                *next |= oldest;
            }
        }
    }

    /// Makes every copy unusable (a poisoned lock: the log cannot be trusted).
    fn forget_all(&self) {
        if let Ok(mut log) = self.log.lock() {
            log.lost = true;
        }
    }

    /// Documents whose text changed after generation `from` up to `to` (and maybe a few more);
    /// `None` when that is not known.
    fn changed(&self, from: u64, to: u64) -> Option<RoaringBitmap> {
        let log = self.log.lock().ok()?;
        if log.lost {
            return None;
        }
        let mut out = RoaringBitmap::new();
        for (_, docs) in log
            .entries
            .iter()
            .filter(|(g, _)| (from + 1..=to).contains(g))
        {
            out |= docs;
        }
        Some(out)
    }

    /// The documents of `filter` that `copy` serves for a snapshot of `generation`.
    fn covered(&self, copy: &LexCopy, filter: &RoaringBitmap, generation: u64) -> RoaringBitmap {
        if copy.generation > generation {
            return RoaringBitmap::new();
        }
        match self.changed(copy.generation, generation) {
            Some(changed) => (filter & copy.postings.docs()) - changed,
            None => RoaringBitmap::new(),
        }
    }

    /// The `limit` best (doc, BM25) of `docs` (the result of `filter`) for `query`, through the
    /// copy of the filter's scope when it has one.
    pub(crate) fn search(
        &self,
        snap: &Snapshot,
        query: &str,
        limit: usize,
        docs: &RoaringBitmap,
        filter: &Filter,
    ) -> Result<Vec<(u32, f32)>> {
        let ix = |e: memspine_index::Error| Error::Index(e.to_string());
        let served = match (snap.generation, crate::scope_copy::scope_of(filter)) {
            (Some(generation), Some(scope)) => {
                let mut covered = None;
                let copy = self.copies.get(
                    &scope.key,
                    docs.len(),
                    |c| {
                        let cov = self.covered(c, docs, generation);
                        let missing = docs.len() - cov.len();
                        covered = Some(cov);
                        missing
                    },
                    |copies| job(snap, &scope.whole(), copies),
                )?;
                copy.zip(covered).filter(|(_, cov)| !cov.is_empty())
            }
            _ => None,
        };
        match served {
            Some((copy, covered)) => memspine_index::lexical::search_with_copy(
                &snap.txn,
                query,
                limit,
                docs,
                &copy.postings,
                &covered,
            ),
            None => memspine_index::lexical::search(&snap.txn, query, limit, Some(docs)),
        }
        .map_err(ix)
    }

    /// Blocks until every copy asked for so far is built (or given up).
    pub(crate) fn wait_idle(&self) {
        self.copies.wait_idle();
    }

    /// Copies held and their bytes.
    pub(crate) fn usage(&self) -> (usize, usize) {
        self.copies.usage()
    }

    /// Copies built since the database was opened.
    pub(crate) fn builds(&self) -> u64 {
        self.copies.builds()
    }
}

/// The build of the copy of the scope `whole`, from a snapshot of a certain generation
/// (`None` when the scope is not worth one).
fn job(
    snap: &Snapshot,
    whole: &Filter,
    copies: &ScopeCopies<LexCopy>,
) -> Result<Option<Build<LexCopy>>> {
    // A snapshot of its own (the job outlives the search); only its read transaction goes
    // to the builder thread (a handle there would keep the database open).
    let own = snap.spine.snapshot()?;
    let Some(generation) = own.generation else {
        return Ok(None);
    };
    let docs = own.filter(whole)?;
    if !copies.worth(docs.len()) {
        return Ok(None);
    }
    let Snapshot { txn, .. } = own;
    // The builder runs beside the searches that asked for copies: it yields every few dozen
    // documents (a fraction of a millisecond of work), so that a search sharing its core waits
    // that long for the processor instead of a scheduler slice (a cold context window at 1M on
    // 2 cores: p95 5.7-7.5 -> 4.1-6.8 ms, interleaved runs).
    Ok(Some(Box::new(move || {
        let texts = contents(&txn, &docs).ok()?;
        let postings = ScopePostings::build_pausing(
            texts.iter().map(|(d, t)| (*d, t.as_str())),
            std::thread::yield_now,
        );
        Some(LexCopy {
            postings,
            generation,
        })
    })))
}

/// The texts of the memories `docs` (missing ones skipped), giving the processor back every
/// [`PAUSE_EVERY`] reads (see `job`).
fn contents(txn: &redb::ReadTransaction, docs: &RoaringBitmap) -> Result<Vec<(u32, String)>> {
    let memories = txn.open_table(crate::schema::MEMORIES)?;
    let mut out = Vec::with_capacity(docs.len() as usize);
    for (i, doc) in (0u32..).zip(docs) {
        if i > 0 && i % PAUSE_EVERY == 0 {
            std::thread::yield_now();
        }
        if let Some(v) = memories.get(u64::from(doc))? {
            let content = crate::memory::record::decode_content(u64::from(doc), v.value())?;
            out.push((doc, content));
        }
    }
    Ok(out)
}
