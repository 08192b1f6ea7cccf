//! Byte layout of the arena files (see docs/design.md, "Vector arena").

use std::path::Path;

use crate::error::{Error, RebuildReason, Result};

/// Format version written by this build; a file with another version needs a rebuild.
pub(crate) const FORMAT_VERSION: u32 = 1;
/// Every file starts with a header of this many bytes (keeps slot data 64-byte aligned).
pub(crate) const HEADER_LEN: u64 = 64;
/// Bytes per slot record in the slot file: `u32 flags, u32 crc32`.
pub(crate) const SLOT_RECORD_LEN: u64 = 8;
/// Slot flag: the slot holds a vector (otherwise it is an empty slot of zeros).
pub(crate) const FLAG_PRESENT: u32 = 1;
/// Largest supported dimension (keeps strides and Hamming distances small).
pub(crate) const MAX_DIM: u32 = 16_384;

/// The four files of an arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    /// `dim × f32` per slot.
    Vectors,
    /// 1-bit sign codes, `ceil(dim / 64) × u64` per slot.
    Codes,
    /// Per-slot `flags + crc32`.
    Slots,
    /// int8 codes with their scale and error bound (see [`int8_record`]); derived from the
    /// vectors file and regenerated from it when missing, so it is not covered by the crc.
    Int8,
}

impl FileKind {
    /// The four kinds, in the order the arena keeps them (the derived `Int8` last).
    pub(crate) const ALL: [FileKind; 4] = [
        FileKind::Vectors,
        FileKind::Codes,
        FileKind::Slots,
        FileKind::Int8,
    ];

    /// File name inside the database directory.
    pub(crate) fn file_name(self) -> &'static str {
        match self {
            FileKind::Vectors => "arena.f32",
            FileKind::Codes => "arena.sign",
            FileKind::Slots => "arena.slots",
            FileKind::Int8 => "arena.i8",
        }
    }

    fn magic(self) -> [u8; 8] {
        match self {
            FileKind::Vectors => *b"MSARF32\0",
            FileKind::Codes => *b"MSARSGN\0",
            FileKind::Slots => *b"MSARSLT\0",
            FileKind::Int8 => *b"MSARI8\0\0",
        }
    }

    /// Bytes per slot in this file for dimension `dim`.
    pub(crate) fn stride(self, dim: u32) -> u64 {
        match self {
            FileKind::Vectors => u64::from(dim) * 4,
            FileKind::Codes => code_words(dim) as u64 * 8,
            FileKind::Slots => SLOT_RECORD_LEN,
            FileKind::Int8 => int8_stride(dim) as u64,
        }
    }
}

/// Bytes of one int8 record: `f32 scale, f32 error bound, dim × i8`, padded to 8 bytes.
pub(crate) fn int8_stride(dim: u32) -> usize {
    (INT8_HEADER + dim as usize).div_ceil(8) * 8
}

/// The scale, the error bound and the codes of an int8 record (`None` if it is too short).
#[inline]
pub(crate) fn split_int8(rec: &[u8], dim: u32) -> Option<(f32, f32, &[u8])> {
    let f = |b: &[u8]| f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    let head = rec.get(..INT8_HEADER)?;
    let codes = rec.get(INT8_HEADER..INT8_HEADER + dim as usize)?;
    Some((f(head), f(&head[4..]), codes))
}

/// Bytes before the codes in an int8 record.
pub(crate) const INT8_HEADER: usize = 8;

/// Encodes the int8 record of `v` (empty slot: `None`, all zeros) into `out`
/// (`int8_stride(dim)` bytes).
///
/// `scale = max |v_i| / 127`, `c_i = round(v_i / scale)`, and `error` bounds the distance
/// between `v` and its reconstruction `scale · c` from above: `‖v − scale·c‖₂ ≤ error`. So for
/// any query `q`, `|q·v − scale·(q·c)| ≤ ‖q‖·error` (Cauchy–Schwarz), which is what makes the
/// filtered int8 scan exact after rescoring (see `vector.rs`). The error is computed in f64 and
/// rounded up, so float rounding cannot make the bound too small.
pub(crate) fn int8_record(v: Option<&[f32]>, out: &mut [u8]) {
    out.iter_mut().for_each(|b| *b = 0);
    let Some(v) = v else { return };
    let max = v.iter().fold(0f32, |m, x| m.max(x.abs()));
    if max == 0.0 || !max.is_finite() {
        // A zero vector: scale 0, codes 0, error = its norm (0).
        return;
    }
    let scale = max / 127.0;
    let mut err2 = 0f64;
    let (head, codes) = out.split_at_mut(INT8_HEADER);
    for (x, c) in v.iter().zip(codes.iter_mut()) {
        let q = (x / scale).round().clamp(-127.0, 127.0);
        *c = (q as i8) as u8;
        let d = f64::from(*x) - f64::from(scale) * f64::from(q);
        err2 += d * d;
    }
    let err = (err2.sqrt() * (1.0 + 1e-6)) as f32;
    head[0..4].copy_from_slice(&scale.to_le_bytes());
    head[4..8].copy_from_slice(&err.next_up().to_le_bytes());
}

