//! Table definitions and the small helpers every module uses to open them and allocate ids.
//!
//! Invariants (checked by `verify`):
//! - `graph_out[(s, p, o, e)]` exists iff `graph_in[(o, p, s, e)]` exists (same validity) iff
//!   `graph_edges[e] == (s, p, o)`; `s` and `o` exist in `graph_entities`, `p` in `graph_pred_names`.
//! - `graph_names[n] == id` iff `n` is the normalised name or an alias of entity `id`.
//! - `graph_mem_ent[(m, e)]` exists iff `graph_ent_mem[(e, m)]` exists, and `e` exists.

use redb::{
    ReadOnlyTable, ReadTransaction, ReadableTable, Table, TableDefinition, TableError,
    WriteTransaction,
};

use crate::error::{GraphError, Result};

/// Counters and format version: `next_entity`, `next_edge`, `next_predicate`, `format_version`.
pub const META: TableDefinition<&str, u64> = TableDefinition::new("graph_meta");
/// Entity id → entity record (see `codec`).
pub const ENTITIES: TableDefinition<u64, &[u8]> = TableDefinition::new("graph_entities");
/// Normalised name or alias → entity id.
pub const NAMES: TableDefinition<&str, u64> = TableDefinition::new("graph_names");
/// Normalised predicate → (predicate id, flags; bit 0 = single-valued).
pub const PREDICATES: TableDefinition<&str, (u32, u8)> = TableDefinition::new("graph_predicates");
/// Predicate id → normalised predicate.
pub const PRED_NAMES: TableDefinition<u32, &str> = TableDefinition::new("graph_pred_names");
/// Out-edges: (subject, predicate, object, edge id) → edge value (see `codec`).
pub const OUT: TableDefinition<(u64, u32, u64, u64), &[u8]> = TableDefinition::new("graph_out");
/// In-edges: (object, predicate, subject, edge id) → (valid_from, valid_to).
pub const IN: TableDefinition<(u64, u32, u64, u64), (u64, u64)> = TableDefinition::new("graph_in");
/// Edge id → (subject, predicate, object): finds an edge's adjacency keys.
pub const EDGES: TableDefinition<u64, (u64, u32, u64)> = TableDefinition::new("graph_edges");
/// (memory id, entity id) → ().
pub const MEM_ENT: TableDefinition<(u64, u64), ()> = TableDefinition::new("graph_mem_ent");
/// (entity id, memory id) → ().
pub const ENT_MEM: TableDefinition<(u64, u64), ()> = TableDefinition::new("graph_ent_mem");

/// Change log of the adjacency lists and entity records: (change number, entity id) → (). Every
/// graph call that changes an entity's record or edges takes the next change number
/// (the counter `graph_meta["next_change"]`; the graph's version is the last number taken) and records each entity it touched (both ends
/// of an edge), or [`ALL_ENTITIES`] when it changed too much to list (repair, a bulk load). An in-memory copy
/// of the graph ([`crate::GraphCopy`]) catches up by reloading the entities listed after its
/// version. The last [`KEEP_CHANGES`] change numbers are kept.
pub const CHANGES: TableDefinition<(u64, u64), ()> = TableDefinition::new("graph_changes");
/// The entity id of a change that touched every entity.
pub const ALL_ENTITIES: u64 = u64::MAX;
/// Change numbers kept in [`CHANGES`]; a copy further behind rebuilds from scratch. A call
/// lists at most 64 entities (more: [`ALL_ENTITIES`]), so the log holds at most ~1M rows.
pub const KEEP_CHANGES: u64 = 1 << 14;
/// The change-number counter (`graph_meta` key, taken with [`next_id`]); the graph's version is
/// the last number taken.
pub(crate) const NEXT_CHANGE: &str = "next_change";

/// Version of the table layout, stored as `graph_meta["format_version"]`.
pub const GRAPH_FORMAT_VERSION: u64 = 1;

/// Predicate flag: a subject has at most one current object for this predicate.
pub const SINGLE_VALUED: u8 = 1;

/// Opens a table for reading; `None` when the graph was never written (tables not created yet).
pub(crate) fn read<K: redb::Key + 'static, V: redb::Value + 'static>(
    rtxn: &ReadTransaction,
    def: TableDefinition<K, V>,
) -> Result<Option<ReadOnlyTable<K, V>>> {
    match rtxn.open_table(def) {
        Ok(t) => Ok(Some(t)),
        Err(TableError::TableDoesNotExist(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Creates every graph table and records the format version. Mutations do it implicitly; the
/// engine may call it at database creation (reads of a never-written graph return empty answers
/// either way).
pub fn init(wtxn: &WriteTransaction) -> Result<()> {
    crate::write::Tables::open(wtxn).map(drop)
}

/// The graph's version in this snapshot (the number of changes to its adjacency lists and entity
/// records so far; 0 for a graph never written). Two snapshots with the same version read the
/// same entities and edges.
pub fn version(rtxn: &ReadTransaction) -> Result<u64> {
    let Some(meta) = read(rtxn, META)? else {
        return Ok(0);
    };
    Ok(meta
        .get(NEXT_CHANGE)?
        .map_or(0, |g| g.value().saturating_sub(1)))
}

/// Takes the next value of a persistent counter (first value 1).
pub(crate) fn next_id(meta: &mut Table<&str, u64>, counter: &'static str) -> Result<u64> {
    let id = meta.get(counter)?.map_or(1, |g| g.value());
    let next = id
        .checked_add(1)
        .ok_or(GraphError::CounterExhausted(counter))?;
    meta.insert(counter, next)?;
    Ok(id)
}

/// Where one entity's adjacency list (optionally of one predicate) starts, as an open-ended
/// range: readers iterate from here and stop at the first key [`past_adjacency`] rejects. redb
/// positions a bounded range's end cursor with a second descent from the root; an open-ended
/// range skips it (measured ~2.5× cheaper per list in `benches/benches/graph.rs`).
pub(crate) fn adjacency_from(
    entity: u64,
    predicate: Option<u32>,
) -> std::ops::RangeFrom<(u64, u32, u64, u64)> {
    (entity, predicate.unwrap_or(0), 0, 0)..
}

/// Whether `key` lies after the adjacency list that [`adjacency_from`] started.
pub(crate) fn past_adjacency(
    key: (u64, u32, u64, u64),
    entity: u64,
    predicate: Option<u32>,
) -> bool {
    key.0 != entity || predicate.is_some_and(|p| key.1 != p)
}

/// The full key range of one entity's adjacency list, optionally of one predicate.
pub(crate) fn adjacency_range(
    entity: u64,
    predicate: Option<u32>,
) -> std::ops::RangeInclusive<(u64, u32, u64, u64)> {
    let (lo, hi) = predicate.map_or((0, u32::MAX), |p| (p, p));
    (entity, lo, 0, 0)..=(entity, hi, u64::MAX, u64::MAX)
}
