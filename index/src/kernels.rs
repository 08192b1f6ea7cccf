//! Scan kernels: f32 dot product (simsimd) and 1-bit sign codes compared by Hamming distance.
//!
//! Measured here (benches/benches/vector.rs, AMD EPYC with AVX2, no AVX-512): at 384-d
//! simsimd's per-call cost outweighs the product itself, and its Hamming kernel is slower than
//! an inline u64 popcount loop over 48-byte codes, so both scan kernels are ours. The build
//! targets baseline x86-64 (no `popcnt`, no AVX), so each hot loop is compiled a second time
//! with the feature enabled and chosen at run time (`is_x86_feature_detected!` caches).

#![allow(unsafe_code)]

use simsimd::SpatialSimilarity;

/// Dot product of two equally long f32 slices, the kernel every scan uses: our own 16-lane
/// loop compiled for AVX2 when the CPU has it (chosen once at run time), else [`dot_plain`].
/// Extra elements of the longer slice are ignored.
///
/// Measured here at 384-d (benches/benches/vector.rs): simsimd's call costs more than the
/// whole product, so the arena does not call it per vector; [`dot_simsimd`] stays for the
/// bench's comparison.
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: `dot_avx2` only requires the `avx2` feature, detected just above.
        return unsafe { dot_avx2(a, b) };
    }
    dot_plain(a, b)
}

/// Dot product via simsimd (runtime SIMD dispatch, one FFI call); falls back to [`dot_plain`]
/// when simsimd refuses the input (a length mismatch).
pub fn dot_simsimd(a: &[f32], b: &[f32]) -> f32 {
    match <f32 as SpatialSimilarity>::dot(a, b) {
        Some(d) => d as f32,
        None => dot_plain(a, b),
    }
}

/// Portable dot product over 16 independent accumulators (vectorised by the compiler for
/// whatever the build targets). Extra elements of the longer slice are ignored.
pub fn dot_plain(a: &[f32], b: &[f32]) -> f32 {
    dot_body(a, b)
}

#[inline(always)]
fn dot_body(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 16];
    let (ca, cb) = (a.chunks_exact(16), b.chunks_exact(16));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for ((s, p), q) in acc.iter_mut().zip(x).zip(y) {
            *s += p * q;
        }
    }
    let tail: f32 = ra.iter().zip(rb).map(|(p, q)| p * q).sum();
    acc.iter().sum::<f32>() + tail
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn dot_avx2(a: &[f32], b: &[f32]) -> f32 {
    dot_body(a, b)
}

/// The 1-bit sign code of `v`: bit `i` (word `i / 64`, bit `i % 64`) is set when `v[i] > 0`.
/// Writes `out.len()` words; components past `v.len()` are zero bits.
pub fn sign_code(v: &[f32], out: &mut [u64]) {
    out.iter_mut().for_each(|w| *w = 0);
    for (chunk, word) in v.chunks(64).zip(out.iter_mut()) {
        for (i, x) in chunk.iter().enumerate() {
            if *x > 0.0 {
                *word |= 1u64 << i;
            }
        }
    }
}

/// Hamming distances between `query` (one code of `query.len()` words) and each code in
/// `codes` (consecutive codes of the same width), written to `out[i]`. Stops at the shorter
/// of `out` and the number of whole codes.
pub fn hamming_many(codes: &[u64], query: &[u64], out: &mut [u16]) {
    if query.is_empty() {
        out.iter_mut().for_each(|d| *d = 0);
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("popcnt") {
        // SAFETY: `hamming_popcnt` only requires the `popcnt` feature, detected just above.
        unsafe { hamming_popcnt(codes, query, out) };
        return;
    }
    hamming_portable(codes, query, out);
}

/// Hamming distance between two codes (plain loop; for tests and single pairs).
pub fn hamming(a: &[u64], b: &[u64]) -> u32 {
    a.iter().zip(b).map(|(x, y)| (x ^ y).count_ones()).sum()
}

#[inline(always)]
fn hamming_body(codes: &[u64], query: &[u64], out: &mut [u16]) {
    for (code, d) in codes.chunks_exact(query.len()).zip(out.iter_mut()) {
        let mut s = 0u32;
        for (x, y) in code.iter().zip(query) {
            s += (x ^ y).count_ones();
        }
        *d = s as u16;
    }
}

fn hamming_portable(codes: &[u64], query: &[u64], out: &mut [u16]) {
    hamming_body(codes, query, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
fn hamming_popcnt(codes: &[u64], query: &[u64], out: &mut [u16]) {
    hamming_body(codes, query, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_variants_agree() {
        let a: Vec<f32> = (0..384).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..384).map(|i| (i as f32 * 0.11).cos()).collect();
        let r: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - r).abs() < 1e-3);
        assert!((dot_simsimd(&a, &b) - r).abs() < 1e-3);
        assert!((dot_plain(&a, &b) - r).abs() < 1e-3);
    }

    #[test]
    fn hamming_counts_sign_differences() {
        let a: Vec<f32> = (0..100)
            .map(|i| if i % 3 == 0 { 1.0 } else { -1.0 })
            .collect();
        let b: Vec<f32> = (0..100)
            .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        let (mut ca, mut cb) = ([0u64; 2], [0u64; 2]);
        sign_code(&a, &mut ca);
        sign_code(&b, &mut cb);
        let want = a
            .iter()
            .zip(&b)
            .filter(|(x, y)| (**x > 0.0) != (**y > 0.0))
            .count();
        assert_eq!(hamming(&ca, &cb) as usize, want);
        let codes = [ca, cb].concat();
        let mut out = [0u16; 2];
        hamming_many(&codes, &ca, &mut out);
        assert_eq!(out, [0, want as u16]);
    }
}
