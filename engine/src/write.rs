//! The write path: store, batch store, update, delete, agent events.
//!
//! Every operation runs in one redb write transaction that updates, together: the memory record,
//! the bitmaps, the time indexes, the event log (and, with vectors, the arena — see docs/design.md).

use redb::{ReadableTable, Table, WriteTransaction};

use crate::bitmaps::{self, BitmapDelta};
use crate::clock::Micros;
use crate::db::Spine;
use crate::error::{Error, Result};
use crate::log::{EventBody, LogWriter};
use crate::memory::record::{self, StoredMemory};
use crate::memory::{
    check_importance, Dedup, Memory, MemoryId, MemoryUpdate, NearAction, NewMemory, Scope,
    StoreOutcome, Stored, DEFAULT_KIND, NEAR_DUPLICATE_TAG,
};
use crate::read::Filter;
use crate::schema::{Counters, ACCESS, BITMAPS, BY_CREATED, DEDUP, MEMORIES, VECTOR_SLOT};
use crate::search::{SearchMode, SearchOptions};

/// Default importance of a memory stored without one.
pub const DEFAULT_IMPORTANCE: f32 = 0.5;

/// The tables one write transaction touches, opened once.
pub(crate) struct WriteCtx<'t> {
    pub memories: Table<'t, u64, &'static [u8]>,
    pub access: Table<'t, u64, (u64, u64)>,
    pub by_created: Table<'t, (u64, u64), ()>,
    pub bitmaps: Table<'t, (&'static str, u32), &'static [u8]>,
    pub dedup: Table<'t, (&'static str, u64, u64), ()>,
    pub vector_slot: Table<'t, u64, u32>,
    pub log: LogWriter<'t>,
    pub delta: BitmapDelta,
    pub now: Micros,
    /// The arena's writer side (databases with vectors); held for this transaction only.
    pub arena: Option<std::sync::MutexGuard<'t, memspine_index::arena::Arena>>,
    pub spine: &'t Spine,
    pub txn: &'t WriteTransaction,
    /// New memories' postings, written once per term at `finish`.
    pub lexical: memspine_index::lexical::IndexBatch,
}

/// A memory stored earlier in the same batch: id, scope, vector.
pub(crate) type Fresh = (u64, Scope, Vec<f32>);

/// What duplicate handling decided for one memory.
pub(crate) enum Resolved {
    /// Not stored: this existing memory stands for it.
    Existing(Stored),
    /// Stored, as this outcome.
    Store(StoreOutcome),
}

fn ix(e: memspine_index::Error) -> Error {
    Error::from_index(e)
}

impl<'t> WriteCtx<'t> {
    pub(crate) fn open(spine: &'t Spine, txn: &'t WriteTransaction, now: Micros) -> Result<Self> {
        let arena = match &spine.inner.vectors {
            Some(v) => Some(
                v.arena
                    .lock()
                    .map_err(|_| Error::Index("arena lock poisoned".into()))?,
            ),
            None => None,
        };
        Ok(WriteCtx {
            memories: txn.open_table(MEMORIES)?,
            access: txn.open_table(ACCESS)?,
            by_created: txn.open_table(BY_CREATED)?,
            bitmaps: txn.open_table(BITMAPS)?,
            dedup: txn.open_table(DEDUP)?,
            vector_slot: txn.open_table(VECTOR_SLOT)?,
            log: LogWriter::open(txn)?,
            delta: BitmapDelta::default(),
            now,
            arena,
            spine,
            txn,
            lexical: Default::default(),
        })
    }

    /// Flushes the buffered log records and the accumulated bitmap changes.
    pub(crate) fn finish(mut self, c: &mut Counters) -> Result<()> {
        self.log.flush(c)?;
        self.lexical.flush(self.txn).map_err(ix)?;
        let delta = std::mem::take(&mut self.delta);
        delta.apply(&mut self.bitmaps)
    }

    pub(crate) fn load(&self, id: u64) -> Result<StoredMemory> {
        match self.memories.get(id)? {
            Some(v) => record::decode(id, v.value()),
            None => Err(Error::UnknownId(id)),
        }
    }

