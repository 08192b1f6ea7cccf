//! Deterministic randomness for the workload: one seed gives the same database, queries and
//! figures on every machine. SplitMix64 is small, fast and passes BigCrush, which is all a
//! workload generator needs (no cryptographic claims).

/// A SplitMix64 generator.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Rng { state: seed }
    }

    /// An independent stream derived from this seed and a label (thread, operation, ...).
    pub fn derive(seed: u64, label: u64) -> Self {
        let mut r = Rng::new(seed ^ label.wrapping_mul(0xA076_1D64_78BD_642F));
        r.next_u64();
        r
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`; returns 0 for `n == 0`). Multiply-shift: no modulo bias worth
    /// measuring at our sizes.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform index into a slice of length `n`.
    pub fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    /// Uniform in `[0, 1)`.
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// An approximately standard normal sample from one draw: the Irwin–Hall sum of four
    /// 16-bit uniforms, centred and scaled to unit variance. Ten times cheaper than Box–Muller,
    /// which matters when a million 768-d vectors are drawn; tails are cut at ±3.5σ.
    pub fn approx_normal(&mut self) -> f32 {
        let r = self.next_u64();
        let sum: u64 = (0..4).map(|k| (r >> (16 * k)) & 0xFFFF).sum();
        // Mean 2 × 65535, variance 4/12 × 65536²: scale to unit variance.
        ((sum as f32 / 65535.0) - 2.0) * 3.0f32.sqrt()
    }
}

/// Samples ranks `0..n` with probability ∝ 1 / (rank + 1)^s: word and user popularity in real
/// text and traffic is Zipfian, which is what makes bitmaps, postings and caches behave as they
/// will in production.
#[derive(Debug, Clone)]
pub struct Zipf {
    /// Cumulative weights, normalised so the last is 1.0; non-decreasing.
    cdf: Vec<f64>,
}

impl Zipf {
    /// A Zipf distribution over `n ≥ 1` ranks with exponent `s`.
    pub fn new(n: usize, s: f64) -> Self {
        let n = n.max(1);
        let mut acc = 0.0;
        let mut cdf: Vec<f64> = (0..n)
            .map(|k| {
                acc += 1.0 / ((k + 1) as f64).powf(s);
                acc
            })
            .collect();
        for c in &mut cdf {
            *c /= acc;
        }
        Zipf { cdf }
    }

    /// One rank in `0..len()`.
    pub fn sample(&self, rng: &mut Rng) -> usize {
        let u = rng.f64();
        self.cdf.partition_point(|&c| c < u).min(self.cdf.len() - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let a: Vec<u64> = (0..5)
            .map({
                let mut r = Rng::new(7);
                move |_| r.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..5)
            .map({
                let mut r = Rng::new(7);
                move |_| r.next_u64()
            })
            .collect();
        assert_eq!(a, b);
    }

    #[test]
    fn zipf_favours_low_ranks_and_stays_in_range() {
        let z = Zipf::new(100, 1.0);
        let mut r = Rng::new(1);
        let mut counts = [0u32; 100];
        for _ in 0..20_000 {
            counts[z.sample(&mut r)] += 1;
        }
        assert!(counts[0] > counts[10] && counts[10] > counts[90]);
    }

    #[test]
    fn approx_normal_has_unit_variance() {
        let mut r = Rng::new(4);
        let xs: Vec<f64> = (0..100_000).map(|_| f64::from(r.approx_normal())).collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64;
        assert!(
            mean.abs() < 0.02 && (var - 1.0).abs() < 0.03,
            "{mean} {var}"
        );
    }

    #[test]
    fn below_is_in_range() {
        let mut r = Rng::new(3);
        assert!((0..1000).all(|_| r.below(7) < 7));
        assert_eq!(r.below(0), 0);
    }
}
