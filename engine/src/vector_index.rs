//! The partitioned (IVF) vector index, the engine's side: when it is trained, where it lives,
//! and when a search uses it. The index itself is `memspine_index::ivf`.
//!
//! - It is derived data in its own file beside the arena (`vectors.ivf`), never in redb: losing
//!   it costs speed, not data. A damaged file, or one of another dimension, is deleted on open
//!   and the compactor trains a new one.
//! - A search uses it only when it is not `exact` and its candidate set is larger than
//!   [`memspine_index::vector::DEFAULT_EXACT_BELOW`]: filtered searches of smaller sets stay
//!   exact. It then scans the lists of the `nprobe` centroids nearest the query — `nprobe` is
//!   calibrated at training so the lists hold 99 % of a sample's unpartitioned top 10 — plus
//!   every vector stored since the index last covered the arena.
//! - The compactor keeps it current ([`Spine::maintain_vector_index`]): trains one once the
//!   arena holds [`MIN_VECTORS`] vectors, assigns new vectors when they reach a sixteenth of
//!   the covered ones, and trains again when the arena has grown fourfold since training.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, RwLock};

use memspine_index::arena::Snapshot;
use memspine_index::ivf::{Ivf, IvfOptions};
use serde::Serialize;

use crate::db::Spine;
use crate::error::{Error, Result};

/// File name of the index inside the database directory.
pub(crate) const FILE: &str = "vectors.ivf";
/// The compactor trains an index once the arena holds this many vectors.
pub const MIN_VECTORS: u64 = 100_000;

/// What the partitioned vector index holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VectorIndexInfo {
    /// Lists (centroids).
    pub lists: usize,
    /// Lists a search scans (calibrated when trained).
    pub nprobe: usize,
    /// Arena slots the lists cover; later vectors are scanned in full.
    pub covered: u32,
    /// Vectors present when the centroids were trained.
    pub trained_on: u64,
}

impl VectorIndexInfo {
    fn of(ivf: &Ivf) -> Self {
        VectorIndexInfo {
            lists: ivf.lists(),
            nprobe: ivf.nprobe(),
            covered: ivf.covered(),
            trained_on: ivf.trained_on(),
        }
    }
}

/// Loads the index for `snap`; a damaged one is deleted (and trained again later).
fn load(path: &Path, snap: &Snapshot) -> Option<Arc<Ivf>> {
    match Ivf::load(path, snap) {
        Ok(ivf) => ivf.map(Arc::new),
        Err(_) => {
            let _ = std::fs::remove_file(path);
            None
        }
    }
}

/// The index of an open database, loaded by a background thread at open: reading it copies
/// every vector's sign code into its list (≈ 50 ms per million vectors), which `open` does not
/// wait for. The same thread then prefaults the arena ([`Snapshot::prefault`]). Until the
/// index is in place, searches scan without it; the calls that report, check, train or drop it
/// wait for the load first.
pub(crate) struct IvfState {
    slot: RwLock<Option<Arc<Ivf>>>,
    loading: Mutex<bool>,
    loaded: Condvar,
}

impl IvfState {
    /// Starts loading the file at `path` for the arena `snap`.
    pub(crate) fn open(path: PathBuf, snap: Snapshot) -> Arc<IvfState> {
        let state = Arc::new(IvfState {
            slot: RwLock::new(None),
            loading: Mutex::new(true),
            loaded: Condvar::new(),
        });
        let run = {
            let (state, path, snap) = (state.clone(), path.clone(), snap.clone());
            move || {
                state.finish(load(&path, &snap));
                // Then the arena's page tables, for the first searches' scattered reads.
                snap.prefault();
            }
        };
        if std::thread::Builder::new()
            .name("memspine-ivf-load".into())
            .spawn(run)
            .is_err()
        {
            // No thread: load here (without the prefault, which could take long).
            state.finish(load(&path, &snap));
        }
        state
    }

    fn finish(&self, ivf: Option<Arc<Ivf>>) {
        if let Ok(mut slot) = self.slot.write() {
            *slot = ivf;
        }
        if let Ok(mut l) = self.loading.lock() {
            *l = false;
        }
        self.loaded.notify_all();
    }

    /// The index if it is in place now (never waits).
    pub(crate) fn current(&self) -> Option<Arc<Ivf>> {
        self.slot.read().ok().and_then(|i| i.clone())
    }

    /// The index once the load at open has finished.
    pub(crate) fn wait(&self) -> Option<Arc<Ivf>> {
        if let Ok(mut l) = self.loading.lock() {
            while *l {
                l = match self.loaded.wait(l) {
                    Ok(l) => l,
                    Err(_) => break,
                };
            }
        }
        self.current()
    }