/// u64 words in one sign code.
pub(crate) fn code_words(dim: u32) -> usize {
    (dim as usize).div_ceil(64)
}

/// The decoded fields of a file header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) dim: u32,
    /// Random id shared by the four files of one arena.
    pub(crate) arena_id: u64,
}

/// Encodes the 64-byte header of `kind`.
///
/// ```text
/// 0..8   magic ("MSARF32\0" | "MSARSGN\0" | "MSARSLT\0")
/// 8..12  u32 format version      12..16 u32 dimension
/// 16..20 u32 slot stride (bytes) 20..24 u32 header length (64)
/// 24..32 u64 arena id            32..60 zero
/// 60..64 u32 crc32 of bytes 0..60
/// ```
pub(crate) fn encode_header(kind: FileKind, h: Header) -> [u8; HEADER_LEN as usize] {
    let mut b = [0u8; HEADER_LEN as usize];
    b[0..8].copy_from_slice(&kind.magic());
    b[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    b[12..16].copy_from_slice(&h.dim.to_le_bytes());
    b[16..20].copy_from_slice(&(kind.stride(h.dim) as u32).to_le_bytes());
    b[20..24].copy_from_slice(&(HEADER_LEN as u32).to_le_bytes());
    b[24..32].copy_from_slice(&h.arena_id.to_le_bytes());
    let crc = crc32fast::hash(&b[0..60]);
    b[60..64].copy_from_slice(&crc.to_le_bytes());
    b
}

/// Decodes and checks a header read from `path`; `expected_dim` is the database's dimension.
pub(crate) fn decode_header(
    kind: FileKind,
    b: &[u8; HEADER_LEN as usize],
    path: &Path,
    expected_dim: u32,
) -> Result<Header> {
    let bad = |detail: &str| {
        Error::rebuild(RebuildReason::BadHeader {
            path: path.to_path_buf(),
            detail: detail.to_string(),
        })
    };
    if b[0..8] != kind.magic() {
        return Err(bad("wrong magic"));
    }
    if crc32fast::hash(&b[0..60]) != le_u32(&b[60..64]) {
        return Err(bad("header checksum mismatch"));
    }
    let version = le_u32(&b[8..12]);
    if version != FORMAT_VERSION {
        return Err(Error::rebuild(RebuildReason::UnsupportedFormat {
            found: version,
        }));
    }
    let dim = le_u32(&b[12..16]);
    if dim != expected_dim {
        return Err(Error::rebuild(RebuildReason::DimensionMismatch {
            expected: expected_dim,
            found: dim,
        }));
    }
    if u64::from(le_u32(&b[16..20])) != kind.stride(dim)
        || u64::from(le_u32(&b[20..24])) != HEADER_LEN
    {
        return Err(bad("stride or header length do not match the dimension"));
    }
    Ok(Header {
        dim,
        arena_id: le_u64(&b[24..32]),
    })
}

/// crc32 of one slot: covers the slot number, its flags, its vector bytes and its code bytes,
/// so a record moved to another slot or a flipped flag is caught too.
pub(crate) fn slot_crc(slot: u32, flags: u32, vector: &[u8], code: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&slot.to_le_bytes());
    h.update(&flags.to_le_bytes());
    h.update(vector);
    h.update(code);
    h.finalize()
}

/// Little-endian u32 from the first 4 bytes (0 when shorter; callers pass fixed ranges).
pub(crate) fn le_u32(b: &[u8]) -> u32 {
    let mut a = [0u8; 4];
    if let Some(src) = b.get(..4) {
        a.copy_from_slice(src);
    }
    u32::from_le_bytes(a)
}

fn le_u64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    if let Some(src) = b.get(..8) {
        a.copy_from_slice(src);
    }
    u64::from_le_bytes(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips_and_rejects_damage() {
        let h = Header {
            dim: 384,
            arena_id: 42,
        };
        let p = Path::new("x");
        let mut b = encode_header(FileKind::Codes, h);
        assert_eq!(decode_header(FileKind::Codes, &b, p, 384).unwrap(), h);
        assert!(decode_header(FileKind::Vectors, &b, p, 384).is_err());
        assert!(matches!(
            decode_header(FileKind::Codes, &b, p, 128),
            Err(Error::ArenaNeedsRebuild {
                reason: RebuildReason::DimensionMismatch { .. }
            })
        ));
        b[30] ^= 1;
        assert!(decode_header(FileKind::Codes, &b, p, 384).is_err());
    }
}
