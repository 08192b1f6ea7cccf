//! Read-only snapshots of the arena: cheap to clone, `Send + Sync`, unaffected by later pushes.

use std::ops::Range;
use std::sync::Arc;

use roaring::RoaringBitmap;

use super::format::{self, FileKind, HEADER_LEN, SLOT_RECORD_LEN};
use super::mmap::View;
use crate::error::{Error, Result};

/// Bad slots `verify` names at most.
const MAX_REPORTED: usize = 64;

/// A consistent read view of the first `len()` slots. Holding one keeps its maps alive; later
/// appends, publishes and rebuilds never change what it sees (see `arena/mmap.rs`).
#[derive(Debug, Clone)]
pub struct Snapshot {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    dim: u32,
    code_words: usize,
    len: u32,
    /// `[vectors, codes, slots]` views, each covering at least `len` slots.
    views: [View; 3],
    /// Slots `< len` holding a vector.
    present: RoaringBitmap,
}

impl Snapshot {
    pub(crate) fn empty(dim: u32) -> Snapshot {
        Snapshot::new(dim, 0, Default::default(), RoaringBitmap::new())
    }

    pub(crate) fn new(dim: u32, len: u32, views: [View; 3], present: RoaringBitmap) -> Snapshot {
        Snapshot {
            inner: Arc::new(Inner {
                dim,
                code_words: format::code_words(dim),
                len,
                views,
                present,
            }),
        }
    }

    /// The vector dimension.
    pub fn dim(&self) -> u32 {
        self.inner.dim
    }

    /// Number of slots visible (including empty ones and the reserved slot 0).
    pub fn len(&self) -> u32 {
        self.inner.len
    }

    /// True when no slot is visible.
    pub fn is_empty(&self) -> bool {
        self.inner.len == 0
    }

    /// Slots holding a vector.
    pub fn present(&self) -> &RoaringBitmap {
        &self.inner.present
    }

    /// The vector in `slot`, or `None` for an empty or unknown slot.
    pub fn vector(&self, slot: u32) -> Option<&[f32]> {
        if !self.inner.present.contains(slot) {
            return None;
        }
        self.vector_unchecked(slot)
    }

    /// The vector bytes of any visible slot (zeros for an empty one).
    pub(crate) fn vector_unchecked(&self, slot: u32) -> Option<&[f32]> {
        if slot >= self.inner.len {
            return None;
        }
        let dim = self.inner.dim as usize;
        let offset = HEADER_LEN as usize + slot as usize * dim * 4;
        self.inner.views[0].f32s(offset, dim)
    }

    /// Words of one sign code.
    pub(crate) fn code_words(&self) -> usize {
        self.inner.code_words
    }

    /// The sign codes of slots `first..=last`, consecutive.
    pub(crate) fn codes(&self, first: u32, last: u32) -> Option<&[u64]> {
        if last >= self.inner.len || first > last {
            return None;
        }
        let w = self.inner.code_words;
        let offset = HEADER_LEN as usize + first as usize * w * 8;
        self.inner.views[1].u64s(offset, (last - first + 1) as usize * w)
    }

    /// Checks every visible slot against its crc32: `Err(ChecksumMismatch)` names up to 64 bad
    /// slots. Reads every byte of the arena.
    pub fn verify(&self) -> Result<()> {
        let bad = self.bad_slots(0..self.inner.len, MAX_REPORTED);
        if bad.is_empty() {
            Ok(())
        } else {
            Err(Error::ChecksumMismatch { slots: bad })
        }
    }

    /// Up to `limit` slots in `range` whose bytes, flags or presence disagree with their crc.
    pub(crate) fn bad_slots(&self, range: Range<u32>, limit: usize) -> Vec<u32> {
        let mut bad = Vec::new();
        for slot in range {
            if bad.len() >= limit {
                break;
            }
            if !self.slot_ok(slot) {
                bad.push(slot);
            }
        }
        bad
    }

    fn slot_ok(&self, slot: u32) -> bool {
        let i = &self.inner;
        let rec_at = HEADER_LEN as usize + slot as usize * SLOT_RECORD_LEN as usize;
        let Some(rec) = i.views[2].bytes().get(rec_at..rec_at + 8) else {
            return false;
        };
        let (flags, crc) = (
            format::le_u32(rec),
            format::le_u32(rec.get(4..).unwrap_or(&[])),
        );
        let vstride = FileKind::Vectors.stride(i.dim) as usize;
        let cstride = FileKind::Codes.stride(i.dim) as usize;
        let (Some(vec), Some(code)) = (
            slot_bytes(&i.views[0], slot, vstride),
            slot_bytes(&i.views[1], slot, cstride),
        ) else {
            return false;
        };
        let present = flags & format::FLAG_PRESENT != 0;
        present == i.present.contains(slot) && format::slot_crc(slot, flags, vec, code) == crc
    }
}

fn slot_bytes(view: &View, slot: u32, stride: usize) -> Option<&[u8]> {
    let start = HEADER_LEN as usize + slot as usize * stride;
    view.bytes().get(start..start + stride)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_are_send_and_sync() {
        fn check<T: Send + Sync + Clone>() {}
        check::<Snapshot>();
    }
}
