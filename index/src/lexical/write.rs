//! Indexing and removing documents inside the engine's write transaction.
//!
//! Invariants kept by every function here (checked by `verify`):
//! - a term's blocks are keyed `(term id, key)` with `key ≤` the block's first doc, and every doc
//!   of a block is `<` the next block's key: the block holding `doc` is the one with the largest
//!   key `≤ doc`;
//! - a block holds 1..=[`MAX_BLOCK`] postings; an empty block is deleted;
//! - `df` of a term = its number of postings; a term with `df = 0` is deleted;
//! - `lex_doc_len[doc]` = the sum of the doc's tfs over all terms; `doc_count` and `total_len`
//!   are the count and sum of `lex_doc_len`.

use super::format::{Block, StatsRecord, TermEntry, MAX_BLOCK};
use super::tables::{block_after, block_at_or_before, db, read_stats, read_term, WriteTables};
use super::tokenize::term_counts;
use crate::error::{Error, Result};
use redb::{ReadableTable, WriteTransaction};
use std::collections::{BTreeMap, HashMap};

/// Indexes `text` as document `doc` in `txn`. A few table writes: one block and one dictionary
/// entry per distinct term, the document length and the statistics.
///
/// Errors with `AlreadyIndexed` if `doc` is indexed (an update is `remove_document` with the old
/// text, then `index_document`).
pub fn index_document(txn: &WriteTransaction, doc: u32, text: &str) -> Result<()> {
    let mut t = WriteTables::open(txn)?;
    let mut stats = read_stats(&t.stats)?;
    ensure_new(&t, doc)?;
    let (counts, len) = term_counts(text);
    for (term, tf) in &counts {
        let mut entry = entry_or_new(&t, term, &mut stats)?;
        insert_posting(&mut t, entry.id, doc, *tf, len)?;
        note_posting(&mut entry, *tf, len);
        t.write_term(term, &entry)?;
    }
    add_doc(&mut t, &mut stats, doc, len)?;
    t.write_stats(&stats)
}

/// Removes document `doc`, which was indexed with `text`. A document that is not indexed is a
/// no-op. Errors with `TextMismatch` when `text` is not the indexed text (a posting is missing or
/// the length differs); the caller aborts the transaction then.
pub fn remove_document(txn: &WriteTransaction, doc: u32, text: &str) -> Result<()> {
    let mut t = WriteTables::open(txn)?;
    let Some(stored_len) = t.lens.get(doc).map_err(db)?.map(|g| g.value()) else {
        return Ok(());
    };
    let (counts, len) = term_counts(text);
    if len != stored_len {
        let detail = format!("indexed length {stored_len}, this text has {len} tokens");
        return Err(Error::TextMismatch { doc, detail });
    }
    let mut stats = read_stats(&t.stats)?;
    for (term, tf) in &counts {
        remove_term_posting(&mut t, term, doc, *tf)?;
    }
    t.lens.remove(doc).map_err(db)?;
    stats.doc_count = stats.doc_count.saturating_sub(1);
    stats.total_len = stats.total_len.saturating_sub(u64::from(len));
    t.write_stats(&stats)
}

/// Documents accumulated in memory for bulk ingest; [`IndexBatch::flush`] writes each term's
/// dictionary entry once and appends its postings block by block.
#[derive(Debug, Default)]
pub struct IndexBatch {
    lens: BTreeMap<u32, u32>,
    postings: HashMap<String, Vec<(u32, u32)>>,
}

impl IndexBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a document. Errors with `AlreadyIndexed` if `doc` is already in this batch.
    pub fn add(&mut self, doc: u32, text: &str) -> Result<()> {
        let (counts, len) = term_counts(text);
        if self.lens.insert(doc, len).is_some() {
            return Err(Error::AlreadyIndexed { doc });
        }
        for (term, tf) in counts {
            self.postings.entry(term).or_default().push((doc, tf));
        }
        Ok(())
    }

    /// Number of documents in the batch.
    pub fn len(&self) -> usize {
        self.lens.len()
    }

    /// True when nothing was added.
    pub fn is_empty(&self) -> bool {
        self.lens.is_empty()
    }

    /// Writes the batch into `txn` and empties it. Errors with `AlreadyIndexed` (writing nothing)
    /// if a document is already in the index.
    pub fn flush(&mut self, txn: &WriteTransaction) -> Result<()> {
        let mut t = WriteTables::open(txn)?;
        for &doc in self.lens.keys() {
            ensure_new(&t, doc)?;
        }
        let mut stats = read_stats(&t.stats)?;
        let mut terms: Vec<_> = std::mem::take(&mut self.postings).into_iter().collect();
        terms.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for (term, mut list) in terms {
            list.sort_unstable_by_key(|p| p.0);
            self.flush_term(&mut t, &mut stats, &term, &list)?;
        }
        for (doc, len) in std::mem::take(&mut self.lens) {
            add_doc(&mut t, &mut stats, doc, len)?;
        }
        t.write_stats(&stats)
    }

    /// Writes one term's postings (sorted by doc) and its dictionary entry.
    fn flush_term(
        &self,
        t: &mut WriteTables<'_>,
        stats: &mut StatsRecord,
        term: &str,
        list: &[(u32, u32)],
    ) -> Result<()> {
        let mut entry = entry_or_new(t, term, stats)?;
        let with_len: Vec<(u32, u32, u32)> = list
            .iter()
            .map(|&(d, tf)| (d, tf, self.lens.get(&d).copied().unwrap_or(tf)))
            .collect();
        append_or_insert(t, entry.id, &with_len)?;
        for &(_, tf, dl) in &with_len {
            note_posting(&mut entry, tf, dl);
        }
        t.write_term(term, &entry)
    }
}

