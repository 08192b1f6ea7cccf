//! The engine's side of the vector arena: committing it in step with redb, slot overrides, and
//! rebuilding it from the log.
//!
//! A memory's first vector sits at slot == id (every allocated number pushes exactly one slot).
//! A vector replaced by an update is appended at a fresh number; `vector_slot` (redb) and the
//! in-memory [`Overrides`] map id → slot and back. Readers take the published arena snapshot
//! (an `Arc`) and never touch the writer's arena.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use memspine_index::arena::{Arena, Snapshot};
use redb::ReadableTable;
use roaring::RoaringBitmap;

use crate::error::{Error, Result};
use crate::log::{EventBody, LogReader};
use crate::schema::VECTOR_SLOT;

/// id ⇄ slot for memories whose vector moved (slot ≠ id).
#[derive(Debug, Default, Clone)]
pub(crate) struct Overrides {
    by_id: HashMap<u64, u32>,
    by_slot: HashMap<u32, u64>,
}

impl Overrides {
    pub(crate) fn set(&mut self, id: u64, slot: u32) {
        if let Some(old) = self.by_id.insert(id, slot) {
            self.by_slot.remove(&old);
        }
        self.by_slot.insert(slot, id);
    }

    pub(crate) fn remove(&mut self, id: u64) {
        if let Some(old) = self.by_id.remove(&id) {
            self.by_slot.remove(&old);
        }
    }

    /// The slot holding `id`'s vector.
    pub(crate) fn slot_of(&self, id: u64) -> u32 {
        self.by_id.get(&id).copied().unwrap_or(id as u32)
    }

    /// The memory a slot belongs to.
    pub(crate) fn id_of(&self, slot: u32) -> u64 {
        self.by_slot.get(&slot).copied().unwrap_or(u64::from(slot))
    }

    /// Maps a bitmap of ids (with vectors) to the bitmap of their slots.
    pub(crate) fn slots_of(&self, mut ids: RoaringBitmap) -> RoaringBitmap {
        for (&id, &slot) in &self.by_id {
            if ids.remove(id as u32) {
                ids.insert(slot);
            }
        }
        ids
    }
}

/// The arena with its writer side and its published snapshot.
pub(crate) struct Vectors {
    /// Used only under the database's writer lock.
    pub arena: Mutex<Arena>,
    /// What readers search: replaced after each commit.
    pub published: RwLock<Snapshot>,
    pub overrides: RwLock<Overrides>,
    /// Override changes of the write transaction in progress (used under the writer lock):
    /// applied to `overrides` only after its commit succeeded, dropped when it fails — so a
    /// failed write never leaves readers mapping an id to a slot that was rolled back.
    pub staged: Mutex<Vec<(u64, Option<u32>)>>,
    /// The partitioned index over the arena, when one has been trained (see `vector_index.rs`).
    pub ivf: Arc<crate::vector_index::IvfState>,
    /// Held while an index is trained or extended, so two never race to write its file.
    pub ivf_build: Mutex<()>,
    /// Where the index is saved.
    pub ivf_path: PathBuf,
    /// Scope copies of int8 records (see `scope_copy.rs`).
    pub scopes: crate::scope_copy::ScopeCopies<memspine_index::group::Int8Group>,
}

impl Vectors {
    /// Opens the arena, or rebuilds it from the log when it is missing or damaged.
    pub(crate) fn open(db: &redb::Database, dir: &Path, dim: u32, committed: u64) -> Result<Self> {
        let arena = match Arena::open(dir, dim, committed) {
            Ok(a) => a,
            Err(e) if e.needs_rebuild() => rebuild(db, dir, dim, committed)?,
            Err(e) => return Err(Error::Index(e.to_string())),
        };
        let overrides = load_overrides(db)?;
        let ivf_path = dir.join(crate::vector_index::FILE);
        let ivf = crate::vector_index::IvfState::open(ivf_path.clone(), arena.snapshot());
        Ok(Vectors {
            published: RwLock::new(arena.snapshot()),
            arena: Mutex::new(arena),
            overrides: RwLock::new(overrides),
            staged: Mutex::new(Vec::new()),
            ivf,
            ivf_build: Mutex::new(()),
            ivf_path,
            scopes: crate::scope_copy::ScopeCopies::int8(0),
        })
    }

