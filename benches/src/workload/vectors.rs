//! Synthetic clustered unit vectors: a mixture of Gaussians around random unit centres.
//!
//! Real sentence embeddings are not uniform on the sphere: they cluster by topic, and the
//! clusters are what make approximate search hard (many near ties inside a cluster) and what
//! make quantised codes lose recall. A mixture of a few thousand clusters reproduces that shape
//! without spending hours embedding text.

use crate::rng::Rng;

/// Cosine between a point and its centre is about 1 / sqrt(1 + SPREAD²): with 0.8, ≈ 0.78,
/// in the range sentence embeddings of one topic show.
const SPREAD: f32 = 0.8;

/// The cluster centres of one workload.
#[derive(Debug, Clone)]
pub struct Centres {
    dim: usize,
    /// `count × dim` components, each centre L2-normalised.
    data: Vec<f32>,
}

impl Centres {
    /// `count` random unit centres of dimension `dim` (deterministic in `seed`).
    pub fn new(count: usize, dim: usize, seed: u64) -> Self {
        let mut rng = Rng::derive(seed, 0xCE57);
        let mut data = Vec::with_capacity(count * dim);
        for _ in 0..count {
            let mut c = gaussian(&mut rng, dim, 1.0);
            normalise(&mut c);
            data.extend_from_slice(&c);
        }
        Centres { dim, data }
    }

    /// Number of centres.
    pub fn len(&self) -> usize {
        self.data.len().checked_div(self.dim).unwrap_or(0)
    }

    /// A unit vector drawn from cluster `centre` (taken modulo the number of centres).
    pub fn sample(&self, centre: usize, rng: &mut Rng) -> Vec<f32> {
        let n = self.len().max(1);
        let start = (centre % n) * self.dim;
        let c = self.data.get(start..start + self.dim).unwrap_or(&[]);
        // Per-component sigma so that the noise vector's expected length is SPREAD.
        let sigma = SPREAD / (self.dim.max(1) as f32).sqrt();
        let mut v = gaussian(rng, self.dim, sigma);
        for (x, m) in v.iter_mut().zip(c) {
            *x += m;
        }
        normalise(&mut v);
        v
    }
}

fn gaussian(rng: &mut Rng, dim: usize, sigma: f32) -> Vec<f32> {
    (0..dim).map(|_| rng.approx_normal() * sigma).collect()
}

/// Scales `v` to unit length (left as is when zero).
pub fn normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dot(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn samples_are_unit_and_near_their_centre() {
        let c = Centres::new(16, 384, 9);
        let mut r = Rng::new(2);
        let a = c.sample(3, &mut r);
        let b = c.sample(3, &mut r);
        let far = c.sample(4, &mut r);
        assert!((dot(&a, &a) - 1.0).abs() < 1e-4);
        assert!(dot(&a, &b) > 0.4, "same cluster: {}", dot(&a, &b));
        assert!(dot(&a, &far) < 0.3, "other cluster: {}", dot(&a, &far));
    }
}
