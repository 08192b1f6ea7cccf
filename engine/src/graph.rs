//! The knowledge graph through the database handle: every mutation is a [`GraphOp`] applied in
//! one write transaction and logged (`graph.*` events carrying the op as JSON), so replaying the
//! log rebuilds the graph exactly. Reads run on a snapshot like every other read.

use memspine_graph::{
    self as g, Direction, EntityRef, GraphOp, Neighborhood, NewTriple, OpOutcome, Paths, Relation,
    TraversalOptions, TripleAdded,
};

use crate::db::Spine;
use crate::error::{Error, Result};
use crate::log::{EventBody, LogWriter};
use crate::memory::{Memory, MemoryId, NewMemory, Scope};
use crate::write::{Resolved, WriteCtx};

pub use memspine_graph::Entity;

impl Spine {
    /// Applies one graph operation durably and logs it.
    pub fn graph_apply(&self, op: GraphOp) -> Result<OpOutcome> {
        let payload = serde_json::to_string(&op).map_err(|e| Error::Storage(e.to_string()))?;
        // Every graph op is logged as an event: the event size limit bounds what an op may
        // carry (context, source, metadata, aliases, entity lists).
        let limit = self.limits().max_event_bytes;
        if payload.len() > limit {
            return Err(Error::TooLarge {
                what: "graph operation",
                size: payload.len(),
                limit,
            });
        }
        self.write(|txn, c, now| {
            let out = op.apply(txn)?;
            let mut log = LogWriter::open(txn)?;
            let body = EventBody::Graph {
                op: op.event_type().to_owned(),
                payload,
            };
            log.append(c, now, Scope::default(), body)?;
            log.flush(c)?;
            Ok(out)
        })
    }

    /// Stores a memory and the facts it states in one transaction: either all are durable or
    /// none is. Each fact gets `memory` = the new memory's id (so its subject and object are
    /// linked to it); a zero `timestamp` means now. Logged as `memory.stored` followed by one
    /// `graph.add_triple` per fact. When dedup finds the memory a duplicate (exact, or a
    /// near-duplicate merged), the facts are linked to the existing memory's id.
    pub fn store_with_facts(
        &self,
        m: NewMemory,
        facts: Vec<NewTriple>,
    ) -> Result<(MemoryId, Vec<TripleAdded>)> {
        let limit = self.limits().max_batch;
        if facts.len() > limit {
            return Err(Error::TooLarge {
                what: "facts of one memory",
                size: facts.len(),
                limit,
            });
        }
        let now = self.now();
        let prepared = self.prepare(&m, now)?;
        let vector = self.vectors_for(std::slice::from_ref(&m))?.pop().flatten();
        let dedup = m.dedup.unwrap_or(self.inner.opts.dedup).check()?;
        self.write(|txn, c, now| {
            let mut ctx = WriteCtx::open(self, txn, now)?;
            let mut stored = prepared;
            let existing =
                self.dedup_one(&mut ctx, c, &mut stored, vector.as_deref(), dedup, &[])?;
            let scope = stored.scope.clone();
            let id = match existing {
                Resolved::Existing(s) => s.id.0,
                Resolved::Store(_) => {
                    stored.has_vector = vector.is_some();
                    stored.updated_at = now;
                    ctx.insert(c, stored, vector)?
                }
            };
            let mut added = Vec::with_capacity(facts.len());
            for mut t in facts {
                if t.timestamp == 0 {
                    t.timestamp = now;
                }
                t.memory = Some(id);
                let op = GraphOp::AddTriple(t);
                match op.apply(txn)? {
                    OpOutcome::Triple(a) => added.push(a),
                    other => return Err(Error::Storage(format!("add_triple returned {other:?}"))),
                }
                let payload =
                    serde_json::to_string(&op).map_err(|e| Error::Storage(e.to_string()))?;
                let body = EventBody::Graph {
                    op: op.event_type().to_owned(),
                    payload,
                };
                ctx.log.append(c, now, scope.clone(), body)?;
            }
            ctx.finish(c)?;
            Ok((MemoryId(id), added))
        })
    }

    /// Invalidates a fact at `at` (µs; 0 = now): it stays in history, valid until then.
    /// Logged as `graph.invalidate_triple`.
    pub fn invalidate_triple(&self, edge: u64, at: u64) -> Result<()> {
        let at = if at == 0 { self.now() } else { at };
        self.graph_apply(GraphOp::InvalidateTriple { edge, at })
            .map(drop)
    }

    /// Deletes a fact outright (no history). Logged as `graph.delete_triple`.
    pub fn delete_triple(&self, edge: u64) -> Result<()> {
        self.graph_apply(GraphOp::DeleteTriple { edge }).map(drop)
    }

    /// Deletes an entity (by name or alias) with every edge touching it, in both directions, and
    /// its memory links. Logged as `graph.delete_entity`.
    pub fn delete_entity(&self, name: &str) -> Result<g::EntityDeleted> {
        let id = {
            let s = self.snapshot()?;
            self.entity_id(&s.txn, name)?
        };
        match self.graph_apply(GraphOp::DeleteEntity { entity: id })? {
            OpOutcome::EntityDeleted(d) => Ok(d),
            other => Err(Error::Storage(format!("delete_entity returned {other:?}"))),
        }
    }

