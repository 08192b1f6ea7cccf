//! The lexical (BM25) index, stored in the engine's redb file and written in the engine's
//! transactions.
//!
//! Tables (`lex_*`, layouts in docs/design.md "Lexical index"): a term dictionary, postings in
//! blocks of up to 128 delta-encoded documents keyed `(term id, first doc)`, per-document lengths
//! and global statistics. Memory ids are the documents (`u32`, as in the roaring bitmaps), so a
//! scope/tag bitmap filters lexical search directly.
//!
//! ```
//! use memspine_index::lexical;
//! use redb::ReadableDatabase;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! let db = redb::Database::create(dir.path().join("data.redb"))?;
//! let txn = db.begin_write()?;
//! lexical::index_document(&txn, 1, "Alice prefers green tea in the morning")?;
//! lexical::index_document(&txn, 2, "Bob drinks coffee")?;
//! txn.commit()?;
//! let hits = lexical::search(&db.begin_read()?, "tea mornings", 10, None)?;
//! assert_eq!(hits.first().map(|h| h.0), Some(1));
//! # Ok(()) }
//! ```

mod cache;
mod cursor;
pub mod format;
mod scope;
mod search;
mod tables;
mod tokenize;
mod verify;
mod write;

pub use cache::{
    block_cache_bytes, block_cache_usage, set_block_cache_bytes, DEFAULT_BLOCK_CACHE_BYTES,
};
pub use scope::{ScopePostings, PAUSE_EVERY};
pub use search::{phrase_or_terms_bitmap, search, search_with_copy, B, K1};
pub use tokenize::{stem, tokenize, MAX_TOKEN_BYTES, STOP_WORDS};
pub use verify::{stats, verify, LexicalStats};
pub use write::{index_document, remove_document, IndexBatch};

/// Names of the tables this module owns, for the engine's table listing and size reports.
pub const TABLES: &[&str] = &["lex_terms", "lex_postings", "lex_doc_len", "lex_stats"];
