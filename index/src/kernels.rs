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

/// Asks the CPU to start loading `bytes` into its caches (a hint: never faults, changes
/// nothing). Scans over scattered slots call it a few slots ahead, so several slots' memory
/// loads are in flight at once instead of one after another.
#[inline(always)]
pub fn prefetch(bytes: &[u8]) {
    #[cfg(target_arch = "x86_64")]
    for line in bytes.chunks(64) {
        // SAFETY: `_mm_prefetch` needs SSE, which every x86-64 CPU has (part of the baseline
        // target). It only hints the cache hierarchy — it never faults and writes nothing —
        // and the pointer is inside a live slice anyway.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                line.as_ptr().cast::<i8>(),
            );
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = bytes;
}

/// Integer dot product of an i16-quantized query with int8 codes (stored as bytes, each an
/// `i8`), accumulated in i32 — the kernel of the filtered int8 scan. The caller keeps
/// `Σ |q_i| · 127` below `i32::MAX` (the scan scales the query so). AVX2 intrinsics when the
/// CPU has them (`dot_i8_i16_avx2`: `vpmaddwd`), else the portable loop; chosen at run time.
#[inline]
pub fn dot_i8_i16(q: &[i16], codes: &[u8]) -> i32 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: `dot_i8_i16_avx2` only requires the `avx2` feature, detected just above.
        return unsafe { dot_i8_i16_avx2(q, codes) };
    }
    dot_i8_i16_body(q, codes)
}

/// [`dot_i8_i16`] of `q` with each of `out.len()` records laid side by side in `records`,
/// `stride` bytes apart, their codes starting `skip` bytes into each: `out[i]` = the dot with
/// `records[i·stride + skip ..]`. One call per block of records instead of one per record: the
/// run-time dispatch is paid once and consecutive records' sums overlap in the CPU. A record
/// cut short by the end of `records` gets the dot of what it holds.
pub fn dot_i8_i16_many(q: &[i16], records: &[u8], stride: usize, skip: usize, out: &mut [i32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: `dot_i8_i16_many_avx2` only requires the `avx2` feature, detected just above.
        unsafe { dot_i8_i16_many_avx2(q, records, stride, skip, out) };
        return;
    }
    many_body(records, stride, skip, out, |c| dot_i8_i16_body(q, c));
}