    /// Adds a fact `(subject, predicate, object)` (the article's `add_memory`). Unknown names
    /// create entities; a single-valued predicate closes the subject's current fact. A zero
    /// `timestamp` means now.
    pub fn add_triple(&self, mut t: NewTriple) -> Result<TripleAdded> {
        if t.timestamp == 0 {
            t.timestamp = self.now();
        }
        match self.graph_apply(GraphOp::AddTriple(t))? {
            OpOutcome::Triple(added) => Ok(added),
            other => Err(Error::Storage(format!("add_triple returned {other:?}"))),
        }
    }

    /// Declares a predicate; single-valued ones (e.g. `lives_in`) supersede instead of accumulating.
    pub fn declare_predicate(&self, name: &str, single_valued: bool) -> Result<()> {
        self.graph_apply(GraphOp::DeclarePredicate {
            name: name.to_owned(),
            single_valued,
        })
        .map(drop)
    }

    /// Links a memory to entities (by name or alias; unknown names are an error).
    pub fn link_memory(&self, id: MemoryId, entities: &[&str]) -> Result<()> {
        self.get(id)?;
        let s = self.snapshot()?;
        let ids = entities
            .iter()
            .map(|n| g::resolve(&s.txn, &EntityRef::Name((*n).to_owned())))
            .collect::<g::Result<Vec<u64>>>()?;
        self.graph_apply(GraphOp::LinkMemory {
            memory: id.0,
            entities: ids,
        })
        .map(drop)
    }

    /// Looks an entity up by name or alias (case, whitespace and Unicode-normalised).
    pub fn find_entity(&self, name: &str) -> Result<Option<Entity>> {
        let s = self.snapshot()?;
        match g::find_entity(&s.txn, name)? {
            Some(id) => Ok(g::get_entity(&s.txn, id)?),
            None => Ok(None),
        }
    }

    fn entity_id(&self, txn: &redb::ReadTransaction, name: &str) -> Result<u64> {
        Ok(g::resolve(txn, &EntityRef::Name(name.to_owned()))?)
    }

    /// Entities within `depth` hops of `entity` and every relation among them.
    pub fn neighborhood(
        &self,
        entity: &str,
        depth: u32,
        opts: &TraversalOptions,
    ) -> Result<Neighborhood> {
        let s = self.snapshot()?;
        let root = self.entity_id(&s.txn, entity)?;
        self.with_graph_copy(&s.txn, |copy| {
            g::neighborhood_with(&s.txn, copy, root, depth, opts)
        })
    }

    /// Shortest paths from `a` to `b` of at most `max_depth` hops.
    pub fn paths(
        &self,
        a: &str,
        b: &str,
        max_depth: u32,
        opts: &TraversalOptions,
    ) -> Result<Paths> {
        let s = self.snapshot()?;
        let (a, b) = (self.entity_id(&s.txn, a)?, self.entity_id(&s.txn, b)?);
        self.with_graph_copy(&s.txn, |copy| {
            g::paths_with(&s.txn, copy, a, b, max_depth, opts)
        })
    }

    /// An entity's current edges, optionally of one predicate and direction.
    pub fn edges(
        &self,
        entity: &str,
        predicate: Option<&str>,
        direction: Direction,
    ) -> Result<Vec<Relation>> {
        let s = self.snapshot()?;
        let id = self.entity_id(&s.txn, entity)?;
        self.with_graph_copy(&s.txn, |copy| {
            g::edges_with(&s.txn, copy, id, predicate, direction, None)
        })
    }

    /// Runs a graph read with the graph copy when it holds the snapshot's version
    /// (`graph_copy.rs`).
    fn with_graph_copy<T>(
        &self,
        txn: &redb::ReadTransaction,
        f: impl FnOnce(Option<&g::GraphCopy>) -> g::Result<T>,
    ) -> Result<T> {
        let copies = &self.inner.graph_copies;
        Ok(copies.read(txn, || self.read_txn(), f)??)
    }

    /// Blocks until the graph copy that earlier graph reads asked for is built or caught up.
    /// Reads never wait for it (docs/design.md, "Graph copy"); this is for callers that want to
    /// measure or test a read with the copy in place.
    pub fn wait_for_graph_copy(&self) {
        self.inner.graph_copies.wait_idle();
    }

    /// Memories linked to an entity ("memories about Alice"), newest id first.
    pub fn memories_about(&self, entity: &str, limit: usize) -> Result<Vec<Memory>> {
        let s = self.snapshot()?;
        let id = self.entity_id(&s.txn, entity)?;
        let mut out = Vec::new();
        for m in g::memories_about(&s.txn, id, limit)? {
            if let Some(mem) = s.memory(m)? {
                out.push(mem);
            }
        }
        Ok(out)
    }

    /// Names of entities, by id, for display.
    pub fn entity_names(&self, ids: &[u64]) -> Result<Vec<(u64, String)>> {
        let s = self.snapshot()?;
        let mut out = Vec::with_capacity(ids.len());
        for &id in ids {
            if let Some(e) = g::get_entity(&s.txn, id)? {
                out.push((id, e.name));
            }
        }
        Ok(out)
    }
}
