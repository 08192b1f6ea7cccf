//! The lexical index's redb tables and the small read/write helpers over them.

use super::format::{self, Block, StatsRecord, TermEntry};
use crate::error::{Error, Result};
use redb::{ReadTransaction, ReadableTable, Table, TableDefinition, TableError, WriteTransaction};

/// Term → [`TermEntry`] (format byte + crc).
pub(crate) const TERMS: TableDefinition<&str, &[u8]> = TableDefinition::new("lex_terms");
/// (term id, block key) → postings block (format byte + crc).
pub(crate) const POSTINGS: TableDefinition<(u32, u32), &[u8]> =
    TableDefinition::new("lex_postings");
/// Document → its length in tokens (a plain integer).
pub(crate) const DOC_LENS: TableDefinition<u32, u32> = TableDefinition::new("lex_doc_len");
/// `"stats"` → [`StatsRecord`] (format byte + crc).
pub(crate) const STATS: TableDefinition<&str, &[u8]> = TableDefinition::new("lex_stats");
const STATS_KEY: &str = "stats";

/// Converts any redb error into the crate's.
pub(crate) fn db<E: Into<redb::Error>>(e: E) -> Error {
    Error::Storage(e.into())
}

/// Opens a table in a read transaction; `None` when nothing was ever indexed (no table yet).
pub(crate) fn open_read<K: redb::Key + 'static, V: redb::Value + 'static>(
    rtxn: &ReadTransaction,
    def: TableDefinition<K, V>,
) -> Result<Option<redb::ReadOnlyTable<K, V>>> {
    match rtxn.open_table(def) {
        Ok(t) => Ok(Some(t)),
        Err(TableError::TableDoesNotExist(_)) => Ok(None),
        Err(e) => Err(db(e)),
    }
}

/// Reads the statistics (all zero when absent).
pub(crate) fn read_stats(
    t: &impl ReadableTable<&'static str, &'static [u8]>,
) -> Result<StatsRecord> {
    match t.get(STATS_KEY).map_err(db)? {
        Some(v) => format::decode_stats(v.value()),
        None => Ok(StatsRecord::default()),
    }
}

/// Reads one dictionary entry.
pub(crate) fn read_term(
    t: &impl ReadableTable<&'static str, &'static [u8]>,
    term: &str,
) -> Result<Option<TermEntry>> {
    match t.get(term).map_err(db)? {
        Some(v) => format::decode_term(term, v.value()).map(Some),
        None => Ok(None),
    }
}

/// The block of `term_id` whose key is the largest ≤ `doc` (the only block that may hold `doc`).
pub(crate) fn block_at_or_before(
    t: &impl ReadableTable<(u32, u32), &'static [u8]>,
    term_id: u32,
    doc: u32,
) -> Result<Option<(u32, Block)>> {
    let mut range = t.range((term_id, 0)..=(term_id, doc)).map_err(db)?;
    decode_entry(term_id, range.next_back())
}

/// The first block of `term_id` with key > `doc`.
pub(crate) fn block_after(
    t: &impl ReadableTable<(u32, u32), &'static [u8]>,
    term_id: u32,
    doc: u32,
) -> Result<Option<(u32, Block)>> {
    let Some(from) = doc.checked_add(1) else {
        return Ok(None);
    };
    let mut range = t.range((term_id, from)..=(term_id, u32::MAX)).map_err(db)?;
    decode_entry(term_id, range.next())
}

type Entry<'a> = (
    redb::AccessGuard<'a, (u32, u32)>,
    redb::AccessGuard<'a, &'static [u8]>,
);

fn decode_entry(
    term_id: u32,
    e: Option<std::result::Result<Entry<'_>, redb::StorageError>>,
) -> Result<Option<(u32, Block)>> {
    let Some(e) = e else { return Ok(None) };
    let (k, v) = e.map_err(db)?;
    let key = k.value().1;
    let mut block = Block::default();
    format::decode_block(term_id, key, v.value(), &mut block)?;
    Ok(Some((key, block)))
}

/// The write-side tables, opened once per call.
pub(crate) struct WriteTables<'txn> {
    pub terms: Table<'txn, &'static str, &'static [u8]>,
    pub postings: Table<'txn, (u32, u32), &'static [u8]>,
    pub lens: Table<'txn, u32, u32>,
    pub stats: Table<'txn, &'static str, &'static [u8]>,
}

impl<'txn> WriteTables<'txn> {
    /// Opens (creating if needed) the four tables in `txn`.
    pub fn open(txn: &'txn WriteTransaction) -> Result<Self> {
        Ok(WriteTables {
            terms: txn.open_table(TERMS).map_err(db)?,
            postings: txn.open_table(POSTINGS).map_err(db)?,
            lens: txn.open_table(DOC_LENS).map_err(db)?,
            stats: txn.open_table(STATS).map_err(db)?,
        })
    }

    pub fn write_stats(&mut self, s: &StatsRecord) -> Result<()> {
        self.stats
            .insert(STATS_KEY, format::encode_stats(s).as_slice())
            .map_err(db)?;
        Ok(())
    }

    pub fn write_term(&mut self, term: &str, t: &TermEntry) -> Result<()> {
        let bytes = format::encode_term(t);
        self.terms.insert(term, bytes.as_slice()).map_err(db)?;
        Ok(())
    }

    pub fn write_block(&mut self, term_id: u32, key: u32, b: &Block) -> Result<()> {
        let bytes = format::encode_block(key, b);
        self.postings
            .insert((term_id, key), bytes.as_slice())
            .map_err(db)?;
        Ok(())
    }

    pub fn delete_block(&mut self, term_id: u32, key: u32) -> Result<()> {
        self.postings.remove((term_id, key)).map_err(db)?;
        Ok(())
    }
}
