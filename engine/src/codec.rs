//! Entry points to every decoder of bytes that come from disk or input, for fuzzing and tools.
//! Each returns an error on bad input — never panics, never allocates without bound.

use crate::error::Result;

/// Decodes a memory record (value of the `memories` table).
pub fn decode_memory_record(bytes: &[u8]) -> Result<()> {
    crate::memory::record::decode(0, bytes).map(|_| ())
}

/// Encodes `m` as its stored record (the value of the `memories` table): postcard, zstd when that
/// saves a tenth, header and crc32 — what every store writes. For benches and fuzz corpora.
pub fn encode_memory_record(m: &crate::Memory) -> Result<Vec<u8>> {
    crate::memory::record::encode(&crate::memory::record::StoredMemory::of_memory(m))
}

/// Decodes a sealed log page, with its vectors.
pub fn decode_log_page(bytes: &[u8]) -> Result<usize> {
    crate::log::page::decode(bytes, true).map(|r| r.len())
}

/// Decodes a log tail record.
pub fn decode_log_tail(bytes: &[u8]) -> Result<()> {
    crate::log::decode_tail(bytes).map(|_| ())
}

/// Decodes a stored bitmap chunk.
pub fn decode_bitmap(bytes: &[u8]) -> Result<u64> {
    crate::bitmaps::decode("fuzz", bytes).map(|b| b.len())
}

/// Parses one JSONL import line into a memory to store (without storing it).
pub fn parse_import_line(line: &str) -> Result<crate::NewMemory> {
    let jm: crate::jsonl::JsonMemory =
        serde_json::from_str(line).map_err(|e| crate::Error::invalid("import", e.to_string()))?;
    let nm = jm.into_new()?;
    let l = crate::Limits::default();
    l.check_content(&nm.content)?;
    l.check_tags(&nm.tags)?;
    l.check_metadata(nm.metadata.as_ref())?;
    l.check_scope(&nm.scope)?;
    Ok(nm)
}

/// Encodes a log page from records (for seeding fuzz corpora).
pub fn encode_log_page(records: &mut [crate::log::LogRecord]) -> Result<Vec<u8>> {
    crate::log::page::encode(records, 3).map(|(_, b)| b)
}

/// Decodes an arena file header (the first 64 bytes) as each kind of arena file.
pub fn decode_arena_header(bytes: &[u8]) -> Result<u32> {
    memspine_index::arena::decode_header_for_fuzz(bytes)
        .map_err(|e| crate::Error::Index(e.to_string()))
}

/// Writes `bytes` as the three arena files into `dir` (layout: see
/// `memspine_index::arena::decode_files_for_fuzz`) and opens, verifies and searches them.
pub fn decode_arena_files(dir: &std::path::Path, bytes: &[u8]) -> Result<u32> {
    memspine_index::arena::decode_files_for_fuzz(dir, bytes)
        .map_err(|e| crate::Error::Index(e.to_string()))
}