fn ensure_new(t: &WriteTables<'_>, doc: u32) -> Result<()> {
    if t.lens.get(doc).map_err(db)?.is_some() {
        return Err(Error::AlreadyIndexed { doc });
    }
    Ok(())
}

fn add_doc(t: &mut WriteTables<'_>, stats: &mut StatsRecord, doc: u32, len: u32) -> Result<()> {
    t.lens.insert(doc, len).map_err(db)?;
    stats.doc_count += 1;
    stats.total_len += u64::from(len);
    Ok(())
}

/// The term's entry, or a fresh one with a new id (df 0) taken from `stats`.
fn entry_or_new(t: &WriteTables<'_>, term: &str, stats: &mut StatsRecord) -> Result<TermEntry> {
    if let Some(e) = read_term(&t.terms, term)? {
        return Ok(e);
    }
    let id = stats.next_term_id;
    stats.next_term_id = id
        .checked_add(1)
        .ok_or_else(|| super::format::corrupt("lex_stats: term ids exhausted".into()))?;
    Ok(TermEntry {
        id,
        df: 0,
        max_tf: 0,
        min_dl: u32::MAX,
    })
}

/// Counts a new posting into the entry; the bounds only widen (they stay valid after removals).
fn note_posting(e: &mut TermEntry, tf: u32, dl: u32) {
    e.df = e.df.saturating_add(1);
    e.max_tf = e.max_tf.max(tf);
    e.min_dl = e.min_dl.min(dl);
}

/// Sorted postings of one term: appended to the last block when they all follow it (the bulk
/// ingest case: ids increase), else inserted one by one.
fn append_or_insert(t: &mut WriteTables<'_>, term_id: u32, list: &[(u32, u32, u32)]) -> Result<()> {
    let Some(&(first, _, _)) = list.first() else {
        return Ok(());
    };
    let last = block_at_or_before(&t.postings, term_id, u32::MAX)?;
    let appendable = last
        .as_ref()
        .is_none_or(|(_, b)| b.last_doc() < Some(first));
    if !appendable {
        for &(d, tf, dl) in list {
            insert_posting(t, term_id, d, tf, dl)?;
        }
        return Ok(());
    }
    let (mut key, mut block) = last.unwrap_or((first, Block::default()));
    for &(d, tf, dl) in list {
        if block.len() >= MAX_BLOCK {
            t.write_block(term_id, key, &block)?;
            (key, block) = (d, Block::default());
        }
        block.insert(d, tf, dl);
    }
    t.write_block(term_id, key, &block)
}

/// Inserts one posting into the block that must hold it, splitting a full block.
fn insert_posting(t: &mut WriteTables<'_>, term_id: u32, doc: u32, tf: u32, dl: u32) -> Result<()> {
    let (old_key, mut block) = match block_at_or_before(&t.postings, term_id, doc)? {
        Some((k, b)) => (Some(k), b),
        // doc precedes every block: it joins the first one, whose key drops to doc.
        None => match block_after(&t.postings, term_id, doc)? {
            Some((k, b)) => (Some(k), b),
            None => (None, Block::default()),
        },
    };
    if block.len() >= MAX_BLOCK && block.last_doc() < Some(doc) {
        // Appending past a full block starts a new one.
        return t.write_block(
            term_id,
            doc,
            &Block {
                docs: vec![doc],
                tfs: vec![tf],
                dls: vec![dl],
            },
        );
    }
    block.insert(doc, tf, dl);
    let key = old_key.map_or(doc, |k| k.min(doc));
    if let Some(k) = old_key.filter(|&k| k != key) {
        t.delete_block(term_id, k)?;
    }
    if block.len() > MAX_BLOCK {
        let upper = block.split_off_half();
        if let Some(&upper_key) = upper.docs.first() {
            t.write_block(term_id, upper_key, &upper)?;
        }
    }
    t.write_block(term_id, key, &block)
}

/// Removes `doc`'s posting of `term` (which must have frequency `tf`) and updates the entry.
fn remove_term_posting(t: &mut WriteTables<'_>, term: &str, doc: u32, tf: u32) -> Result<()> {
    let mismatch = |detail: String| Error::TextMismatch { doc, detail };
    let mut entry = read_term(&t.terms, term)?
        .ok_or_else(|| mismatch(format!("term {term:?} is not in the index")))?;
    let (key, mut block) = block_at_or_before(&t.postings, entry.id, doc)?
        .ok_or_else(|| mismatch(format!("no posting of {term:?}")))?;
    match block.remove(doc) {
        Some((old_tf, _)) if old_tf == tf => {}
        Some((old_tf, _)) => {
            return Err(mismatch(format!(
                "{term:?} indexed tf {old_tf}, text has {tf}"
            )))
        }
        None => return Err(mismatch(format!("no posting of {term:?}"))),
    }
    if block.is_empty() {
        t.delete_block(entry.id, key)?;
    } else {
        t.write_block(entry.id, key, &block)?;
    }
    entry.df = entry.df.saturating_sub(1);
    if entry.df == 0 {
        t.terms.remove(term).map_err(db)?;
        Ok(())
    } else {
        t.write_term(term, &entry)
    }
}
