//! Decoded postings blocks, shared by the lexical queries of the process.
//!
//! A filtered query decodes one block per term for each document of the filter it visits
//! (LEB128 postings, crc checked): for a scope of thousands of memories that is thousands of
//! decodes, most of them of blocks the previous query decoded too. The cache keeps decoded
//! blocks keyed by `(term id, block key)` together with the block's stored bytes; a hit is
//! taken only when the stored bytes are still the same bytes (a block rewritten since, in this
//! database or in another one open in the process, is decoded again), so a cached block is
//! exactly what decoding the current bytes gives. Bounded: 16 shards sharing
//! [`DEFAULT_BLOCK_CACHE_BYTES`] (see [`set_block_cache_bytes`]), each evicting in CLOCK order
//! ([`crate::clock_cache`]) so the blocks of the frequent words, which nearly every filtered
//! query visits, stay while the rarely visited ones go. (Emptying a full 2 MiB shard instead,
//! 32 MiB in all, dropped the hot blocks along with the cold: the 1M harness's context window
//! measured p95 5.5 ms with that, 4.1 with 128 MiB emptied likewise, 3.5–3.8 with CLOCK and
//! 64 MiB.)
//!
//! Only queries restricted to at most [`MAX_CACHED_FILTER`] documents (a user's, a session's
//! memories) go through the cache: an unfiltered or database-wide query walks whole postings
//! lists, blocks that no later query is likely to visit again before they are evicted, and
//! copying each into the cache (and emptying full shards) made a global hybrid search at 1M
//! slower (p95 2.8-3.6 -> 4.5 ms) for no hit.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use super::format::{self, Block, BlockHeader};
use crate::clock_cache::ClockCache;
use crate::error::Result;

/// Largest filter whose queries decode through the cache.
pub(crate) const MAX_CACHED_FILTER: u64 = 100_000;

/// Whether a query restricted to `len` documents decodes through the cache.
pub(crate) fn worth_caching(len: u64) -> bool {
    len <= MAX_CACHED_FILTER
}

const SHARDS: usize = 16;

/// The cache's default budget: 64 MiB.
pub const DEFAULT_BLOCK_CACHE_BYTES: usize = 64 << 20;

static BUDGET: AtomicUsize = AtomicUsize::new(DEFAULT_BLOCK_CACHE_BYTES);

/// Sets the budget of the process-wide cache of decoded postings blocks (shared by every
/// database open in the process); 0 turns it off. What it holds beyond a smaller budget is
/// evicted as blocks are added.
pub fn set_block_cache_bytes(bytes: usize) {
    BUDGET.store(bytes, Ordering::Relaxed);
    if bytes == 0 {
        for shard in shards() {
            if let Ok(mut s) = shard.lock() {
                s.clear();
            }
        }
    }
}

/// The budget set by [`set_block_cache_bytes`].
pub fn block_cache_bytes() -> usize {
    BUDGET.load(Ordering::Relaxed)
}

/// Bytes the cache holds now.
pub fn block_cache_usage() -> usize {
    shards()
        .iter()
        .filter_map(|s| s.lock().ok().map(|s| s.bytes()))
        .sum()
}

struct Entry {
    raw: Box<[u8]>,
    header: BlockHeader,
    block: Arc<Block>,
}

impl Entry {
    fn bytes(&self) -> usize {
        self.raw.len() + self.block.docs.len() * 12 + 128
    }
}

type Shard = ClockCache<Arc<Entry>>;

fn shards() -> &'static [Mutex<Shard>] {
    static SHARDS_: OnceLock<Vec<Mutex<Shard>>> = OnceLock::new();
    SHARDS_.get_or_init(|| (0..SHARDS).map(|_| Mutex::default()).collect())
}

fn shard_of(k: u64) -> &'static Mutex<Shard> {
    let h = k.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let all = shards();
    &all[(h >> 59) as usize % all.len()]
}

/// [`format::decode_block`] through the cache: the header and postings of the block
/// `(term_id, key)` whose stored bytes are `bytes`.
pub(crate) fn decode_block(
    term_id: u32,
    key: u32,
    bytes: &[u8],
) -> Result<(BlockHeader, Arc<Block>)> {
    let budget = block_cache_bytes() / SHARDS;
    if budget == 0 {
        let mut block = Block::default();
        let header = format::decode_block(term_id, key, bytes, &mut block)?;
        return Ok((header, Arc::new(block)));
    }
    let k = u64::from(term_id) << 32 | u64::from(key);
    let shard = shard_of(k);
    let found = shard.lock().ok().and_then(|mut s| s.get(k).cloned());
    if let Some(e) = found.filter(|e| *e.raw == *bytes) {
        return Ok((e.header, e.block.clone()));
    }
    let mut block = Block::default();
    let header = format::decode_block(term_id, key, bytes, &mut block)?;
    let block = Arc::new(block);
    let e = Arc::new(Entry {
        raw: bytes.into(),
        header,
        block: block.clone(),
    });
    if let Ok(mut s) = shard.lock() {
        // Read again under the lock: a cache turned off meanwhile (and emptied) stays empty.
        let budget = block_cache_bytes() / SHARDS;
        if budget > 0 {
            let size = e.bytes();
            s.insert(k, e, size, budget);
        }
    }
    Ok((header, block))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(docs: &[u32]) -> Block {
        Block {
            docs: docs.to_vec(),
            tfs: vec![1; docs.len()],
            dls: vec![5; docs.len()],
        }
    }

    #[test]
    fn a_rewritten_block_is_decoded_again_and_bad_bytes_are_refused() {
        // A term id no other test uses, so the shared cache holds nothing for it.
        let (term, key) = (0xC0FF_EE00, 10);
        let first = format::encode_block(key, &block(&[10, 12]));
        let (_, a) = decode_block(term, key, &first).unwrap();
        assert_eq!(a.docs, [10, 12]);
        // The same bytes again: the cached block.
        let (_, again) = decode_block(term, key, &first).unwrap();
        assert!(Arc::ptr_eq(&a, &again));
        // The block rewritten (a posting appended): decoded from its new bytes.
        let second = format::encode_block(key, &block(&[10, 12, 17]));
        let (h, b) = decode_block(term, key, &second).unwrap();
        assert_eq!((b.docs.as_slice(), h.last_doc), (&[10, 12, 17][..], 17));
        // Corrupt bytes under a cached key are checked, not served from the cache.
        let mut bad = second.clone();
        let last = bad.len() - 1;
        bad[last] ^= 0x40;
        assert!(decode_block(term, key, &bad).is_err());
    }
}
