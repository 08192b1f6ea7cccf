//! memspine-graph: the knowledge graph of memspine — entities with normalised names and
//! aliases, typed relations stored as out- and in-adjacency lists in redb, bi-temporal facts,
//! neighbourhoods that return their relations, shortest paths, and memory ↔ entity links.
//!
//! Every function takes the engine's redb transaction (mutations a `WriteTransaction`, reads a
//! `ReadTransaction`), so graph changes commit atomically with the memory they come from.
//! Mutations are deterministic in their inputs (times are passed in; ids come from counters in
//! `graph_meta`), and every mutation is also a serializable [`GraphOp`] for the engine's log.
//!
//! ```
//! use memspine_graph::{add_triple, find_entity, neighborhood, NewTriple, TraversalOptions};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! let db = redb::Database::create(dir.path().join("g.redb"))?;
//! let w = db.begin_write()?;
//! add_triple(&w, &NewTriple::new("Alice", "works_at", "Acme", 1_000))?;
//! add_triple(&w, &NewTriple::new("Bob", "works_at", "Acme", 2_000))?;
//! w.commit()?;
//!
//! let r = redb::ReadableDatabase::begin_read(&db)?;
//! let alice = find_entity(&r, "  alice ")?.expect("normalised lookup");
//! let n = neighborhood(&r, alice, 2, &TraversalOptions::default())?;
//! assert_eq!(n.entities.len(), 3); // Alice, Acme, Bob
//! assert_eq!(n.relations.len(), 2); // both works_at edges
//! # Ok(()) }
//! ```
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod codec;
mod copy;
mod edge;
mod entity;
pub mod error;
mod idmap;
mod links;
mod normalize;
mod op;
mod read;
mod repair;
mod tables;
mod text;
mod traverse;
#[cfg(test)]
mod traverse_reference;
mod verify;
mod write;

pub use codec::{decode_edge, decode_entity, EdgeBody, EntityRecord, Validity};
pub use copy::{CatchUp, GraphCopy};
pub use edge::{
    add_triple, add_triples, declare_predicate, delete_triple, invalidate_triple, NewTriple,
    TripleAdded,
};
pub use entity::{
    add_alias, create_entity, delete_entity, find_entity, get_entities, get_entity, list_entities,
    resolve, Entity, EntityDeleted, EntityRef, NewEntity,
};
pub use error::{GraphError, Result};
pub use links::{
    entities_of_memory, link_memory, memories_about, move_links, recent_memories_about,
    unlink_memory,
};
pub use normalize::{normalize, MAX_NAME_BYTES};
pub use op::{GraphOp, OpOutcome};
pub use read::{edges, edges_with, Direction, Relation};
pub use repair::{repair, GraphRepair};
pub use tables::{init, version, GRAPH_FORMAT_VERSION};
pub use text::{entities_in_text, Mention, MAX_NGRAM_WORDS};
pub use traverse::{
    neighborhood, neighborhood_with, paths, paths_with, Hop, Neighborhood, Path, Paths,
    TraversalOptions, DEFAULT_MAX_ENTITIES, DEFAULT_MAX_FANOUT, DEFAULT_MAX_PATHS, MAX_DEPTH,
};
pub use verify::{stats, verify, GraphStats, Problem, MAX_PROBLEMS};

/// Table definitions, public so tests and tools can inspect (or deliberately corrupt) them.
pub mod table_defs {
    pub use crate::tables::{
        ALL_ENTITIES, CHANGES, EDGES, ENTITIES, ENT_MEM, IN, KEEP_CHANGES, MEM_ENT, META, NAMES,
        OUT, PREDICATES, PRED_NAMES, SINGLE_VALUED,
    };
}