    /// Merges duplicate `m` into memory `id` ([`NearAction::Merge`]): the union of their tags
    /// (within the tag limit), the higher importance, pinned if either is; logged as an update
    /// when that changes the memory.
    pub(crate) fn merge_into(&mut self, c: &mut Counters, id: u64, m: &StoredMemory) -> Result<()> {
        let old = self.load(id)?;
        let mut new = old.clone();
        // The union (`check_tags` sorts and dedups), unless it would carry more tags than
        // allowed: then the memory's own.
        new.tags.extend(m.tags.iter().cloned());
        new.tags = self
            .spine
            .limits()
            .check_tags(&new.tags)
            .unwrap_or_else(|_| old.tags.clone());
        new.importance = new.importance.max(m.importance);
        new.pinned |= m.pinned;
        if new.tags == old.tags && new.importance == old.importance && new.pinned == old.pinned {
            return Ok(());
        }
        new.updated_at = self.now;
        self.put(id, &new, Some(&old))?;
        self.log.append(
            c,
            self.now,
            new.scope.clone(),
            EventBody::MemoryUpdated {
                id,
                memory: new,
                vector: None,
                slot: None,
            },
        )?;
        Ok(())
    }

    /// Inserts a new memory under a fresh id and logs it.
    pub(crate) fn insert(
        &mut self,
        c: &mut Counters,
        mut m: StoredMemory,
        vector: Option<Vec<f32>>,
    ) -> Result<u64> {
        let id = c.next_num.max(1);
        c.next_num = id + 1;
        m.stored_seq = c.next_seq.max(1);
        self.push_slot(id, vector.as_deref())?;
        self.lexical.add(id as u32, &m.content).map_err(ix)?;
        self.put(id, &m, None)?;
        let scope = m.scope.clone();
        self.log.append(
            c,
            self.now,
            scope,
            EventBody::MemoryStored {
                id,
                memory: m,
                vector,
            },
        )?;
        Ok(id)
    }

    /// Pushes the arena slot of a freshly allocated number (slot == number).
    fn push_slot(&mut self, number: u64, vector: Option<&[f32]>) -> Result<()> {
        let Some(a) = self.arena.as_mut() else {
            return Ok(());
        };
        let slot = a.push(vector).map_err(ix)?;
        if u64::from(slot) != number {
            return Err(Error::corrupt(
                "vector arena",
                format!("slot {slot} out of step with id {number}"),
            ));
        }
        Ok(())
    }

    /// Gives memory `id` a new vector at a fresh slot; returns the slot.
    pub(crate) fn replace_vector(&mut self, c: &mut Counters, id: u64, v: &[f32]) -> Result<u64> {
        if self.arena.is_none() {
            return Err(Error::invalid("vector", "this database stores no vectors"));
        }
        let slot = c.next_num.max(1);
        c.next_num = slot + 1;
        self.push_slot(slot, Some(v))?;
        self.vector_slot.insert(id, slot as u32)?;
        if let Some(vs) = &self.spine.inner.vectors {
            vs.stage_override(id, Some(slot as u32));
        }
        Ok(slot)
    }

    /// The id of a live memory with exactly this content in the same scope, if any.
    pub(crate) fn find_duplicate(&self, m: &StoredMemory) -> Result<Option<u64>> {
        let (scope, hash) = dedup_key(m);
        let s = scope.as_str();
        for e in self.dedup.range((s, hash, 0)..=(s, hash, u64::MAX))? {
            let id = e?.0.value().2;
            // The hash is only a hint: compare the content itself.
            if let Some(v) = self.memories.get(id)? {
                let existing = record::decode(id, v.value())?;
                if existing.content == m.content && existing.scope == m.scope {
                    return Ok(Some(id));
                }
            }
        }
        Ok(None)
    }

    fn unindex_dedup(&mut self, id: u64, m: &StoredMemory) -> Result<()> {
        let (scope, hash) = dedup_key(m);
        self.dedup.remove((scope.as_str(), hash, id))?;
        Ok(())
    }

