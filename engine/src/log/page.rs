//! Sealed log pages: a batch of events, zstd-compressed, crc32-checked.
//!
//! Layout of a page (value of `log_pages`, key = first seq), little-endian:
//! ```text
//! 0..4    magic b"MSLP"
//! 4       u8  page format version (PAGE_VERSION)
//! 5       u8  flags: bit 0 = events section is zstd-compressed
//! 6..8    u16 reserved, 0
//! 8..12   u32 event count
//! 12..20  u64 first seq
//! 20..28  u64 last seq
//! 28..36  u64 min timestamp (µs)
//! 36..44  u64 max timestamp (µs)
//! 44..48  u32 events section length (as stored)
//! 48..52  u32 events section length uncompressed (bounds decompression)
//! 52..56  u32 vectors section length
//! 56..60  u32 crc32 of bytes 0..56 followed by everything after byte 60
//! 60..    events section: postcard(Vec<LogRecord>) with vectors taken out
//!         vectors section: per vector: u32 index in page, u32 dim, dim × f32
//! ```
//! Vectors are kept out of the compressed section: f32 noise does not compress, and queries over
//! events (recent, by type) then never touch them.

use crate::error::{Error, Result};
use crate::log::LogRecord;

const MAGIC: &[u8; 4] = b"MSLP";
/// Version of the page format.
pub(crate) const PAGE_VERSION: u8 = 1;
const FLAG_ZSTD: u8 = 1;
/// Set on pages the compactor rewrote as cold pages (merged, higher zstd level): it leaves them be.
const FLAG_COLD: u8 = 2;
/// Set on cold pages holding no event a log retention may drop (agent and compaction events).
const FLAG_CLEAN: u8 = 4;
const HEADER: usize = 60;
/// Bound on a page's decompressed events section.
const MAX_RAW: usize = 64 * 1024 * 1024;

/// The fixed part of a page, also mirrored in the page index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageHeader {
    /// Number of events.
    pub count: u32,
    /// Seq of the first event.
    pub first_seq: u64,
    /// Seq of the last event.
    pub last_seq: u64,
    /// Earliest timestamp.
    pub min_ts: u64,
    /// Latest timestamp.
    pub max_ts: u64,
}

/// Builds a sealed page from events in seq order (at least one). The records' vectors are moved
/// into the page's vectors section (the records are left without them).
pub(crate) fn encode(records: &mut [LogRecord], level: i32) -> Result<(PageHeader, Vec<u8>)> {
    encode_page(records, level, FLAG_ZSTD)
}

/// [`encode`] for the compactor's cold pages (flagged so later passes skip them); `clean`: no
/// event in it is one a log retention may drop.
pub(crate) fn encode_cold(
    records: &mut [LogRecord],
    level: i32,
    clean: bool,
) -> Result<(PageHeader, Vec<u8>)> {
    let flags = FLAG_ZSTD | FLAG_COLD | if clean { FLAG_CLEAN } else { 0 };
    encode_page(records, level, flags)
}

/// `None` for a hot page; for a cold page (rewritten by the compactor) whether it is clean
/// (flags only; not verified).
pub(crate) fn cold_state(page: &[u8]) -> Option<bool> {
    let f = page.get(5).copied().unwrap_or(0);
    (f & FLAG_COLD != 0).then_some(f & FLAG_CLEAN != 0)
}

fn encode_page(records: &mut [LogRecord], level: i32, flags: u8) -> Result<(PageHeader, Vec<u8>)> {
    let mut vectors = Vec::new();
    for (i, r) in records.iter_mut().enumerate() {
        if let Some(v) = r.body.take_vector() {
            vectors.extend_from_slice(&(i as u32).to_le_bytes());
            vectors.extend_from_slice(&(v.len() as u32).to_le_bytes());
            for x in v {
                vectors.extend_from_slice(&x.to_le_bytes());
            }
        }
    }
    let (first, last) = match (records.first(), records.last()) {
        (Some(f), Some(l)) => (f, l),
        _ => return Err(Error::corrupt("log page", "cannot seal an empty page")),
    };
    let raw = postcard::to_allocvec(&*records)?;
    let events = zstd::bulk::compress(&raw, level)?;
    let header = PageHeader {
        count: records.len() as u32,
        first_seq: first.seq,
        last_seq: last.seq,
        min_ts: records.iter().map(|r| r.ts).min().unwrap_or(first.ts),
        max_ts: records.iter().map(|r| r.ts).max().unwrap_or(last.ts),
    };
    let mut out = Vec::with_capacity(HEADER + events.len() + vectors.len());
    out.extend_from_slice(MAGIC);
    out.push(PAGE_VERSION);
    out.push(flags);
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&header.count.to_le_bytes());
    out.extend_from_slice(&header.first_seq.to_le_bytes());
    out.extend_from_slice(&header.last_seq.to_le_bytes());
    out.extend_from_slice(&header.min_ts.to_le_bytes());
    out.extend_from_slice(&header.max_ts.to_le_bytes());
    out.extend_from_slice(&(events.len() as u32).to_le_bytes());
    out.extend_from_slice(&(raw.len() as u32).to_le_bytes());
    out.extend_from_slice(&(vectors.len() as u32).to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&events);
    out.extend_from_slice(&vectors);
    let crc = page_crc(&out);
    out[56..60].copy_from_slice(&crc.to_le_bytes());
    Ok((header, out))
}

