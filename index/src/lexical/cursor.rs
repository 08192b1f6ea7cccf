//! A forward cursor over one term's postings blocks, with block skipping.

use std::sync::Arc;

use super::format::{self, Block, BlockHeader};
use super::tables::db;
use crate::error::Result;
use redb::{AccessGuard, Range, ReadOnlyTable};

/// The postings table as read by queries.
pub(crate) type PostingsTable = ReadOnlyTable<(u32, u32), &'static [u8]>;

/// `doc()` of a cursor past its last posting (larger than any u32 doc).
pub(crate) const EXHAUSTED: u64 = u64::MAX;

/// Sequential `next` costs a step of a redb range iterator; a far `advance_to` re-seeks the B-tree
/// after this many skipped blocks instead of stepping through them.
const MAX_STEPS_BEFORE_SEEK: usize = 4;

/// Position in one term's postings. Blocks are decoded lazily, so skipped blocks cost only a
/// header read. Invariants: unless exhausted, `header` is the current block's and
/// `cur ≤ header.last_doc`; when `decoded`, `block.docs[pos] == cur` (an exact position) and
/// otherwise `cur` is a lower bound of the next posting, which lies in the current block;
/// `iter` yields the blocks after the current one.
pub(crate) struct Cursor<'t> {
    table: &'t PostingsTable,
    term_id: u32,
    iter: Range<'static, (u32, u32), &'static [u8]>,
    block: Arc<Block>,
    header: BlockHeader,
    /// Key and bytes of the current block while it is not decoded.
    raw: Option<(u32, Guard)>,
    pos: usize,
    cur: u64,
    /// Decode through the process-wide block cache (see [`super::cache`]).
    cached: bool,
}

type Guard = AccessGuard<'static, &'static [u8]>;

impl<'t> Cursor<'t> {
    /// A cursor on the first posting of `term_id`; `cached`: decode its blocks through the
    /// process-wide cache (worth it for the few blocks a small filter visits again query after
    /// query; a walk of a whole postings list would only churn it).
    pub fn new(table: &'t PostingsTable, term_id: u32, cached: bool) -> Result<Self> {
        let iter = table
            .range((term_id, 0)..=(term_id, u32::MAX))
            .map_err(db)?;
        let header = BlockHeader {
            count: 0,
            last_doc: 0,
            max_tf: 0,
            min_dl: 0,
        };
        let mut c = Cursor {
            table,
            term_id,
            iter,
            block: Arc::default(),
            header,
            raw: None,
            pos: 0,
            cur: EXHAUSTED,
            cached,
        };
        c.step(0)?;
        Ok(c)
    }

    /// Current document (exact when [`Cursor::is_exact`]; else a lower bound), or [`EXHAUSTED`].
    pub fn doc(&self) -> u64 {
        self.cur
    }

    /// True when `doc()` is a posting (not a lower bound).
    pub fn is_exact(&self) -> bool {
        self.raw.is_none()
    }

    /// Header of the current block (meaningless when exhausted).
    pub fn header(&self) -> &BlockHeader {
        &self.header
    }

    /// (tf, doc length) of the current posting; call on an exact cursor.
    pub fn posting(&self) -> (u32, u32) {
        let tf = self.block.tfs.get(self.pos).copied().unwrap_or(0);
        let dl = self.block.dls.get(self.pos).copied().unwrap_or(0);
        (tf, dl)
    }

    /// Decodes the current block if needed, landing on the first posting ≥ the lower bound.
    pub fn make_exact(&mut self) -> Result<()> {
        let Some((key, guard)) = self.raw.take() else {
            return Ok(());
        };
        let bytes = guard.value();
        if self.cached {
            (self.header, self.block) = super::cache::decode_block(self.term_id, key, bytes)?;
        } else {
            // Decoded in place: an uncached cursor's block is its own (`make_mut` never copies).
            let block = Arc::make_mut(&mut self.block);
            self.header = super::format::decode_block(self.term_id, key, bytes, block)?;
        }
        let target = self.cur;
        self.pos = self.block.docs.partition_point(|&d| u64::from(d) < target);
        self.sync_cur()
    }

    /// Moves past the current posting; the cursor must be exact (it may be left inexact).
    pub fn next(&mut self) -> Result<()> {
        self.make_exact()?;
        self.pos += 1;
        self.sync_cur()
    }

    /// Moves to the first posting ≥ `target` (never backwards), lazily: the cursor may be left
    /// inexact with `doc() == target` or at a later block's key.
    pub fn advance_to(&mut self, target: u32) -> Result<()> {
        if self.cur >= u64::from(target) {
            return Ok(());
        }
        if self.header.last_doc < target {
            return self.skip_blocks_to(target);
        }
        if self.raw.is_some() {
            self.cur = u64::from(target);
            return Ok(());
        }
        let rest = self.block.docs.get(self.pos..).unwrap_or_default();
        self.pos += rest.partition_point(|&d| d < target);
        self.sync_cur()
    }

    /// Sets `cur` from `pos` in a decoded block, stepping to the next block past its end.
    fn sync_cur(&mut self) -> Result<()> {
        match self.block.docs.get(self.pos) {
            Some(&d) => {
                self.cur = u64::from(d);
                Ok(())
            }
            None => self.step(0).map(|_| ()),
        }
    }

    /// Moves to the first block whose last doc is ≥ `target`, or exhausted.
    fn skip_blocks_to(&mut self, target: u32) -> Result<()> {
        for _ in 0..MAX_STEPS_BEFORE_SEEK {
            if !self.step(target)? || self.header.last_doc >= target {
                return Ok(());
            }
        }
        self.seek(target)
    }

    /// Re-positions through the B-tree: the block with the largest key ≤ `target`, or the next.
    fn seek(&mut self, target: u32) -> Result<()> {
        let t = self.term_id;
        let mut back = self.table.range((t, 0)..=(t, target)).map_err(db)?;
        let from = match back.next_back() {
            Some(e) => e.map_err(db)?.0.value().1,
            None => 0,
        };
        self.iter = self.table.range((t, from)..=(t, u32::MAX)).map_err(db)?;
        while self.step(target)? {
            if self.header.last_doc >= target {
                break;
            }
        }
        Ok(())
    }

    /// Loads the next block's header (not its postings), inexact with lower bound
    /// `max(key, floor)`; false (and exhausted) at the end.
    fn step(&mut self, floor: u32) -> Result<bool> {
        let Some(entry) = self.iter.next() else {
            self.cur = EXHAUSTED;
            self.raw = None;
            return Ok(false);
        };
        let (k, v) = entry.map_err(db)?;
        let key = k.value().1;
        self.header = format::peek_header(self.term_id, key, v.value())?;
        self.cur = u64::from(key.max(floor));
        self.raw = Some((key, v));
        Ok(true)
    }
}