    /// Writes a record and its indexes; `old` is the previous state when replacing.
    pub(crate) fn put(
        &mut self,
        id: u64,
        m: &StoredMemory,
        old: Option<&StoredMemory>,
    ) -> Result<()> {
        let bytes = record::encode(m)?;
        self.memories.insert(id, bytes.as_slice())?;
        self.spine.inner.records.touch(id);
        let old_labels = old.map(bitmaps::labels).unwrap_or_default();
        self.delta.relabel(id, &old_labels, &bitmaps::labels(m));
        if let Some(o) = old {
            if o.content != m.content || o.scope != m.scope {
                self.unindex_dedup(id, o)?;
            }
            if o.content != m.content {
                self.spine.inner.lexical_copies.stage(id as u32);
                memspine_index::lexical::remove_document(self.txn, id as u32, &o.content)
                    .map_err(ix)?;
                memspine_index::lexical::index_document(self.txn, id as u32, &m.content)
                    .map_err(ix)?;
            }
            self.by_created.remove((o.created_at, id))?;
        }
        self.by_created.insert((m.created_at, id), ())?;
        let key = dedup_key(m);
        if old.is_none_or(|o| o.content != m.content || o.scope != m.scope) {
            self.dedup.insert((key.0.as_str(), key.1, id), ())?;
        }
        Ok(())
    }

    /// Removes a record and its indexes.
    pub(crate) fn remove(&mut self, id: u64, old: &StoredMemory) -> Result<()> {
        self.memories.remove(id)?;
        self.access.remove(id)?;
        self.spine.inner.records.touch(id);
        self.delta.relabel(id, &bitmaps::labels(old), &[]);
        self.by_created.remove((old.created_at, id))?;
        self.log.note_history(id, old.stored_seq)?;
        self.unindex_dedup(id, old)?;
        memspine_index::lexical::remove_document(self.txn, id as u32, &old.content).map_err(ix)?;
        memspine_graph::unlink_memory(self.txn, id)?;
        if self.vector_slot.remove(id)?.is_some() {
            if let Some(vs) = &self.spine.inner.vectors {
                vs.stage_override(id, None);
            }
        }
        Ok(())
    }
}

impl Spine {
    /// Validates a new memory and turns it into its stored form.
    pub(crate) fn prepare(&self, m: &NewMemory, now: Micros) -> Result<StoredMemory> {
        let l = self.limits();
        l.check_content(&m.content)?;
        let kind = m.kind.clone().unwrap_or_else(|| DEFAULT_KIND.to_owned());
        l.check_label("kind", &kind)?;
        l.check_scope(&m.scope)?;
        let importance = check_importance(m.importance.unwrap_or(DEFAULT_IMPORTANCE))?;
        Ok(StoredMemory {
            content: m.content.clone(),
            kind,
            tags: l.check_tags(&m.tags)?,
            metadata: l.check_metadata(m.metadata.as_ref())?,
            scope: m.scope.clone(),
            importance,
            pinned: m.pinned,
            created_at: m.created_at.unwrap_or(now),
            updated_at: now,
            provenance: Vec::new(),
            archived: false,
            has_vector: false,
            stored_seq: 0,
        })
    }

    /// Stores one memory and returns its id. Durable when the call returns (with Immediate durability).
    pub fn store(&self, m: NewMemory) -> Result<MemoryId> {
        let mut ids = self.store_batch(vec![m])?;
        ids.pop()
            .ok_or_else(|| Error::Storage("batch returned no id".into()))
    }

    /// [`Spine::store`], saying what the store did (see [`Spine::store_batch_detailed`]).
    pub fn store_detailed(&self, m: NewMemory) -> Result<Stored> {
        let mut out = self.store_batch_detailed(vec![m])?;
        out.pop()
            .ok_or_else(|| Error::Storage("batch returned no id".into()))
    }

    /// Stores many memories in one transaction: all or none.
    pub fn store_batch(&self, batch: Vec<NewMemory>) -> Result<Vec<MemoryId>> {
        Ok(self
            .store_batch_detailed(batch)?
            .into_iter()
            .map(|s| s.id)
            .collect())
    }

