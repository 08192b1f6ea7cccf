//! Helpers shared by the index's integration tests (included with `mod common;`).
#![allow(dead_code)]

/// SplitMix64: deterministic test data.
pub struct Rng(pub u64);

impl Rng {
    #[allow(clippy::should_implement_trait)] // not an iterator: it never ends
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Roughly normal (sum of four uniforms).
    pub fn normal(&mut self) -> f32 {
        let r = self.next();
        let s: u64 = (0..4).map(|k| (r >> (16 * k)) & 0xFFFF).sum();
        (s as f32 - 2.0 * 65_535.5) / (65_536.0 * (1.0f32 / 3.0).sqrt())
    }

    /// A unit vector of uniform components.
    pub fn unit(&mut self, dim: usize) -> Vec<f32> {
        let v: Vec<f32> = (0..dim)
            .map(|_| (self.next() >> 40) as f32 / (1u64 << 24) as f32 - 0.5)
            .collect();
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
        v.iter().map(|x| x / n).collect()
    }
}
