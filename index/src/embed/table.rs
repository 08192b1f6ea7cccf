//! Decoding of the static token-embedding asset written by `tools/distill`.
//!
//! Layout (little-endian; see docs/design.md, "Embedders"): magic `MSTE`, u32 version (1),
//! u32 vocabulary size V, u32 dimension D, u32 vocabulary byte length L, L bytes of
//! `token\n` × V, V f32 scales, V·D i8 codes, u32 crc32 of everything before it. Token t's
//! vector is `scale[t] · codes[t]`, with its frequency weight already folded in.

use super::EmbedError;

const MAGIC: &[u8; 4] = b"MSTE";
const VERSION: u32 = 1;
/// Fixed header bytes before the vocabulary.
const HEADER: usize = 20;

/// A decoded, checksum-verified table borrowing the asset's bytes.
#[derive(Debug)]
pub struct Table<'a> {
    /// Tokens in id order.
    pub vocab: Vec<&'a str>,
    /// Per-token scale; 0 for tokens that carry no meaning (specials, `[unusedN]`).
    pub scales: Vec<f32>,
    /// V·D codes, row-major.
    codes: &'a [u8],
    /// D.
    pub dim: usize,
    /// The stored crc32, which names this exact table in the model id.
    pub crc: u32,
}

fn corrupt(detail: impl Into<String>) -> EmbedError {
    EmbedError::CorruptAsset {
        detail: detail.into(),
    }
}

fn u32_at(bytes: &[u8], at: usize) -> Result<u32, EmbedError> {
    let b = bytes
        .get(at..at + 4)
        .ok_or_else(|| corrupt(format!("truncated at byte {at}")))?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

impl<'a> Table<'a> {
    /// Checks magic, version, crc and every length before trusting any of them.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, EmbedError> {
        if bytes.get(..4) != Some(MAGIC.as_slice()) {
            return Err(corrupt("bad magic"));
        }
        let body_len = bytes.len().checked_sub(4).ok_or_else(|| corrupt("empty"))?;
        let crc = u32_at(bytes, body_len)?;
        if crc32fast::hash(&bytes[..body_len]) != crc {
            return Err(corrupt("crc32 mismatch"));
        }
        let version = u32_at(bytes, 4)?;
        if version != VERSION {
            return Err(corrupt(format!("unsupported version {version}")));
        }
        let (v, dim, l) = (
            u32_at(bytes, 8)? as usize,
            u32_at(bytes, 12)? as usize,
            u32_at(bytes, 16)? as usize,
        );
        let expected = HEADER as u64 + l as u64 + v as u64 * (4 + dim as u64) + 4;
        if expected != bytes.len() as u64 || dim == 0 {
            return Err(corrupt(format!(
                "lengths do not add up (V={v}, D={dim}, L={l})"
            )));
        }
        let text = std::str::from_utf8(&bytes[HEADER..HEADER + l])
            .map_err(|_| corrupt("vocabulary is not UTF-8"))?;
        let vocab: Vec<&str> = text.split_terminator('\n').collect();
        if vocab.len() != v {
            return Err(corrupt(format!("{} tokens, header says {v}", vocab.len())));
        }
        let scales_at = HEADER + l;
        let scales = bytes[scales_at..scales_at + 4 * v]
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect::<Vec<_>>();
        if scales.iter().any(|s| !s.is_finite()) {
            return Err(corrupt("non-finite scale"));
        }
        let codes = &bytes[scales_at + 4 * v..body_len];
        Ok(Self {
            vocab,
            scales,
            codes,
            dim,
            crc,
        })
    }

    /// Adds token `id`'s vector to `acc` (length D). Unknown ids and zero rows add nothing.
    pub fn accumulate(&self, id: u32, acc: &mut [f32]) {
        let id = id as usize;
        let scale = self.scales.get(id).copied().unwrap_or(0.0);
        let row = self.codes.get(id * self.dim..(id + 1) * self.dim);
        if let (Some(row), true) = (row, scale != 0.0) {
            for (a, &c) in acc.iter_mut().zip(row) {
                *a += scale * f32::from(c as i8);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A two-token, two-dimension asset built by hand, in the distill tool's layout.
    fn tiny() -> Vec<u8> {
        let text = b"[UNK]\nhi\n";
        let mut out = b"MSTE".to_vec();
        for v in [1u32, 2, 2, text.len() as u32] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(text);
        out.extend_from_slice(&0f32.to_le_bytes());
        out.extend_from_slice(&0.5f32.to_le_bytes());
        out.extend_from_slice(&[0, 0, 2, (-4i8) as u8]);
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    #[test]
    fn decodes_and_dequantises() {
        let bytes = tiny();
        let table = Table::parse(&bytes).unwrap();
        assert_eq!(table.vocab, ["[UNK]", "hi"]);
        let mut acc = [0f32; 2];
        table.accumulate(1, &mut acc);
        table.accumulate(0, &mut acc);
        table.accumulate(7, &mut acc);
        assert_eq!(acc, [1.0, -2.0]);
    }

    #[test]
    fn every_truncation_and_bit_flip_is_an_error() {
        let bytes = tiny();
        for n in 0..bytes.len() {
            assert!(Table::parse(&bytes[..n]).is_err(), "truncated to {n}");
        }
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x10;
            assert!(Table::parse(&bad).is_err(), "flip at {i}");
        }
    }
}