    /// [`Spine::store_batch`], saying for each memory what the store did with it: stored,
    /// returned as an exact duplicate, merged into or flagged as a near-duplicate (see
    /// [`Dedup`]).
    pub fn store_batch_detailed(&self, batch: Vec<NewMemory>) -> Result<Vec<Stored>> {
        let limit = self.limits().max_batch;
        if batch.len() > limit {
            return Err(Error::TooLarge {
                what: "batch",
                size: batch.len(),
                limit,
            });
        }
        let now = self.now();
        let prepared = batch
            .iter()
            .map(|m| self.prepare(m, now))
            .collect::<Result<Vec<_>>>()?;
        let vectors = self.vectors_for(&batch)?;
        let default = self.inner.opts.dedup;
        let dedups = batch
            .iter()
            .map(|m| m.dedup.unwrap_or(default).check())
            .collect::<Result<Vec<_>>>()?;
        // Near-duplicates within the batch are found among its earlier memories' vectors.
        let near = dedups.iter().any(|d| matches!(d, Dedup::Near { .. }));
        self.write(|txn, c, now| {
            let mut ctx = WriteCtx::open(self, txn, now)?;
            let mut out = Vec::with_capacity(prepared.len());
            let mut fresh: Vec<Fresh> = Vec::new();
            for ((mut m, v), d) in prepared.into_iter().zip(vectors).zip(dedups) {
                let outcome = match self.dedup_one(&mut ctx, c, &mut m, v.as_deref(), d, &fresh)? {
                    Resolved::Existing(stored) => {
                        out.push(stored);
                        continue;
                    }
                    Resolved::Store(outcome) => outcome,
                };
                m.has_vector = v.is_some();
                m.updated_at = now;
                let kept = match (near, &v) {
                    (true, Some(v)) => Some((m.scope.clone(), v.clone())),
                    _ => None,
                };
                let id = ctx.insert(c, m, v)?;
                if let Some((scope, v)) = kept {
                    fresh.push((id, scope, v));
                }
                out.push(Stored {
                    id: MemoryId(id),
                    outcome,
                });
            }
            ctx.finish(c)?;
            Ok(out)
        })
    }

    /// Applies duplicate handling `d` to `m` (embedding `v`) inside a write: the existing
    /// memory when `m` is not to be stored, else how it is stored (a flagged near-duplicate has
    /// been tagged). `fresh`: the memories stored earlier in the same batch, with their vectors.
    pub(crate) fn dedup_one(
        &self,
        ctx: &mut WriteCtx,
        c: &mut Counters,
        m: &mut StoredMemory,
        v: Option<&[f32]>,
        d: Dedup,
        fresh: &[Fresh],
    ) -> Result<Resolved> {
        if d == Dedup::Off {
            return Ok(Resolved::Store(StoreOutcome::Stored));
        }
        if let Some(existing) = ctx.find_duplicate(m)? {
            if let Dedup::Near {
                action: NearAction::Merge,
                ..
            } = d
            {
                ctx.merge_into(c, existing, m)?;
            }
            return Ok(Resolved::Existing(Stored {
                id: MemoryId(existing),
                outcome: StoreOutcome::Duplicate,
            }));
        }
        let (Dedup::Near { threshold, action }, Some(v)) = (d, v) else {
            return Ok(Resolved::Store(StoreOutcome::Stored));
        };
        let Some((of, similarity)) = self.nearest_in_scope(&m.scope, v, threshold, fresh)? else {
            return Ok(Resolved::Store(StoreOutcome::Stored));
        };
        match action {
            NearAction::Merge => {
                ctx.merge_into(c, of, m)?;
                Ok(Resolved::Existing(Stored {
                    id: MemoryId(of),
                    outcome: StoreOutcome::Merged { similarity },
                }))
            }
            NearAction::Flag => {
                // The tag goes on unless the memory already carries as many tags as allowed
                // (the outcome still says it is flagged).
                let mut tags = m.tags.clone();
                tags.push(NEAR_DUPLICATE_TAG.to_owned());
                if let Ok(tags) = self.limits().check_tags(&tags) {
                    m.tags = tags;
                }
                Ok(Resolved::Store(StoreOutcome::Flagged {
                    of: MemoryId(of),
                    similarity,
                }))
            }
        }
    }

