//! Byte layouts of the lexical index's values (see docs/design.md, "Lexical index").
//!
//! Every value that is more than a plain integer starts with a format byte and a crc32 of the
//! bytes after the crc, so a bad record is named, never decoded into garbage. Decoders check
//! lengths before reading and never allocate more than the record's own size allows.

use crate::error::{Error, Result};

/// Format byte of a term dictionary entry.
pub const TERM_VERSION: u8 = 1;
/// Format byte of a postings block.
pub const BLOCK_VERSION: u8 = 1;
/// Format byte of the global statistics record.
pub const STATS_VERSION: u8 = 1;
/// Most postings one block holds. A full block is split (on insert in the middle) or a new block
/// started (on append), so rewriting a block on every indexed document stays ~0.5 KiB.
pub const MAX_BLOCK: usize = 128;

const HEADER: usize = 5; // version byte + crc32

/// One term of the dictionary (`lex_terms` value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TermEntry {
    /// The term's id, the first half of its postings keys.
    pub id: u32,
    /// Number of documents holding the term (number of postings).
    pub df: u32,
    /// Upper bound of the term's frequency in any document (raised on insert, never lowered).
    pub max_tf: u32,
    /// Lower bound of the length of any document holding the term (lowered on insert only).
    pub min_dl: u32,
}

/// Global statistics (`lex_stats` value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatsRecord {
    /// Indexed documents (including empty ones).
    pub doc_count: u64,
    /// Sum of the documents' lengths in tokens.
    pub total_len: u64,
    /// Next term id to hand out (ids are never reused).
    pub next_term_id: u32,
}

/// A decoded postings block: parallel arrays sorted by strictly increasing doc.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Block {
    /// Documents, strictly increasing, all ≥ the block's key.
    pub docs: Vec<u32>,
    /// Term frequency in each document (≥ 1).
    pub tfs: Vec<u32>,
    /// Length of each document (≥ its tf).
    pub dls: Vec<u32>,
}

impl Block {
    /// Number of postings.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// True when the block holds no posting.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// Last (largest) document, if any.
    pub fn last_doc(&self) -> Option<u32> {
        self.docs.last().copied()
    }

    /// Inserts or replaces the posting of `doc`, keeping the order.
    pub fn insert(&mut self, doc: u32, tf: u32, dl: u32) {
        match self.docs.binary_search(&doc) {
            Ok(i) => {
                self.tfs[i] = tf;
                self.dls[i] = dl;
            }
            Err(i) => {
                self.docs.insert(i, doc);
                self.tfs.insert(i, tf);
                self.dls.insert(i, dl);
            }
        }
    }

    /// Removes the posting of `doc`; returns its (tf, dl) if it was there.
    pub fn remove(&mut self, doc: u32) -> Option<(u32, u32)> {
        let i = self.docs.binary_search(&doc).ok()?;
        self.docs.remove(i);
        Some((self.tfs.remove(i), self.dls.remove(i)))
    }

    /// Splits off the upper half into a new block.
    pub fn split_off_half(&mut self) -> Block {
        let at = self.len() / 2;
        Block {
            docs: self.docs.split_off(at),
            tfs: self.tfs.split_off(at),
            dls: self.dls.split_off(at),
        }
    }
}

fn seal(mut body: Vec<u8>, version: u8) -> Vec<u8> {
    let crc = crc32fast::hash(body.get(HEADER..).unwrap_or_default());
    body[0] = version;
    body[1..HEADER].copy_from_slice(&crc.to_le_bytes());
    body
}

/// Checks version and crc; returns the payload.
fn open<'a>(bytes: &'a [u8], version: u8, what: &dyn Fn() -> String) -> Result<&'a [u8]> {
    let (head, payload) = bytes
        .split_at_checked(HEADER)
        .ok_or_else(|| corrupt(format!("{}: {} bytes, too short", what(), bytes.len())))?;
    if head[0] != version {
        return Err(corrupt(format!("{}: format byte {}", what(), head[0])));
    }
    let stored = u32::from_le_bytes([head[1], head[2], head[3], head[4]]);
    if stored != crc32fast::hash(payload) {
        return Err(corrupt(format!("{}: crc32 mismatch", what())));
    }
    Ok(payload)
}

pub(crate) fn corrupt(detail: String) -> Error {
    Error::LexicalCorrupt { detail }
}

