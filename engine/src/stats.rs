//! Database statistics for `memspine stats` and the benchmark harness.

use redb::ReadableTableMetadata;
use serde::Serialize;

use crate::db::Spine;
use crate::error::Result;
use crate::schema::{self, key, Counters, BITMAPS, LOG_PAGES, LOG_TAIL, META};

/// A summary of what the database holds and how big it is.
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    /// On-disk format version.
    pub format_version: u32,
    /// Vector dimension (0: none).
    pub dimension: usize,
    /// Live memories.
    pub memories: u64,
    /// Archived memories.
    pub archived: u64,
    /// Pinned memories.
    pub pinned: u64,
    /// Memories with a vector.
    pub with_vector: u64,
    /// Events in the log.
    pub events: u64,
    /// Sealed log pages.
    pub log_pages: u64,
    /// Events in the open tail.
    pub log_tail: u64,
    /// Distinct users.
    pub users: u64,
    /// Distinct sessions.
    pub sessions: u64,
    /// Distinct tags.
    pub tags: u64,
    /// Bytes of every file of the database (allocated blocks where the OS says).
    pub bytes_on_disk: u64,
    /// What the compactor did: running totals and the last pass.
    pub compaction: crate::compact::CompactionHistory,
    /// Scope copies held in memory now (see [`crate::Options::scope_copy_bytes`]).
    pub scope_copies: usize,
    /// Their bytes.
    pub scope_copy_bytes: usize,
    /// Lexical scope copies held in memory now (see [`crate::Options::lexical_copy_bytes`]).
    pub lexical_copies: usize,
    /// Their bytes.
    pub lexical_copy_bytes: usize,
    /// Scope copies built since the database was opened (a number growing as fast as scoped
    /// searches come means the copies do not fit [`crate::Options::scope_copy_bytes`]).
    pub scope_copy_builds: u64,
    /// Lexical scope copies built since the database was opened (likewise for
    /// [`crate::Options::lexical_copy_bytes`]).
    pub lexical_copy_builds: u64,
    /// Bytes of the graph copy held in memory now (see [`crate::Options::graph_copy_bytes`]).
    pub graph_copy_bytes: usize,
    /// The graph did not fit [`crate::Options::graph_copy_bytes`]: graph reads use the disk.
    pub graph_copy_too_big: bool,
    /// Bytes of the record cache now (see [`crate::Options::record_cache_bytes`]).
    pub record_cache_bytes: usize,
    /// Memory records read from the record cache since the database was opened.
    pub record_cache_hits: u64,
    /// Memory records looked up there and read from the tables instead.
    pub record_cache_misses: u64,
    /// Bytes of the process-wide lexical block cache now, shared by every database open in
    /// the process (see [`crate::set_lexical_block_cache_bytes`]).
    pub lexical_block_cache_bytes: usize,
}

impl Spine {
    /// Collects [`Stats`].
    pub fn stats(&self) -> Result<Stats> {
        let s = self.snapshot()?;
        let meta = s.txn.open_table(META)?;
        let c: Counters = schema::get_meta(&meta, key::COUNTERS)?.unwrap_or_default();
        let bm = s.txn.open_table(BITMAPS)?;
        let distinct = |p: &str| crate::bitmaps::list(&bm, p).map(|v| v.len() as u64);
        let (scope_copies, scope_copy_bytes) = match &self.inner.vectors {
            Some(vs) => vs.scopes.usage(),
            None => (0, 0),
        };
        let scope_copy_builds = self
            .inner
            .vectors
            .as_ref()
            .map_or(0, |vs| vs.scopes.builds());
        let (lexical_copies, lexical_copy_bytes) = self.inner.lexical_copies.usage();
        let graph_copy = self.inner.graph_copies.usage();
        let records = self.inner.records.usage();
        Ok(Stats {
            format_version: schema::FORMAT_VERSION,
            dimension: self.dimension(),
            memories: s.bitmap("live")?.len(),
            archived: s.bitmap("archived")?.len(),
            pinned: s.bitmap("pinned")?.len(),
            with_vector: s.bitmap("vec")?.len(),
            events: c.next_seq.saturating_sub(1),
            log_pages: s.txn.open_table(LOG_PAGES)?.len()?,
            log_tail: s.txn.open_table(LOG_TAIL)?.len()?,
            users: distinct("u:")?,
            sessions: distinct("s:")?,
            tags: distinct("t:")?,
            bytes_on_disk: dir_bytes(self.path()),
            compaction: self.compaction_history()?,
            scope_copies,
            scope_copy_bytes,
            lexical_copies,
            lexical_copy_bytes,
            scope_copy_builds,
            lexical_copy_builds: self.inner.lexical_copies.builds(),
            graph_copy_bytes: graph_copy.bytes,
            graph_copy_too_big: graph_copy.too_big,
            record_cache_bytes: records.bytes,
            record_cache_hits: records.hits,
            record_cache_misses: records.misses,
            lexical_block_cache_bytes: memspine_index::lexical::block_cache_usage(),
        })
    }
}

/// Bytes of the files of a directory, by their length. (Allocated blocks would undercount files
/// written moments ago — delayed allocation — so the logical length is the honest, conservative
/// figure; sparse holes of empty arena slots are counted as if written.)
pub fn dir_bytes(dir: &std::path::Path) -> u64 {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return 0;
    };
    rd.filter_map(|e| e.ok()?.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}
