//! Every graph mutation as one serializable value, so the engine can log it and replay it
//! exactly: `apply` on the same ops in the same order on an empty graph gives identical state
//! (ids come from persistent counters, times are in the ops).

use redb::WriteTransaction;
use serde::{Deserialize, Serialize};

use crate::edge::{NewTriple, TripleAdded};
use crate::entity::{EntityDeleted, NewEntity};
use crate::error::Result;

/// A graph mutation. JSON form: `{"op": "add_triple", "args": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", content = "args", rename_all = "snake_case")]
#[non_exhaustive]
pub enum GraphOp {
    /// [`crate::create_entity`].
    CreateEntity(NewEntity),
    /// [`crate::add_alias`].
    AddAlias {
        /// Entity id.
        entity: u64,
        /// The alias.
        alias: String,
    },
    /// [`crate::declare_predicate`].
    DeclarePredicate {
        /// Predicate name.
        name: String,
        /// Whether it is single-valued.
        single_valued: bool,
    },
    /// [`crate::add_triple`].
    AddTriple(NewTriple),
    /// [`crate::invalidate_triple`].
    InvalidateTriple {
        /// Edge id.
        edge: u64,
        /// End of validity (µs).
        at: u64,
    },
    /// [`crate::delete_triple`].
    DeleteTriple {
        /// Edge id.
        edge: u64,
    },
    /// [`crate::delete_entity`].
    DeleteEntity {
        /// Entity id.
        entity: u64,
    },
    /// [`crate::link_memory`].
    LinkMemory {
        /// Memory id.
        memory: u64,
        /// Entity ids.
        entities: Vec<u64>,
    },
    /// [`crate::unlink_memory`].
    UnlinkMemory {
        /// Memory id.
        memory: u64,
    },
    /// [`crate::move_links`].
    MoveLinks {
        /// Source memories.
        from: Vec<u64>,
        /// Target memory.
        to: u64,
    },
}

/// What an applied op returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OpOutcome {
    /// Nothing to report.
    Done,
    /// A new entity's id.
    Entity(u64),
    /// A predicate's id.
    Predicate(u32),
    /// What adding a triple did.
    Triple(TripleAdded),
    /// What deleting an entity removed.
    EntityDeleted(EntityDeleted),
    /// How many links were removed or moved.
    Links(usize),
}

impl GraphOp {
    /// Event type name for the engine's log, e.g. `graph.add_triple`.
    pub fn event_type(&self) -> &'static str {
        match self {
            GraphOp::CreateEntity(_) => "graph.create_entity",
            GraphOp::AddAlias { .. } => "graph.add_alias",
            GraphOp::DeclarePredicate { .. } => "graph.declare_predicate",
            GraphOp::AddTriple(_) => "graph.add_triple",
            GraphOp::InvalidateTriple { .. } => "graph.invalidate_triple",
            GraphOp::DeleteTriple { .. } => "graph.delete_triple",
            GraphOp::DeleteEntity { .. } => "graph.delete_entity",
            GraphOp::LinkMemory { .. } => "graph.link_memory",
            GraphOp::UnlinkMemory { .. } => "graph.unlink_memory",
            GraphOp::MoveLinks { .. } => "graph.move_links",
        }
    }

    /// Applies the op in the caller's write transaction.
    pub fn apply(&self, wtxn: &WriteTransaction) -> Result<OpOutcome> {
        Ok(match self {
            GraphOp::CreateEntity(e) => OpOutcome::Entity(crate::create_entity(wtxn, e)?),
            GraphOp::AddAlias { entity, alias } => {
                crate::add_alias(wtxn, *entity, alias)?;
                OpOutcome::Done
            }
            GraphOp::DeclarePredicate {
                name,
                single_valued,
            } => OpOutcome::Predicate(crate::declare_predicate(wtxn, name, *single_valued)?),
            GraphOp::AddTriple(t) => OpOutcome::Triple(crate::add_triple(wtxn, t)?),
            GraphOp::InvalidateTriple { edge, at } => {
                crate::invalidate_triple(wtxn, *edge, *at)?;
                OpOutcome::Done
            }
            GraphOp::DeleteTriple { edge } => {
                crate::delete_triple(wtxn, *edge)?;
                OpOutcome::Done
            }
            GraphOp::DeleteEntity { entity } => {
                OpOutcome::EntityDeleted(crate::delete_entity(wtxn, *entity)?)
            }
            GraphOp::LinkMemory { memory, entities } => {
                crate::link_memory(wtxn, *memory, entities)?;
                OpOutcome::Done
            }
            GraphOp::UnlinkMemory { memory } => {
                OpOutcome::Links(crate::unlink_memory(wtxn, *memory)?)
            }
            GraphOp::MoveLinks { from, to } => {
                OpOutcome::Links(crate::move_links(wtxn, from, *to)?)
            }
        })
    }
}
