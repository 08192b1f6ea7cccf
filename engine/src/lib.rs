//! memspine: an embedded, persistent memory engine for AI agents.
//!
//! One database directory holds an append-only event log, memories with scopes and tags,
//! vector and lexical search, and a knowledge graph.
//!
//! ```
//! use memspine::{Spine, Options, NewMemory, Filter};
//! let dir = tempfile::tempdir().unwrap();
//! let db = Spine::open(dir.path().join("agent.db"), Options::default()).unwrap();
//! let id = db.store(NewMemory::new("Alice prefers email over phone").user("alice").tag("preference")).unwrap();
//! assert_eq!(db.get(id).unwrap().content, "Alice prefers email over phone");
//! assert_eq!(db.filter_ids(&Filter::user("alice")).unwrap(), vec![id]);
//! ```
#![warn(missing_docs)]
#![deny(unsafe_code)]

mod access;
mod bitmap_cache;
pub mod bitmaps;
pub mod clock;
pub mod codec;
mod compact;
mod consolidate;
pub mod context;
mod db;
mod dsl;
mod embedding;
mod error;
#[doc(hidden)]
pub mod fault;
mod graph;
mod graph_copy;
pub mod jsonl;
mod lexical_copy;
pub mod log;
pub mod memory;
pub mod query;
mod read;
mod record_cache;
mod repair;
mod schema;
mod scope_copy;
mod search;
mod stats;
mod vector_index;
mod vectors;
mod verify;
mod write;

pub use access::FLUSH_AT as ACCESS_FLUSH_AT;
pub use clock::{Clock, ManualClock, Micros, SystemClock};
pub use compact::{
    CompactOptions, CompactionHistory, CompactionReport, CompactorConfig, LogCompaction, Skipped,
};
pub use consolidate::{ConsolidateOptions, CONSOLIDATED};
pub use context::{ContextOptions, ContextWindow, Weights};
pub use db::{Durability, Options, Spine, DATA_FILE};
pub use dsl::QueryOptions;
pub use embedding::EmbedderChoice;
pub use error::{Error, Result};
pub use graph::Entity;
pub use log::Event;
pub use memory::{
    Dedup, Limits, Memory, MemoryId, MemoryUpdate, NearAction, NewMemory, Scope, StoreOutcome,
    Stored, Tier, NEAR_DUPLICATE_TAG,
};
pub use memspine_compaction::{
    Action, Breakdown, CompactionStats, DecayPolicy, ExtractiveSummarizer, ImportanceConfig,
    MediumAction, Plan, Reason, Summarizer,
};
pub use memspine_graph::{
    Direction, EntityDeleted, GraphOp, GraphRepair, Neighborhood, NewTriple, OpOutcome, Paths,
    Relation, TraversalOptions, TripleAdded,
};
/// Sets the memory of the process-wide cache of decoded lexical postings blocks (default
/// [`memspine_index::lexical::DEFAULT_BLOCK_CACHE_BYTES`], 64 MiB; 0 turns it off), shared by
/// every database open in the process. Queries restricted to a scope (a user's memories) decode
/// the same blocks of the frequent words again and again; the cache keeps them (docs/design.md,
/// "Decoded-block cache").
pub use memspine_index::lexical::set_block_cache_bytes as set_lexical_block_cache_bytes;
pub use read::Filter;
pub use repair::RepairReport;
pub use schema::FORMAT_VERSION;
pub use search::{SearchHit, SearchMode, SearchOptions, MAX_LIMIT};
pub use stats::{dir_bytes, Stats};
pub use vector_index::{VectorIndexInfo, MIN_VECTORS as VECTOR_INDEX_MIN_VECTORS};
pub use verify::VerifyReport;
pub use write::DEFAULT_IMPORTANCE;