    fn set(&self, ivf: Option<Arc<Ivf>>) -> Result<()> {
        let mut slot = self
            .slot
            .write()
            .map_err(|_| Error::Poisoned("vector index lock".into()))?;
        *slot = ivf;
        Ok(())
    }
}

impl crate::vectors::Vectors {
    /// The index if it is in place (searches use this; never waits for the load at open).
    pub(crate) fn current_ivf(&self) -> Option<Arc<Ivf>> {
        self.ivf.current()
    }

    fn install(&self, ivf: Ivf) -> Result<()> {
        ivf.save(&self.ivf_path)
            .map_err(|e| Error::Index(e.to_string()))?;
        self.ivf.set(Some(Arc::new(ivf)))
    }
}

impl Spine {
    /// Trains the partitioned vector index anew on every stored vector and saves it (seconds
    /// per million vectors; readers and writers go on meanwhile). Errors when the database
    /// stores no vectors or holds none yet.
    pub fn build_vector_index(&self) -> Result<VectorIndexInfo> {
        let vs = self.vectors_or_err()?;
        let _build = vs
            .ivf_build
            .lock()
            .map_err(|_| Error::Poisoned("vector index build lock".into()))?;
        vs.ivf.wait();
        let snap = vs.snapshot()?;
        let ivf = train(&snap)?;
        let info = VectorIndexInfo::of(&ivf);
        vs.install(ivf)?;
        Ok(info)
    }

    /// Brings the index up to date (what the compactor runs each pass; see the module docs).
    /// Returns the vectors it assigned (0: nothing to do).
    pub fn maintain_vector_index(&self) -> Result<u64> {
        let Some(vs) = &self.inner.vectors else {
            return Ok(0);
        };
        let _build = vs
            .ivf_build
            .lock()
            .map_err(|_| Error::Poisoned("vector index build lock".into()))?;
        let current = vs.ivf.wait();
        let snap = vs.snapshot()?;
        let present = snap.present().len();
        let (next, assigned) = match current {
            None if present >= MIN_VECTORS => (train(&snap)?, present),
            None => return Ok(0),
            Some(ivf) if present >= ivf.trained_on().saturating_mul(4) => (train(&snap)?, present),
            Some(ivf) => {
                let covered = snap.present().range_cardinality(..ivf.covered());
                let new = present.saturating_sub(covered);
                if new < (covered / 16).max(1) {
                    return Ok(0);
                }
                ((*ivf).clone().extend(&snap), new)
            }
        };
        vs.install(next)?;
        Ok(assigned)
    }

    /// What the partitioned vector index holds, if there is one.
    pub fn vector_index(&self) -> Option<VectorIndexInfo> {
        let vs = self.inner.vectors.as_ref()?;
        vs.ivf.wait().map(|i| VectorIndexInfo::of(&i))
    }

    /// Blocks until the scope copies (vector and lexical) that earlier searches asked for are
    /// built. Searches never wait for them (docs/design.md, "Scope copies"); this is for callers
    /// that want to measure or test a search with its scope's copy in place.
    pub fn wait_for_scope_copies(&self) {
        if let Some(vs) = &self.inner.vectors {
            vs.scopes.wait_idle();
        }
        self.inner.lexical_copies.wait_idle();
    }

    /// Checks the index against the arena (part of `verify`).
    pub(crate) fn verify_vector_index(&self) -> Result<()> {
        let Some(vs) = &self.inner.vectors else {
            return Ok(());
        };
        match vs.ivf.wait() {
            Some(ivf) => ivf
                .verify(&vs.snapshot()?)
                .map_err(|e| Error::Index(e.to_string())),
            None => Ok(()),
        }
    }

    /// Drops the index (memory and file); searches scan everything until one is trained again.
    pub fn drop_vector_index(&self) -> Result<()> {
        let vs = self.vectors_or_err()?;
        let _build = vs
            .ivf_build
            .lock()
            .map_err(|_| Error::Poisoned("vector index build lock".into()))?;
        vs.ivf.wait();
        vs.ivf.set(None)?;
        match std::fs::remove_file(&vs.ivf_path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    fn vectors_or_err(&self) -> Result<&crate::vectors::Vectors> {
        self.inner
            .vectors
            .as_ref()
            .ok_or_else(|| Error::invalid("vector index", "this database stores no vectors"))
    }
}

fn train(snap: &Snapshot) -> Result<Ivf> {
    Ivf::train(snap, &IvfOptions::default()).map_err(|e| Error::Index(e.to_string()))
}