fn page_crc(page: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(page.get(..56).unwrap_or_default());
    h.update(page.get(HEADER..).unwrap_or_default());
    h.finalize()
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut x = [0u8; 4];
    if let Some(s) = b.get(at..at + 4) {
        x.copy_from_slice(s);
    }
    u32::from_le_bytes(x)
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut x = [0u8; 8];
    if let Some(s) = b.get(at..at + 8) {
        x.copy_from_slice(s);
    }
    u64::from_le_bytes(x)
}

/// A checked view of a page's sections.
struct Sections<'a> {
    header: PageHeader,
    compressed: bool,
    events: &'a [u8],
    raw_len: usize,
    vectors: &'a [u8],
}

fn check(page: &[u8]) -> Result<Sections<'_>> {
    let bad = |d: &str| Error::corrupt("log page", d.to_owned());
    if page.len() < HEADER || page.get(..4) != Some(MAGIC.as_slice()) {
        return Err(bad("bad magic or short page"));
    }
    let version = page.get(4).copied().unwrap_or(0);
    if version != PAGE_VERSION {
        return Err(Error::UnsupportedFormat {
            found: u32::from(version),
            supported: u32::from(PAGE_VERSION),
        });
    }
    let flags = page.get(5).copied().unwrap_or(0);
    let stored = u32_at(page, 56);
    let computed = page_crc(page);
    let header = PageHeader {
        count: u32_at(page, 8),
        first_seq: u64_at(page, 12),
        last_seq: u64_at(page, 20),
        min_ts: u64_at(page, 28),
        max_ts: u64_at(page, 36),
    };
    if stored != computed {
        return Err(Error::ChecksumMismatch {
            what: format!("log page {}", header.first_seq),
            stored,
            computed,
        });
    }
    let ev_len = u32_at(page, 44) as usize;
    let raw_len = u32_at(page, 48) as usize;
    let vec_len = u32_at(page, 52) as usize;
    if HEADER + ev_len + vec_len != page.len() || raw_len > MAX_RAW {
        return Err(bad("section lengths do not add up"));
    }
    Ok(Sections {
        header,
        compressed: flags & FLAG_ZSTD != 0,
        events: page.get(HEADER..HEADER + ev_len).unwrap_or_default(),
        raw_len,
        vectors: page.get(HEADER + ev_len..).unwrap_or_default(),
    })
}

/// The crc stored in a page's header (not verified: a cache key).
pub(crate) fn stored_crc(page: &[u8]) -> u32 {
    u32_at(page, 56)
}

/// Reads only the header (after verifying the checksum).
pub fn decode_header(page: &[u8]) -> Result<PageHeader> {
    Ok(check(page)?.header)
}

/// Decodes a page's events; with `with_vectors` the vectors are put back into their events.
pub fn decode(page: &[u8], with_vectors: bool) -> Result<Vec<LogRecord>> {
    let s = check(page)?;
    let raw;
    let events_bytes = if s.compressed {
        raw = zstd::bulk::decompress(s.events, s.raw_len)
            .map_err(|e| Error::corrupt("log page", e.to_string()))?;
        raw.as_slice()
    } else {
        s.events
    };
    let mut records: Vec<LogRecord> = postcard::from_bytes(events_bytes)
        .map_err(|e| Error::corrupt("log page", e.to_string()))?;
    if records.len() != s.header.count as usize {
        return Err(Error::corrupt(
            "log page",
            "event count does not match header",
        ));
    }
    if with_vectors {
        attach_vectors(&mut records, s.vectors)?;
    }
    Ok(records)
}

fn attach_vectors(records: &mut [LogRecord], mut v: &[u8]) -> Result<()> {
    let bad = || Error::corrupt("log page", "malformed vectors section");
    while !v.is_empty() {
        let idx = u32_at(v, 0) as usize;
        let dim = u32_at(v, 4) as usize;
        let bytes = dim.checked_mul(4).ok_or_else(bad)?;
        let body = v.get(8..8 + bytes).ok_or_else(bad)?;
        let vector = body
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        records
            .get_mut(idx)
            .ok_or_else(bad)?
            .body
            .put_vector(vector);
        v = v.get(8 + bytes..).unwrap_or_default();
    }
    Ok(())
}