/// Little-endian u32 at `at` of a payload whose length was checked.
fn u32_at(p: &[u8], at: usize) -> Option<u32> {
    let b = p.get(at..at + 4)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn u64_at(p: &[u8], at: usize) -> Option<u64> {
    let lo = u64::from(u32_at(p, at)?);
    let hi = u64::from(u32_at(p, at + 4)?);
    Some(lo | (hi << 32))
}

/// Encodes a dictionary entry: `u8 version, u32 crc, u32 id, u32 df, u32 max_tf, u32 min_dl`.
pub fn encode_term(t: &TermEntry) -> Vec<u8> {
    let mut v = vec![0u8; HEADER];
    for x in [t.id, t.df, t.max_tf, t.min_dl] {
        v.extend_from_slice(&x.to_le_bytes());
    }
    seal(v, TERM_VERSION)
}

/// Decodes a dictionary entry of `term`.
pub fn decode_term(term: &str, bytes: &[u8]) -> Result<TermEntry> {
    let what = || format!("lex_terms[{term:?}]");
    let p = open(bytes, TERM_VERSION, &what)?;
    let field =
        |i: usize| u32_at(p, 4 * i).ok_or_else(|| corrupt(format!("{}: truncated", what())));
    Ok(TermEntry {
        id: field(0)?,
        df: field(1)?,
        max_tf: field(2)?,
        min_dl: field(3)?,
    })
}

/// Encodes the statistics: `u8 version, u32 crc, u64 doc_count, u64 total_len, u32 next_term_id`.
pub fn encode_stats(s: &StatsRecord) -> Vec<u8> {
    let mut v = vec![0u8; HEADER];
    v.extend_from_slice(&s.doc_count.to_le_bytes());
    v.extend_from_slice(&s.total_len.to_le_bytes());
    v.extend_from_slice(&s.next_term_id.to_le_bytes());
    seal(v, STATS_VERSION)
}

/// Decodes the statistics record.
pub fn decode_stats(bytes: &[u8]) -> Result<StatsRecord> {
    let what = || "lex_stats".to_string();
    let p = open(bytes, STATS_VERSION, &what)?;
    let bad = || corrupt("lex_stats: truncated".into());
    Ok(StatsRecord {
        doc_count: u64_at(p, 0).ok_or_else(bad)?,
        total_len: u64_at(p, 8).ok_or_else(bad)?,
        next_term_id: u32_at(p, 16).ok_or_else(bad)?,
    })
}

/// Encodes a block under key `key` (≤ its first doc):
/// `u8 version, u32 crc, u16 count, u32 last doc, u32 max tf, u32 min dl`, then per posting
/// LEB128 varints (doc − previous doc, or − key for the first; tf; dl).
pub fn encode_block(key: u32, b: &Block) -> Vec<u8> {
    let mut v = Vec::with_capacity(HEADER + 14 + 6 * b.len());
    v.resize(HEADER, 0);
    let count = u16::try_from(b.len()).unwrap_or(u16::MAX);
    v.extend_from_slice(&count.to_le_bytes());
    v.extend_from_slice(&b.last_doc().unwrap_or(key).to_le_bytes());
    v.extend_from_slice(&b.tfs.iter().copied().max().unwrap_or(0).to_le_bytes());
    v.extend_from_slice(&b.dls.iter().copied().min().unwrap_or(0).to_le_bytes());
    let mut prev = key;
    for ((&d, &tf), &dl) in b.docs.iter().zip(&b.tfs).zip(&b.dls) {
        put_varint(&mut v, d.wrapping_sub(prev));
        put_varint(&mut v, tf);
        put_varint(&mut v, dl);
        prev = d;
    }
    seal(v, BLOCK_VERSION)
}

/// The fixed header of a block, readable without decoding postings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockHeader {
    /// Number of postings.
    pub count: u16,
    /// Largest doc in the block.
    pub last_doc: u32,
    /// Largest tf in the block.
    pub max_tf: u32,
    /// Smallest document length in the block.
    pub min_dl: u32,
}