/// Applies `dot` to the codes of each record for [`dot_i8_i16_many`].
#[inline(always)]
fn many_body(
    records: &[u8],
    stride: usize,
    skip: usize,
    out: &mut [i32],
    mut dot: impl FnMut(&[u8]) -> i32,
) {
    for (i, o) in out.iter_mut().enumerate() {
        let codes = records.get(i * stride + skip..).unwrap_or(&[]);
        *o = dot(codes.get(..stride - skip.min(stride)).unwrap_or(codes));
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn dot_i8_i16_many_avx2(q: &[i16], records: &[u8], stride: usize, skip: usize, out: &mut [i32]) {
    // Closures inherit the `avx2` feature, which is all `dot_i8_i16_avx2` requires.
    many_body(records, stride, skip, out, |c| dot_i8_i16_avx2(q, c));
}

#[inline(always)]
fn dot_i8_i16_body(q: &[i16], codes: &[u8]) -> i32 {
    // Extra elements are ignored, as by the AVX2 kernel.
    let n = q.len().min(codes.len());
    let (q, codes) = (&q[..n], &codes[..n]);
    let mut acc = [0i32; 16];
    let (cq, cc) = (q.chunks_exact(16), codes.chunks_exact(16));
    let (rq, rc) = (cq.remainder(), cc.remainder());
    for (x, y) in cq.zip(cc) {
        for ((s, p), c) in acc.iter_mut().zip(x).zip(y) {
            *s += i32::from(*p) * i32::from(*c as i8);
        }
    }
    let tail: i32 = rq
        .iter()
        .zip(rc)
        .map(|(p, c)| i32::from(*p) * i32::from(*c as i8))
        .sum();
    acc.iter().sum::<i32>() + tail
}

/// [`dot_i8_i16`] with AVX2 intrinsics: 16 codes sign-extended to i16 (`vpmovsxbw`), multiplied
/// by 16 query values and summed in pairs into 8 i32 lanes (`vpmaddwd`), 32 per step into two
/// accumulators. The compiler turns the portable loop into i32 multiplies (`vpmulld`) instead:
/// 35 ns against 13.5 ns per 384-d record here (criterion `kernels/dot_i8_i16_384_dispatched`;
/// 16.5 ns with one accumulator chain). The result is the same integer.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn dot_i8_i16_avx2(q: &[i16], codes: &[u8]) -> i32 {
    use std::arch::x86_64::{
        __m128i, __m256i, _mm256_add_epi32, _mm256_castsi256_si128, _mm256_cvtepi8_epi16,
        _mm256_extracti128_si256, _mm256_loadu_si256, _mm256_madd_epi16, _mm256_setzero_si256,
        _mm_add_epi32, _mm_cvtsi128_si32, _mm_loadu_si128, _mm_shuffle_epi32,
    };
    let n = q.len().min(codes.len());
    let (q, codes) = (&q[..n], &codes[..n]);
    let (mut acc0, mut acc1) = (_mm256_setzero_si256(), _mm256_setzero_si256());
    // 16 query values times 16 codes, summed in pairs into 8 i32 lanes.
    let madd = |qs: &[i16; 16], cs: &[u8; 16]| {
        // SAFETY: the arrays hold exactly the 32 and 16 bytes read; the loads are unaligned
        // loads, allowed at any address.
        let (qv, cv) = unsafe {
            (
                _mm256_loadu_si256(qs.as_ptr().cast::<__m256i>()),
                _mm_loadu_si128(cs.as_ptr().cast::<__m128i>()),
            )
        };
        _mm256_madd_epi16(qv, _mm256_cvtepi8_epi16(cv))
    };
    fn halves<'a>(qs: &'a [i16], cs: &'a [u8]) -> Option<(&'a [i16; 16], &'a [u8; 16])> {
        Some((qs.try_into().ok()?, cs.try_into().ok()?))
    }
    // 32 at a time into two accumulators, so consecutive adds do not wait on each other.
    let (q32, c32) = (q.chunks_exact(32), codes.chunks_exact(32));
    let (q_rest, c_rest) = (q32.remainder(), c32.remainder());
    for (qc, cc) in q32.zip(c32) {
        let (q_lo, q_hi) = qc.split_at(16);
        let (c_lo, c_hi) = cc.split_at(16);
        if let (Some((a, b)), Some((c, d))) = (halves(q_lo, c_lo), halves(q_hi, c_hi)) {
            acc0 = _mm256_add_epi32(acc0, madd(a, b));
            acc1 = _mm256_add_epi32(acc1, madd(c, d));
        }
    }
    let (q16, c16) = (q_rest.chunks_exact(16), c_rest.chunks_exact(16));
    let (q_tail, c_tail) = (q16.remainder(), c16.remainder());
    for (qc, cc) in q16.zip(c16) {
        if let Some((a, b)) = halves(qc, cc) {
            acc0 = _mm256_add_epi32(acc0, madd(a, b));
        }
    }
    let s = _mm256_add_epi32(acc0, acc1);
    let x = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256::<1>(s));
    let x = _mm_add_epi32(x, _mm_shuffle_epi32::<0b01_00_11_10>(x));
    let x = _mm_add_epi32(x, _mm_shuffle_epi32::<0b10_11_00_01>(x));
    let tail: i32 = q_tail
        .iter()
        .zip(c_tail)
        .map(|(p, c)| i32::from(*p) * i32::from(*c as i8))
        .sum();
    _mm_cvtsi128_si32(x) + tail
}

/// Dot product of an f32 query with int8 codes (stored as bytes, each an `i8`): the kernel of
/// the filtered int8 scan. Our own 16-lane loop compiled for AVX2 when the CPU has it (chosen
/// once at run time), else [`dot_i8_plain`]. Extra elements are ignored.
#[inline]
pub fn dot_i8(q: &[f32], codes: &[u8]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: `dot_i8_avx2` only requires the `avx2` feature, detected just above.
        return unsafe { dot_i8_avx2(q, codes) };
    }
    dot_i8_plain(q, codes)
}