    /// The live memory of exactly `scope` most similar to `v` with a cosine of at least
    /// `threshold`, among the committed memories and `fresh`.
    fn nearest_in_scope(
        &self,
        scope: &Scope,
        v: &[f32],
        threshold: f32,
        fresh: &[Fresh],
    ) -> Result<Option<(u64, f32)>> {
        // A cosine of two equal normalised vectors may round to just below 1.
        let reaches = |sim: f32| sim + 1e-6 >= threshold;
        let mut best: Option<(u64, f32)> = None;
        let mut consider = |id: u64, sim: f32| {
            if reaches(sim) && best.is_none_or(|(_, b)| sim > b) {
                best = Some((id, sim));
            }
        };
        for (id, s, fv) in fresh {
            if s == scope {
                consider(*id, memspine_index::kernels::dot(v, fv));
            }
        }
        if self.inner.vectors.is_none() {
            return Ok(best);
        }
        // The filter also admits memories of wider scopes (a field the memory leaves empty
        // is open): the first hit of exactly this scope is its nearest, and while every hit
        // reaches the threshold without one of this scope, a longer list may hold one.
        let mut opts = SearchOptions {
            limit: 16,
            filter: Filter {
                user: scope.user.clone(),
                session: scope.session.clone(),
                agent: scope.agent.clone(),
                ..Default::default()
            },
            mode: SearchMode::Semantic,
            vector: Some(v.to_vec()),
            track_access: false,
            ..Default::default()
        };
        loop {
            let limit = opts.limit;
            let hits = self.search("", &opts)?;
            let sim = |h: &crate::search::SearchHit| h.semantic.unwrap_or(h.score);
            if let Some(h) = hits.iter().find(|h| h.memory.scope == *scope) {
                consider(h.id.0, sim(h));
                return Ok(best);
            }
            let more = hits.len() == limit && hits.last().is_some_and(|h| reaches(sim(h)));
            if !more || limit >= crate::MAX_LIMIT {
                return Ok(best);
            }
            opts.limit = (limit * 4).min(crate::MAX_LIMIT);
        }
    }

    /// Vectors given by the caller (checked and normalised), or embedded from the content.
    pub(crate) fn vectors_for(&self, batch: &[NewMemory]) -> Result<Vec<Option<Vec<f32>>>> {
        let mut out: Vec<Option<Vec<f32>>> = batch
            .iter()
            .map(|m| {
                m.vector
                    .as_deref()
                    .map(|v| self.check_vector(v))
                    .transpose()
            })
            .collect::<Result<_>>()?;
        if let Some(e) = &self.inner.embedder {
            let todo: Vec<usize> = (0..batch.len()).filter(|&i| out[i].is_none()).collect();
            let texts: Vec<&str> = todo.iter().map(|&i| batch[i].content.as_str()).collect();
            for (i, v) in todo
                .into_iter()
                .zip(crate::embedding::embed_all(e.as_ref(), &texts)?)
            {
                out[i] = v;
            }
        }
        Ok(out)
    }

    /// Checks a vector's dimension and values and returns it L2-normalised.
    pub fn check_vector(&self, v: &[f32]) -> Result<Vec<f32>> {
        let dim = self.dimension();
        if dim == 0 {
            return Err(Error::invalid(
                "vector",
                "this database was created without vectors (dimension 0)",
            ));
        }
        if v.len() != dim {
            return Err(Error::DimensionMismatch {
                expected: dim,
                got: v.len(),
            });
        }
        if let Some(i) = v.iter().position(|x| !x.is_finite()) {
            return Err(Error::invalid(
                "vector",
                format!("component {i} is not finite ({})", v[i]),
            ));
        }
        let norm = v
            .iter()
            .map(|x| f64::from(*x) * f64::from(*x))
            .sum::<f64>()
            .sqrt();
        if norm == 0.0 {
            return Err(Error::invalid("vector", "has zero length"));
        }
        Ok(v.iter().map(|x| (f64::from(*x) / norm) as f32).collect())
    }

    /// Changes a memory; every `Some` field of `u` is replaced. Logged with the full new state.
    pub fn update(&self, id: MemoryId, u: MemoryUpdate) -> Result<Memory> {
        let mut vector = u
            .vector
            .as_deref()
            .map(|v| self.check_vector(v))
            .transpose()?;
        // New content gets a new embedding (unless the caller gave one).
        if let (None, Some(c), Some(e)) = (&vector, &u.content, &self.inner.embedder) {
            self.limits().check_content(c)?;
            vector = crate::embedding::embed_all(e.as_ref(), &[c.as_str()])?
                .pop()
                .flatten();
        }
        self.write(|txn, c, now| {
            let mut ctx = WriteCtx::open(self, txn, now)?;
            let old = ctx.load(id.0)?;
            let mut new = self.apply_update(&old, &u, now)?;
            new.has_vector |= vector.is_some();
            let slot = match &vector {
                Some(v) => Some(ctx.replace_vector(c, id.0, v)?),
                None => None,
            };
            ctx.put(id.0, &new, Some(&old))?;
            ctx.log.append(
                c,
                now,
                new.scope.clone(),
                EventBody::MemoryUpdated {
                    id: id.0,
                    memory: new.clone(),
                    vector,
                    slot,
                },
            )?;
            let access = ctx.access.get(id.0)?.map(|v| v.value());
            ctx.finish(c)?;
            let (count, last) = access.unwrap_or((0, 0));
            Ok(new.into_memory(id.0, count, (last > 0).then_some(last)))
        })
    }