/// Decodes block `(term_id, key)` into `out` (cleared first) and returns its header. Checks the
/// crc, that docs strictly increase from `key`, that the count and last doc match, and that every
/// posting has tf ≥ 1 and dl ≥ tf.
pub fn decode_block(term_id: u32, key: u32, bytes: &[u8], out: &mut Block) -> Result<BlockHeader> {
    let what = || format!("lex_postings[({term_id}, {key})]");
    let p = open(bytes, BLOCK_VERSION, &what)?;
    let bad = |m: &str| corrupt(format!("{}: {m}", what()));
    let count = p
        .get(0..2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .ok_or_else(|| bad("truncated header"))?;
    let h = BlockHeader {
        count,
        last_doc: u32_at(p, 2).ok_or_else(|| bad("truncated header"))?,
        max_tf: u32_at(p, 6).ok_or_else(|| bad("truncated header"))?,
        min_dl: u32_at(p, 10).ok_or_else(|| bad("truncated header"))?,
    };
    if count == 0 || usize::from(count) > MAX_BLOCK * 2 {
        return Err(bad("bad posting count"));
    }
    // One allocation per array (a fresh block grown push by push reallocated each array six
    // times); `count` is at most 2 * MAX_BLOCK, so a damaged count cannot ask for much.
    for v in [&mut out.docs, &mut out.tfs, &mut out.dls] {
        v.clear();
        v.reserve(usize::from(count));
    }
    let mut r = Reader { p, at: 14 };
    let mut doc = key;
    for i in 0..count {
        let delta = r.varint().ok_or_else(|| bad("truncated posting"))?;
        if i > 0 && delta == 0 {
            return Err(bad("docs not increasing"));
        }
        doc = doc.checked_add(delta).ok_or_else(|| bad("doc overflow"))?;
        let tf = r.varint().ok_or_else(|| bad("truncated posting"))?;
        let dl = r.varint().ok_or_else(|| bad("truncated posting"))?;
        if tf == 0 || dl < tf || tf > h.max_tf || dl < h.min_dl {
            return Err(bad("posting outside the header's bounds"));
        }
        out.docs.push(doc);
        out.tfs.push(tf);
        out.dls.push(dl);
    }
    if r.at != p.len() || doc != h.last_doc {
        return Err(bad("length or last doc does not match the postings"));
    }
    Ok(h)
}

/// Reads just the header of a block, without the crc check (done when the block is decoded):
/// the query skips blocks by their header without paying for their postings.
pub fn peek_header(term_id: u32, key: u32, bytes: &[u8]) -> Result<BlockHeader> {
    let bad = || corrupt(format!("lex_postings[({term_id}, {key})]: bad header"));
    if bytes.first() != Some(&BLOCK_VERSION) {
        return Err(bad());
    }
    let p = bytes.get(HEADER..).ok_or_else(bad)?;
    Ok(BlockHeader {
        count: p
            .get(0..2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .ok_or_else(bad)?,
        last_doc: u32_at(p, 2).ok_or_else(bad)?,
        max_tf: u32_at(p, 6).ok_or_else(bad)?,
        min_dl: u32_at(p, 10).ok_or_else(bad)?,
    })
}

fn put_varint(v: &mut Vec<u8>, mut x: u32) {
    while x >= 0x80 {
        v.push((x as u8) | 0x80);
        x >>= 7;
    }
    v.push(x as u8);
}

struct Reader<'a> {
    p: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    /// LEB128 u32; None when truncated or longer than 5 bytes.
    fn varint(&mut self) -> Option<u32> {
        let mut x: u32 = 0;
        for shift in (0..35).step_by(7) {
            let b = *self.p.get(self.at)?;
            self.at += 1;
            x |= u32::from(b & 0x7f).checked_shl(shift)?;
            if b & 0x80 == 0 {
                return Some(x);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_round_trip_and_corruption() {
        let b = Block {
            docs: vec![5, 6, 300, 70_000],
            tfs: vec![1, 2, 1, 9],
            dls: vec![3, 10, 1, 200],
        };
        let bytes = encode_block(4, &b);
        let mut out = Block::default();
        let h = decode_block(1, 4, &bytes, &mut out).expect("decodes");
        assert_eq!(out, b);
        assert_eq!((h.count, h.last_doc, h.max_tf, h.min_dl), (4, 70_000, 9, 1));
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x40;
            assert!(decode_block(1, 4, &bad, &mut out).is_err(), "flip at {i}");
        }
        assert!(decode_block(1, 4, &bytes[..bytes.len() - 1], &mut out).is_err());
    }

    #[test]
    fn term_and_stats_round_trip() {
        let t = TermEntry {
            id: 7,
            df: 3,
            max_tf: 4,
            min_dl: 2,
        };
        assert_eq!(decode_term("x", &encode_term(&t)).ok(), Some(t));
        let s = StatsRecord {
            doc_count: 1 << 40,
            total_len: 12,
            next_term_id: 9,
        };
        assert_eq!(decode_stats(&encode_stats(&s)).ok(), Some(s));
        assert!(decode_stats(&[1, 0, 0]).is_err());
    }
}
