//! A forward cursor over one term's postings blocks, with block skipping.

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

/// Position in one term's postings. Invariant: when `cur != EXHAUSTED`, `block` is decoded,
/// `block.docs[pos] == cur`, and `iter` yields the blocks after the current one.
pub(crate) struct Cursor<'t> {
    table: &'t PostingsTable,
    term_id: u32,
    iter: Range<'static, (u32, u32), &'static [u8]>,
    block: Block,
    header: BlockHeader,
    pos: usize,
    cur: u64,
}

type Guard = AccessGuard<'static, &'static [u8]>;

impl<'t> Cursor<'t> {
    /// A cursor on the first posting of `term_id`.
    pub fn new(table: &'t PostingsTable, term_id: u32) -> Result<Self> {
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
            block: Block::default(),
            header,
            pos: 0,
            cur: EXHAUSTED,
        };
        c.step_and_decode()?;
        Ok(c)
    }

    /// Current document, or [`EXHAUSTED`].
    pub fn doc(&self) -> u64 {
        self.cur
    }

    /// (tf, doc length) of the current posting.
    pub fn posting(&self) -> (u32, u32) {
        let tf = self.block.tfs.get(self.pos).copied().unwrap_or(0);
        let dl = self.block.dls.get(self.pos).copied().unwrap_or(0);
        (tf, dl)
    }

    /// Moves to the next posting.
    pub fn next(&mut self) -> Result<()> {
        self.pos += 1;
        match self.block.docs.get(self.pos) {
            Some(&d) => self.cur = u64::from(d),
            None => self.step_and_decode()?,
        }
        Ok(())
    }

    /// Moves to the first posting with doc ≥ `target` (never backwards).
    pub fn advance_to(&mut self, target: u32) -> Result<()> {
        if self.cur >= u64::from(target) {
            return Ok(());
        }
        if self.header.last_doc < target {
            self.skip_blocks_to(target)?;
            if self.cur == EXHAUSTED {
                return Ok(());
            }
        }
        let rest = self.block.docs.get(self.pos..).unwrap_or_default();
        self.pos += rest.partition_point(|&d| d < target);
        match self.block.docs.get(self.pos) {
            Some(&d) => self.cur = u64::from(d),
            None => self.step_and_decode()?,
        }
        Ok(())
    }

    /// Leaves the cursor in a decoded block whose last doc is ≥ `target`, or exhausted.
    fn skip_blocks_to(&mut self, target: u32) -> Result<()> {
        for _ in 0..MAX_STEPS_BEFORE_SEEK {
            let Some((key, guard)) = self.step()? else {
                return Ok(());
            };
            if self.header.last_doc >= target {
                return self.decode(key, &guard);
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
        loop {
            let Some((key, guard)) = self.step()? else {
                return Ok(());
            };
            if self.header.last_doc >= target {
                return self.decode(key, &guard);
            }
        }
    }

    /// Loads the next block's header (not its postings); `None` (and exhausted) at the end.
    fn step(&mut self) -> Result<Option<(u32, Guard)>> {
        let Some(entry) = self.iter.next() else {
            self.cur = EXHAUSTED;
            return Ok(None);
        };
        let (k, v) = entry.map_err(db)?;
        let key = k.value().1;
        self.header = format::peek_header(self.term_id, key, v.value())?;
        Ok(Some((key, v)))
    }

    fn step_and_decode(&mut self) -> Result<()> {
        match self.step()? {
            Some((key, guard)) => self.decode(key, &guard),
            None => Ok(()),
        }
    }

    fn decode(&mut self, key: u32, guard: &Guard) -> Result<()> {
        self.header = format::decode_block(self.term_id, key, guard.value(), &mut self.block)?;
        self.pos = 0;
        self.cur = self.block.docs.first().map_or(EXHAUSTED, |&d| u64::from(d));
        Ok(())
    }
}
