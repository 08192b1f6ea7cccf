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
    /// `[vectors, codes, slots, int8]` views, each covering at least `len` slots.
    views: [View; 4],
    /// Slots `< len` holding a vector.
    present: RoaringBitmap,
}

impl Snapshot {
    pub(crate) fn empty(dim: u32) -> Snapshot {
        Snapshot::new(dim, 0, Default::default(), RoaringBitmap::new())
    }

    pub(crate) fn new(dim: u32, len: u32, views: [View; 4], present: RoaringBitmap) -> Snapshot {
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

    /// Maps every page of the snapshot's files into this process's page tables, reading
    /// from disk what is not cached, so the first searches after open do not pay a minor
    /// page fault per page they touch. Blocks (≈ 0.1–0.3 s per million 384-d vectors when
    /// cached; disk speed otherwise): the engine runs it on a background thread at open.
    /// Best effort: does nothing where the kernel cannot (before Linux 5.14, other systems).
    pub fn prefault(&self) {
        for view in &self.inner.views {
            view.prefault();
        }
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

    /// The int8 record of a visible slot: `(scale, error bound, codes)` (see
    /// `format::int8_record`; the codes are `i8` stored as bytes).
    pub(crate) fn int8(&self, slot: u32) -> Option<(f32, f32, &[u8])> {
        format::split_int8(self.int8_record(slot)?, self.inner.dim)
    }

    /// The raw int8 record of `slot` (`f32 scale, f32 error, dim × i8`, padded to
    /// [`Snapshot::int8_stride`] bytes), if the slot is published.
    pub(crate) fn int8_record(&self, slot: u32) -> Option<&[u8]> {
        if slot >= self.inner.len {
            return None;
        }
        slot_bytes(&self.inner.views[3], slot, self.int8_stride())
    }

    /// The scale, error bound and codes of an int8 record copied out of this arena.
    #[inline]
    pub(crate) fn decode_int8<'a>(&self, rec: &'a [u8]) -> Option<(f32, f32, &'a [u8])> {
        format::split_int8(rec, self.inner.dim)
    }

    /// Bytes of one int8 record.
    pub(crate) fn int8_stride(&self) -> usize {
        format::int8_stride(self.inner.dim)
    }

    /// Prefetch hint for the int8 record of `slot` (see [`crate::kernels::prefetch`]).
    #[inline]
    pub(crate) fn prefetch_int8(&self, slot: u32) {
        let stride = format::int8_stride(self.inner.dim);
        if let Some(rec) = slot_bytes(&self.inner.views[3], slot, stride) {
            crate::kernels::prefetch(rec);
        }
    }

    /// Prefetch hint for the sign code of `slot`.
    #[inline]
    pub(crate) fn prefetch_code(&self, slot: u32) {
        let stride = self.inner.code_words * 8;
        if let Some(rec) = slot_bytes(&self.inner.views[1], slot, stride) {
            crate::kernels::prefetch(rec);
        }
    }

    /// Prefetch hint for the f32 vector of `slot` (a hint: nothing happens for a slot the
    /// arena does not hold).
    #[inline]
    pub fn prefetch_vector(&self, slot: u32) {
        let stride = self.inner.dim as usize * 4;
        if let Some(rec) = slot_bytes(&self.inner.views[0], slot, stride) {
            crate::kernels::prefetch(rec);
        }
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
        present == i.present.contains(slot)
            && format::slot_crc(slot, flags, vec, code) == crc
            && self.int8_ok(slot, present, vec)
    }

    /// The int8 record of `slot` is the one its vector bytes give.
    fn int8_ok(&self, slot: u32, present: bool, vec: &[u8]) -> bool {
        let stride = format::int8_stride(self.inner.dim);
        let Some(rec) = slot_bytes(&self.inner.views[3], slot, stride) else {
            return false;
        };
        let v: Vec<f32> = vec
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let mut want = vec![0u8; stride];
        format::int8_record(present.then_some(&v[..]), &mut want);
        rec == want.as_slice()
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