/// Portable [`dot_i8`].
pub fn dot_i8_plain(q: &[f32], codes: &[u8]) -> f32 {
    dot_i8_body(q, codes)
}

#[inline(always)]
fn dot_i8_body(q: &[f32], codes: &[u8]) -> f32 {
    let mut acc = [0f32; 16];
    let (cq, cc) = (q.chunks_exact(16), codes.chunks_exact(16));
    let (rq, rc) = (cq.remainder(), cc.remainder());
    for (x, y) in cq.zip(cc) {
        for ((s, p), c) in acc.iter_mut().zip(x).zip(y) {
            *s += p * f32::from(*c as i8);
        }
    }
    let tail: f32 = rq
        .iter()
        .zip(rc)
        .map(|(p, c)| p * f32::from(*c as i8))
        .sum();
    acc.iter().sum::<f32>() + tail
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn dot_i8_avx2(q: &[f32], codes: &[u8]) -> f32 {
    dot_i8_body(q, codes)
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
    // Fixed widths of the common dimensions (384 → 6 words, 768 → 12) unroll completely.
    match query.len() {
        2 => hamming_fixed::<2>(codes, query, out),
        4 => hamming_fixed::<4>(codes, query, out),
        6 => hamming_fixed::<6>(codes, query, out),
        8 => hamming_fixed::<8>(codes, query, out),
        12 => hamming_fixed::<12>(codes, query, out),
        16 => hamming_fixed::<16>(codes, query, out),
        _ => hamming_any(codes, query, out),
    }
}

#[inline(always)]
fn hamming_fixed<const W: usize>(codes: &[u64], query: &[u64], out: &mut [u16]) {
    let Some(q) = query.first_chunk::<W>() else {
        return;
    };
    let (chunks, _) = codes.as_chunks::<W>();
    for (code, d) in chunks.iter().zip(out.iter_mut()) {
        let mut s = 0u32;
        for i in 0..W {
            s += (code[i] ^ q[i]).count_ones();
        }
        *d = s as u16;
    }
}

#[inline(always)]
fn hamming_any(codes: &[u64], query: &[u64], out: &mut [u16]) {
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
    fn int8_dot_variants_agree_at_every_length() {
        for dim in [0usize, 1, 7, 15, 16, 17, 31, 32, 33, 100, 384, 385] {
            let q: Vec<i16> = (0..dim)
                .map(|i| ((i as i32 * 7919) % 65_535 - 32_767) as i16)
                .collect();
            let codes: Vec<u8> = (0..dim).map(|i| (i * 37 % 256) as u8).collect();
            let want: i64 = q
                .iter()
                .zip(&codes)
                .map(|(p, c)| i64::from(*p) * i64::from(*c as i8))
                .sum();
            // Keep the sum in i32, as the scan does.
            if want.abs() < i64::from(i32::MAX) {
                assert_eq!(i64::from(dot_i8_i16(&q, &codes)), want, "dim {dim}");
                assert_eq!(i64::from(dot_i8_i16_body(&q, &codes)), want, "dim {dim}");
            }
        }
    }

    #[test]
    fn batched_int8_dot_scores_each_record() {
        for dim in [0usize, 1, 17, 32, 100, 384] {
            let q: Vec<i16> = (0..dim)
                .map(|i| ((i as i32 * 7919) % 4_001 - 2_000) as i16)
                .collect();
            let codes: Vec<u8> = (0..dim).map(|i| (i * 37 % 256) as u8).collect();
            // Three records side by side, 8 header bytes each, the last one cut short.
            let mut recs = Vec::new();
            for r in 0..3u8 {
                recs.extend(std::iter::repeat_n(r, 8));
                recs.extend(&codes);
            }
            recs.truncate(recs.len() - dim / 2);
            let mut out = [0i32; 3];
            dot_i8_i16_many(&q, &recs, dim + 8, 8, &mut out);
            let whole = dot_i8_i16_body(&q, &codes);
            let cut = dot_i8_i16_body(&q, &codes[..dim - dim / 2]);
            assert_eq!(out, [whole, whole, cut], "dim {dim}");
        }
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