    fn apply_update(
        &self,
        old: &StoredMemory,
        u: &MemoryUpdate,
        now: Micros,
    ) -> Result<StoredMemory> {
        let l = self.limits();
        let mut m = old.clone();
        if let Some(c) = &u.content {
            l.check_content(c)?;
            m.content = c.clone();
        }
        if let Some(k) = &u.kind {
            l.check_label("kind", k)?;
            m.kind = k.clone();
        }
        if let Some(t) = &u.tags {
            m.tags = l.check_tags(t)?;
        }
        if let Some(md) = &u.metadata {
            m.metadata = l.check_metadata(Some(md))?;
        }
        let scope = Scope {
            user: u.user.clone().unwrap_or_else(|| old.scope.user.clone()),
            session: u
                .session
                .clone()
                .unwrap_or_else(|| old.scope.session.clone()),
            agent: u.agent.clone().unwrap_or_else(|| old.scope.agent.clone()),
        };
        l.check_scope(&scope)?;
        m.scope = scope;
        if let Some(i) = u.importance {
            m.importance = check_importance(i)?;
        }
        if let Some(p) = u.pinned {
            m.pinned = p;
        }
        m.updated_at = now.max(old.updated_at);
        Ok(m)
    }

    /// Deletes a memory. Its history stays readable through [`Spine::history`].
    pub fn delete(&self, id: MemoryId) -> Result<()> {
        self.write(|txn, c, now| {
            let mut ctx = WriteCtx::open(self, txn, now)?;
            let old = ctx.load(id.0)?;
            ctx.remove(id.0, &old)?;
            ctx.log.append(
                c,
                now,
                old.scope.clone(),
                EventBody::MemoryDeleted { id: id.0 },
            )?;
            ctx.finish(c)
        })
    }

    /// Appends an agent-defined event to the log and returns its seq.
    pub fn append_event(
        &self,
        event_type: &str,
        payload: serde_json::Value,
        scope: Scope,
    ) -> Result<u64> {
        let l = self.limits();
        l.check_label("event type", event_type)?;
        if event_type.starts_with("memory.") || event_type.starts_with("graph.") {
            return Err(Error::invalid(
                "event type",
                "the prefixes `memory.` and `graph.` are reserved",
            ));
        }
        l.check_scope(&scope)?;
        let payload = payload.to_string();
        if payload.len() > l.max_event_bytes {
            return Err(Error::TooLarge {
                what: "event payload",
                size: payload.len(),
                limit: l.max_event_bytes,
            });
        }
        self.write(|txn, c, now| {
            let mut log = LogWriter::open(txn)?;
            let seq = log.append(
                c,
                now,
                scope,
                EventBody::Agent {
                    event_type: event_type.to_owned(),
                    payload,
                },
            )?;
            log.flush(c)?;
            Ok(seq)
        })
    }
}

impl Spine {
    /// Archives (or restores) memories: archived ones leave search, recent and plain export but
    /// stay readable by id and in history. Logged as updates.
    pub fn set_archived(&self, ids: &[MemoryId], archived: bool) -> Result<()> {
        self.write(|txn, c, now| {
            let mut ctx = WriteCtx::open(self, txn, now)?;
            for id in ids {
                let old = ctx.load(id.0)?;
                if old.archived == archived {
                    continue;
                }
                let mut new = old.clone();
                new.archived = archived;
                new.updated_at = now.max(old.updated_at);
                ctx.put(id.0, &new, Some(&old))?;
                ctx.log.append(
                    c,
                    now,
                    new.scope.clone(),
                    EventBody::MemoryUpdated {
                        id: id.0,
                        memory: new,
                        vector: None,
                        slot: None,
                    },
                )?;
            }
            ctx.finish(c)
        })
    }
}

/// The dedup index key of a memory: its scope and a stable 64-bit FNV-1a hash of its content.
pub(crate) fn dedup_key(m: &StoredMemory) -> (String, u64) {
    let s = &m.scope;
    let scope = format!(
        "{}\u{1f}{}\u{1f}{}",
        s.user.as_deref().unwrap_or(""),
        s.session.as_deref().unwrap_or(""),
        s.agent.as_deref().unwrap_or("")
    );
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in m.content.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    (scope, h)
}
