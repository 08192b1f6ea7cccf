//! Writes the static-embedding asset that `memspine-index` embeds with `include_bytes!`.
//!
//! Layout (all integers little-endian), mirrored by `index/src/embed/table.rs`:
//!
//! | offset | size    | field                                                      |
//! |--------|---------|------------------------------------------------------------|
//! | 0      | 4       | magic `MSTE`                                               |
//! | 4      | 4       | format version, u32 = 1                                    |
//! | 8      | 4       | vocabulary size V, u32                                     |
//! | 12     | 4       | dimension D, u32                                           |
//! | 16     | 4       | vocabulary length L in bytes, u32                          |
//! | 20     | L       | vocabulary: V UTF-8 tokens, each followed by `\n`          |
//! | 20+L   | 4·V     | per-token scale, f32                                       |
//! | ..     | V·D     | per-token codes, i8, row-major                             |
//! | end−4  | 4       | crc32 (crc32fast) of every byte before it                  |
//!
//! Token `t`'s vector is `scale[t] · codes[t]`; the frequency weight is already folded in.

/// Quantises `rows` (V × D, f32) to one f32 scale and D i8 codes per row and lays out the file.
pub fn encode(vocab: &[String], rows: &[f32], dim: usize) -> Vec<u8> {
    let text: String = vocab.iter().map(|t| format!("{t}\n")).collect();
    let mut out = Vec::with_capacity(24 + text.len() + vocab.len() * (4 + dim));
    out.extend_from_slice(b"MSTE");
    for v in [1u32, vocab.len() as u32, dim as u32, text.len() as u32] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(text.as_bytes());
    let mut codes = Vec::with_capacity(vocab.len() * dim);
    for row in rows.chunks_exact(dim) {
        let max = row.iter().fold(0f32, |m, x| m.max(x.abs()));
        let scale = max / 127.0;
        out.extend_from_slice(&scale.to_le_bytes());
        let inv = if scale > 0.0 { 1.0 / scale } else { 0.0 };
        codes.extend(
            row.iter()
                .map(|x| (x * inv).round().clamp(-127.0, 127.0) as i8 as u8),
        );
    }
    out.extend_from_slice(&codes);
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// The rows as the run time will see them (dequantised), for evaluating what ships.
pub fn dequantise(rows: &[f32], dim: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows.chunks_exact(dim) {
        let max = row.iter().fold(0f32, |m, x| m.max(x.abs()));
        let scale = max / 127.0;
        let inv = if scale > 0.0 { 1.0 / scale } else { 0.0 };
        out.extend(
            row.iter()
                .map(|x| (x * inv).round().clamp(-127.0, 127.0) * scale),
        );
    }
    out
}
