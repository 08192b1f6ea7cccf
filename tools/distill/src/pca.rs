//! Principal component analysis with a cyclic Jacobi eigen-solver (no LAPACK needed).

/// Principal axes of the rows of `data` (`rows × dim`, row-major), strongest first, and the
/// column means that were subtracted. Each axis is a unit vector of length `dim`.
pub fn fit(data: &[f32], dim: usize, keep: usize) -> (Vec<Vec<f64>>, Vec<f64>) {
    let rows = data.len() / dim;
    let mut mean = vec![0f64; dim];
    for row in data.chunks_exact(dim) {
        for (m, &x) in mean.iter_mut().zip(row) {
            *m += x as f64;
        }
    }
    mean.iter_mut().for_each(|m| *m /= rows as f64);
    let mut cov = vec![0f64; dim * dim];
    let mut centred = vec![0f64; dim];
    for row in data.chunks_exact(dim) {
        for ((c, &x), m) in centred.iter_mut().zip(row).zip(&mean) {
            *c = x as f64 - m;
        }
        for i in 0..dim {
            let ci = centred[i];
            for j in i..dim {
                cov[i * dim + j] += ci * centred[j];
            }
        }
    }
    for i in 0..dim {
        for j in 0..i {
            cov[i * dim + j] = cov[j * dim + i];
        }
    }
    let (values, vectors) = jacobi(cov, dim);
    let mut order: Vec<usize> = (0..dim).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
    let total: f64 = values.iter().sum();
    let kept: f64 = order.iter().take(keep).map(|&i| values[i]).sum();
    eprintln!(
        "pca: {keep} of {dim} axes keep {:.1}% of the variance",
        100.0 * kept / total
    );
    let axes = order
        .iter()
        .take(keep)
        .map(|&k| (0..dim).map(|i| vectors[i * dim + k]).collect())
        .collect();
    (axes, mean)
}

/// Eigenvalues and eigenvectors (columns of the returned row-major matrix) of the symmetric
/// matrix `a`, by cyclic Jacobi rotations until the off-diagonal mass is negligible.
fn jacobi(mut a: Vec<f64>, n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut v = vec![0f64; n * n];
    (0..n).for_each(|i| v[i * n + i] = 1.0);
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * n + j] * a[i * n + j])
            .sum();
        let diag: f64 = (0..n).map(|i| a[i * n + i] * a[i * n + i]).sum();
        if off <= 1e-22 * diag {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                rotate(&mut a, &mut v, n, p, q);
            }
        }
    }
    ((0..n).map(|i| a[i * n + i]).collect(), v)
}

/// One Jacobi rotation zeroing `a[p][q]` (Golub & Van Loan, algorithm 8.4.1).
fn rotate(a: &mut [f64], v: &mut [f64], n: usize, p: usize, q: usize) {
    let apq = a[p * n + q];
    if apq.abs() < 1e-300 {
        return;
    }
    let theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
    let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
    let t = if theta == 0.0 { 1.0 } else { t };
    let c = 1.0 / (t * t + 1.0).sqrt();
    let s = t * c;
    for k in 0..n {
        let (akp, akq) = (a[k * n + p], a[k * n + q]);
        a[k * n + p] = c * akp - s * akq;
        a[k * n + q] = s * akp + c * akq;
    }
    for k in 0..n {
        let (apk, aqk) = (a[p * n + k], a[q * n + k]);
        a[p * n + k] = c * apk - s * aqk;
        a[q * n + k] = s * apk + c * aqk;
    }
    for k in 0..n {
        let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
        v[k * n + p] = c * vkp - s * vkq;
        v[k * n + q] = s * vkp + c * vkq;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn recovers_a_known_axis() {
        // Points spread along (1, 1)/sqrt(2) with symmetric noise across it.
        let mut data = Vec::new();
        for i in 0..100 {
            let t = i as f32 - 50.0;
            data.extend_from_slice(&[t + 0.1, t - 0.1, t - 0.1, t + 0.1]);
        }
        let (axes, _) = super::fit(&data, 2, 1);
        assert!(
            (axes[0][0].abs() - 0.5f64.sqrt()).abs() < 1e-9,
            "{:?}",
            axes[0]
        );
        assert!((axes[0][0] - axes[0][1]).abs() < 1e-9);
    }

    #[test]
    fn jacobi_returns_eigenpairs() {
        let n = 5;
        let a: Vec<f64> = (0..n * n)
            .map(|k| {
                let (i, j) = (k / n, k % n);
                ((i * j + i + j) % 7) as f64 + if i == j { 3.0 } else { 0.0 }
            })
            .collect();
        let (values, vectors) = super::jacobi(a.clone(), n);
        for k in 0..n {
            for i in 0..n {
                let av: f64 = (0..n).map(|j| a[i * n + j] * vectors[j * n + k]).sum();
                assert!((av - values[k] * vectors[i * n + k]).abs() < 1e-9);
            }
        }
    }
}
