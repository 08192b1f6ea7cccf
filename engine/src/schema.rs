//! redb tables of the engine and the database-level metadata. See docs/design.md.

use redb::{ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Format version of the database as a whole. Bump on any incompatible change and ship a migration.
pub const FORMAT_VERSION: u32 = 1;

/// Database-level values (format version, settings, counters).
pub(crate) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
/// Memory id → encoded record (memory/record.rs).
pub(crate) const MEMORIES: TableDefinition<u64, &[u8]> = TableDefinition::new("memories");
/// Memory id → (access count, last access µs): kept apart so counting a read never rewrites content.
pub(crate) const ACCESS: TableDefinition<u64, (u64, u64)> = TableDefinition::new("access");
/// (bitmap name, id >> 16) → roaring bitmap of the ids in that 65 536-wide chunk.
pub(crate) const BITMAPS: TableDefinition<(&str, u32), &[u8]> = TableDefinition::new("bitmaps");
/// (created µs, id) → (): time-range and recency index of live memories.
pub(crate) const BY_CREATED: TableDefinition<(u64, u64), ()> = TableDefinition::new("by_created");
/// (memory id, event seq) → (): which events belong to a memory's history.
pub(crate) const MEM_EVENTS: TableDefinition<(u64, u64), ()> = TableDefinition::new("mem_events");
/// seq → encoded log record: the open (unsealed) tail of the event log.
pub(crate) const LOG_TAIL: TableDefinition<u64, &[u8]> = TableDefinition::new("log_tail");
/// first seq → sealed page (log/page.rs).
pub(crate) const LOG_PAGES: TableDefinition<u64, &[u8]> = TableDefinition::new("log_pages");
/// first seq → page index entry (last seq, min ts, max ts, count, type mask).
pub(crate) const LOG_PAGE_IDX: TableDefinition<u64, (u64, u64, u64, u32, u64)> =
    TableDefinition::new("log_page_idx");

/// memory id → arena slot, for memories whose vector was replaced (slot ≠ id).
pub(crate) const VECTOR_SLOT: TableDefinition<u64, u32> = TableDefinition::new("vector_slot");
/// (scope key, FNV-1a 64 of the content, memory id) → (): exact-duplicate detection on write.
pub(crate) const DEDUP: TableDefinition<(&str, u64, u64), ()> = TableDefinition::new("dedup");

/// Keys of the META table.
pub(crate) mod key {
    pub const FORMAT: &str = "format_version";
    pub const SETTINGS: &str = "settings";
    pub const COUNTERS: &str = "counters";
    /// Present once the creation-time bucket bitmaps (`cd:`/`ch:`) cover every record: set at
    /// creation, or by the migration on the first open of an older database.
    pub const TIME_BUCKETS: &str = "time_buckets";
}

/// Settings fixed at creation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Settings {
    /// Vector dimension (0: the database stores no vectors).
    pub dimension: u32,
    /// Identity of the embedding model the vectors come from ("" when only caller vectors).
    pub model_id: String,
    /// Creation time.
    pub created_at: u64,
}

/// Counters advanced by every write transaction.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Counters {
    /// Next id/slot number to allocate (ids start at 1; slot 0 is reserved).
    pub next_num: u64,
    /// Next event seq (starts at 1).
    pub next_seq: u64,
    /// Latest event timestamp: event times never go backwards.
    pub last_ts: u64,
    /// Events in the open tail.
    pub tail_count: u32,
    /// Encoded bytes in the open tail.
    pub tail_bytes: u64,
    /// Arena slots committed (== next_num when the database has vectors).
    pub arena_slots: u64,
}

pub(crate) fn get_meta<T: for<'de> Deserialize<'de>>(
    t: &impl ReadableTable<&'static str, &'static [u8]>,
    k: &str,
) -> Result<Option<T>> {
    match t.get(k)? {
        None => Ok(None),
        Some(v) => postcard::from_bytes(v.value())
            .map(Some)
            .map_err(|e| Error::corrupt(format!("meta.{k}"), e.to_string())),
    }
}

pub(crate) fn put_meta<T: Serialize>(
    t: &mut redb::Table<&'static str, &'static [u8]>,
    k: &str,
    v: &T,
) -> Result<()> {
    let bytes = postcard::to_allocvec(v)?;
    t.insert(k, bytes.as_slice())?;
    Ok(())
}

/// Creates every engine table, so that readers of a fresh database find empty tables.
pub(crate) fn create_tables(txn: &redb::WriteTransaction) -> Result<()> {
    txn.open_table(MEMORIES)?;
    txn.open_table(ACCESS)?;
    txn.open_table(BITMAPS)?;
    txn.open_table(BY_CREATED)?;
    txn.open_table(MEM_EVENTS)?;
    txn.open_table(LOG_TAIL)?;
    txn.open_table(LOG_PAGES)?;
    txn.open_table(LOG_PAGE_IDX)?;
    txn.open_table(DEDUP)?;
    txn.open_table(VECTOR_SLOT)?;
    memspine_graph::init(txn)?;
    Ok(())
}