    /// Gives scope copies a budget of `bytes`.
    pub(crate) fn with_scope_copies(mut self, bytes: usize) -> Self {
        self.scopes = crate::scope_copy::ScopeCopies::int8(bytes);
        self
    }

    pub(crate) fn snapshot(&self) -> Result<Snapshot> {
        self.published
            .read()
            .map(|s| s.clone())
            .map_err(|_| Error::Index("snapshot lock poisoned".into()))
    }

    /// Records that `id`'s vector moves to `slot` (`None`: the override goes) once the current
    /// write commits.
    pub(crate) fn stage_override(&self, id: u64, slot: Option<u32>) {
        if let Ok(mut s) = self.staged.lock() {
            s.push((id, slot));
        }
    }

    /// Applies (after a commit) or drops (after a failure) the staged override changes.
    pub(crate) fn finish_staged(&self, committed: bool) -> Result<()> {
        let staged = std::mem::take(
            &mut *self
                .staged
                .lock()
                .map_err(|_| Error::Index("staged override lock poisoned".into()))?,
        );
        if !committed || staged.is_empty() {
            return Ok(());
        }
        let mut o = self
            .overrides
            .write()
            .map_err(|_| Error::Index("override lock poisoned".into()))?;
        for (id, slot) in staged {
            match slot {
                Some(slot) => o.set(id, slot),
                None => o.remove(id),
            }
        }
        Ok(())
    }

    pub(crate) fn overrides(&self) -> Result<Overrides> {
        self.overrides
            .read()
            .map(|o| o.clone())
            .map_err(|_| Error::Index("override lock poisoned".into()))
    }
}

fn load_overrides(db: &redb::Database) -> Result<Overrides> {
    use redb::ReadableDatabase;
    let txn = db.begin_read()?;
    let mut o = Overrides::default();
    let t = match txn.open_table(VECTOR_SLOT) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(o),
        Err(e) => return Err(e.into()),
    };
    for e in t.iter()? {
        let (k, v) = e?;
        o.set(k.value(), v.value());
    }
    Ok(o)
}

/// Rebuilds the arena from the vectors in the log: slots are allocated in log order, so one
/// streaming pass pushes them in slot order (empty slots for numbers without a vector).
pub(crate) fn rebuild(db: &redb::Database, dir: &Path, dim: u32, committed: u64) -> Result<Arena> {
    use redb::ReadableDatabase;
    let ix = |e: memspine_index::Error| Error::Index(e.to_string());
    let mut arena = Arena::create(dir, dim).map_err(ix)?;
    let txn = db.begin_read()?;
    let cache = crate::log::cache::DecodedCache::default();
    let push_at = |arena: &mut Arena, slot: u64, v: &[f32]| -> Result<()> {
        while u64::from(arena.len()) < slot {
            arena.push(None).map_err(ix)?;
        }
        if u64::from(arena.len()) == slot {
            arena.push(Some(v)).map_err(ix)?;
        }
        Ok(())
    };
    LogReader::new(&txn, &cache).for_each(true, &mut |r| {
        match &r.body {
            EventBody::MemoryStored {
                id,
                vector: Some(v),
                ..
            } => push_at(&mut arena, *id, v)?,
            EventBody::MemoryUpdated {
                vector: Some(v),
                slot: Some(s),
                ..
            } => push_at(&mut arena, *s, v)?,
            _ => {}
        }
        Ok(())
    })?;
    while u64::from(arena.len()) < committed {
        arena.push(None).map_err(ix)?;
    }
    arena.sync(true).map_err(ix)?;
    arena.publish().map_err(ix)?;
    Ok(arena)
}
