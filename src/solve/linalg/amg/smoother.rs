//! Chebyshev polynomial smoothing on `D^-1 A` (symmetric, no Gauss-Seidel, one sparse
//! matrix-vector product per degree: GPU-friendly), and the Lanczos estimate of the largest
//! eigenvalue it needs.

use super::super::sparse::{self, CsrMatrix};
use rayon::prelude::*;

/// `1/d` for a positive finite `d`; `1/|d|` for other non-zero finite `d`; `1` otherwise.
/// Keeps smoothing well defined on invalid (non-SPD) input instead of dividing by zero.
pub(super) fn positive_inverse(d: f64) -> f64 {
    if d.is_finite() && d != 0.0 {
        1.0 / d.abs()
    } else {
        1.0
    }
}

/// Deterministic pseudo-random start vector in `[-1, 1)` (splitmix64 of the index).
fn start_vector(n: usize) -> Vec<f64> {
    (0..n as u64)
        .map(|i| {
            let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            (z >> 11) as f64 / (1u64 << 52) as f64 - 1.0
        })
        .collect()
}

/// Estimate of the largest eigenvalue of the symmetric operator `apply` (of dimension `n`) from
/// at most `steps` Lanczos steps: the largest Ritz value, a lower bound that converges quickly
/// for the extreme eigenvalue. Stops early once the estimate reaches `stop_at`. For
/// `lambda_max(D^-1 A)` apply the similar symmetric operator `D^-1/2 A D^-1/2`.
pub(super) fn lanczos_max_eigenvalue(
    n: usize,
    steps: usize,
    stop_at: f64,
    apply: impl Fn(&[f64], &mut [f64]),
) -> f64 {
    if n == 0 {
        return 1.0;
    }
    let mut u = start_vector(n);
    let norm = sparse::norm2(&u);
    sparse::for_chunks(&mut u, |_, chunk| chunk.iter_mut().for_each(|v| *v /= norm));
    let mut u_prev = vec![0.0; n];
    let mut w = vec![0.0; n];
    let (mut alphas, mut betas) = (Vec::new(), Vec::new());
    let mut beta_prev = 0.0;
    let mut estimate = 1.0;
    for _ in 0..steps.max(1) {
        apply(&u, &mut w);
        let alpha = sparse::dot(&w, &u);
        let beta = {
            let (u, u_prev) = (&u, &u_prev);
            sparse::for_chunks(&mut w, |offset, chunk| {
                for (k, wi) in chunk.iter_mut().enumerate() {
                    *wi -= alpha * u[offset + k] + beta_prev * u_prev[offset + k];
                }
            });
            sparse::norm2(&w)
        };
        alphas.push(alpha);
        estimate = tridiagonal_max_eigenvalue(&alphas, &betas);
        if estimate >= stop_at || !beta.is_finite() || beta <= 1e-10 * alpha.abs() {
            break;
        }
        betas.push(beta);
        std::mem::swap(&mut u_prev, &mut u);
        let w = &w;
        sparse::for_chunks(&mut u, |offset, chunk| {
            for (k, ui) in chunk.iter_mut().enumerate() {
                *ui = w[offset + k] / beta;
            }
        });
        beta_prev = beta;
    }
    estimate
}

/// Largest eigenvalue of the symmetric tridiagonal matrix with diagonal `a` and off-diagonal
/// `b`, by bisection on the Sturm sequence count.
fn tridiagonal_max_eigenvalue(a: &[f64], b: &[f64]) -> f64 {
    let m = a.len();
    if m == 0 {
        return 1.0;
    }
    let radius = |i: usize| {
        let left = if i > 0 { b[i - 1].abs() } else { 0.0 };
        let right = if i < b.len() { b[i].abs() } else { 0.0 };
        left + right
    };
    let mut lo = (0..m)
        .map(|i| a[i] - radius(i))
        .fold(f64::INFINITY, f64::min);
    let mut hi = (0..m)
        .map(|i| a[i] + radius(i))
        .fold(f64::NEG_INFINITY, f64::max);
    if !(lo.is_finite() && hi.is_finite()) {
        return 1.0;
    }
    // Number of eigenvalues strictly greater than x.
    let count_above = |x: f64| {
        let mut count = 0;
        let mut q = 1.0;
        for i in 0..m {
            let off = if i > 0 { b[i - 1] * b[i - 1] } else { 0.0 };
            q = a[i] - x - if i > 0 { off / q } else { 0.0 };
            if q == 0.0 {
                q = f64::EPSILON * (x.abs() + 1.0);
            }
            if q < 0.0 {
                count += 1;
            }
        }
        m - count
    };
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if count_above(mid) > 0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hi
}

/// Chebyshev smoother of fixed degree on `D^-1 A` over `[lambda_max / ratio, lambda_max]`.
pub(super) struct Chebyshev {
    inv_diag: Vec<f64>,
    lambda_max: f64,
    degree: usize,
    ratio: f64,
}

impl Chebyshev {
    /// The inverse diagonal the smoother scales by.
    pub(super) fn inv_diag(&self) -> &[f64] {
        &self.inv_diag
    }

    /// Scales by `a`'s diagonal from now on, keeping the eigenvalue bound. With a larger
    /// diagonal (a warmer Newton iterate) a smoother still scaled by the old one would step past
    /// the interval its polynomial damps, and the V-cycle would stop being positive definite;
    /// scaled by the new one, `D^-1 A` of a diagonally dominant matrix keeps its bound.
    pub(super) fn follow_diagonal(&mut self, a: &CsrMatrix) {
        self.inv_diag = a.diagonal().into_iter().map(positive_inverse).collect();
    }

    /// Sets up the smoother for `a` (see [`Chebyshev::refresh`]).
    pub(super) fn new(
        a: &CsrMatrix,
        degree: usize,
        ratio: f64,
        (steps, boost, trust_gershgorin): (usize, f64, bool),
    ) -> Self {
        let mut smoother = Chebyshev {
            inv_diag: Vec::new(),
            lambda_max: 1.0,
            degree: degree.max(1),
            ratio: ratio.max(1.0 + 1e-6),
        };
        smoother.refresh(a, steps, boost, trust_gershgorin);
        smoother
    }

    /// Recomputes the diagonal and eigenvalue estimate for new values of `a`.
    ///
    /// The Gershgorin bound is a safe upper end of the interval. When `trust_gershgorin` is set
    /// and `a` is an M-matrix (no positive off-diagonal entry) the bound is used as is: for the
    /// finest matrix of the thermal model (conduction on grids, whose graph is nearly
    /// bipartite) it is nearly tight, about 2. Otherwise (Galerkin operators) the upper end is
    /// `boost` times a Lanczos estimate, capped by the bound.
    pub(super) fn refresh(
        &mut self,
        a: &CsrMatrix,
        steps: usize,
        boost: f64,
        trust_gershgorin: bool,
    ) {
        self.follow_diagonal(a);
        let inv_diag = &self.inv_diag;
        let gershgorin = max_row_sum(a, |i| inv_diag[i]);
        let lambda = if trust_gershgorin && is_m_matrix(a) {
            gershgorin
        } else {
            let scale: Vec<f64> = inv_diag.iter().map(|d| d.sqrt()).collect();
            let estimate = lanczos_max_eigenvalue(a.n, steps, gershgorin / boost, |x, y| {
                scaled_matvec(a, &scale, x, y)
            });
            (boost * estimate).min(gershgorin)
        };
        self.lambda_max = if lambda.is_finite() && lambda > 0.0 {
            lambda
        } else {
            gershgorin.max(1.0)
        };
    }

    /// The upper end of the smoothing interval.
    pub(super) fn lambda_max(&self) -> f64 {
        self.lambda_max
    }

    /// Matrix-vector products per smoothing step.
    pub(super) fn degree(&self) -> usize {
        self.degree
    }

    /// The smoothing interval's centre `theta` and half-width `delta`.
    fn interval(&self) -> (f64, f64) {
        let lambda_min = self.lambda_max / self.ratio;
        (
            0.5 * (self.lambda_max + lambda_min),
            0.5 * (self.lambda_max - lambda_min),
        )
    }

    /// Applies the polynomial to `A x = b`: starting from `x = 0` when `zero_start` (the input
    /// `x` is then ignored), from the given `x` otherwise. `d` is scratch of length `n`.
    pub(super) fn smooth(
        &self,
        a: &CsrMatrix,
        b: &[f64],
        x: &mut [f64],
        zero_start: bool,
        d: &mut [f64],
    ) {
        let (theta, delta) = self.interval();
        let sigma = theta / delta;
        let inv_diag = &self.inv_diag;
        if zero_start {
            sparse::for_chunks(d, |offset, chunk| {
                for (k, di) in chunk.iter_mut().enumerate() {
                    *di = b[offset + k] * inv_diag[offset + k] / theta;
                }
            });
            x.copy_from_slice(d);
        } else {
            correction_step(a, b, x, d, 0.0, 1.0 / theta, inv_diag);
        }
        let mut rho = 1.0 / sigma;
        for _ in 1..self.degree {
            let rho_next = 1.0 / (2.0 * sigma - rho);
            correction_step(a, b, x, d, rho_next * rho, 2.0 * rho_next / delta, inv_diag);
            rho = rho_next;
        }
    }

    /// Smooths `A x = b` from `x = 0` and leaves the residual `b - A x` in `r`. For degree 1
    /// (damped Jacobi) this is one pass over the matrix: `x = D^-1 b / theta` is formed row by
    /// row where the residual needs it, instead of a pass for `x` and another for `r`.
    pub(super) fn smooth_from_zero_with_residual(
        &self,
        a: &CsrMatrix,
        b: &[f64],
        x: &mut [f64],
        d: &mut [f64],
        r: &mut [f64],
    ) {
        if self.degree > 1 {
            self.smooth(a, b, x, true, d);
            a.residual(b, x, r);
            return;
        }
        let (theta, _) = self.interval();
        let inv_diag = &self.inv_diag;
        let smoothed = |j: usize| b[j] * inv_diag[j] / theta;
        sparse::for_row_blocks(r, a.nnz(), |r0, block| {
            for (k, ri) in block.iter_mut().enumerate() {
                let i = r0 + k;
                let (cols, vals) = a.row(i);
                let mut sum = 0.0;
                for (&c, &v) in cols.iter().zip(vals) {
                    sum += v * smoothed(c as usize);
                }
                *ri = b[i] - sum;
            }
        });
        sparse::for_chunks(x, |offset, chunk| {
            for (k, xi) in chunk.iter_mut().enumerate() {
                *xi = smoothed(offset + k);
            }
        });
    }

    /// Applies `sweeps` smoothing passes starting from zero: a fixed symmetric operator, used as
    /// the coarsest-level solver when that level is too large for a dense factorization.
    pub(super) fn solve_approx(
        &self,
        a: &CsrMatrix,
        b: &[f64],
        x: &mut [f64],
        sweeps: usize,
        d: &mut [f64],
    ) {
        self.smooth(a, b, x, true, d);
        for _ in 1..sweeps {
            self.smooth(a, b, x, false, d);
        }
    }
}

/// `y = S A S x` with `S = diag(scale)`.
fn scaled_matvec(a: &CsrMatrix, scale: &[f64], x: &[f64], y: &mut [f64]) {
    sparse::for_row_blocks(y, a.nnz(), |r0, block| {
        for (k, yi) in block.iter_mut().enumerate() {
            let i = r0 + k;
            let (cols, vals) = a.row(i);
            let mut sum = 0.0;
            for (&c, &v) in cols.iter().zip(vals) {
                sum += v * scale[c as usize] * x[c as usize];
            }
            *yi = scale[i] * sum;
        }
    });
}

/// Whether no off-diagonal entry is positive.
fn is_m_matrix(a: &CsrMatrix) -> bool {
    (0..a.n).into_par_iter().with_min_len(4096).all(|i| {
        let (cols, vals) = a.row(i);
        cols.iter()
            .zip(vals)
            .all(|(&c, &v)| c as usize == i || v <= 0.0)
    })
}

/// Gershgorin bound `max_i weight(i) sum_j |a_ij|` (exact in any order: a maximum).
pub(super) fn max_row_sum(a: &CsrMatrix, weight: impl Fn(usize) -> f64 + Sync) -> f64 {
    (0..a.n)
        .into_par_iter()
        .with_min_len(4096)
        .map(|i| weight(i) * a.row(i).1.iter().map(|v| v.abs()).sum::<f64>())
        .reduce(|| 0.0, f64::max)
}

/// `d = c_prev d + c_new D^-1 (b - A x)` row by row, then `x += d`.
fn correction_step(
    a: &CsrMatrix,
    b: &[f64],
    x: &mut [f64],
    d: &mut [f64],
    c_prev: f64,
    c_new: f64,
    inv_diag: &[f64],
) {
    {
        let x: &[f64] = x;
        sparse::for_row_blocks(d, a.nnz(), |r0, block| {
            for (k, di) in block.iter_mut().enumerate() {
                let i = r0 + k;
                let r = b[i] - a.row_dot(i, x);
                *di = c_prev * *di + c_new * inv_diag[i] * r;
            }
        });
    }
    sparse::for_chunks(x, |offset, chunk| {
        for (k, xi) in chunk.iter_mut().enumerate() {
            *xi += d[offset + k];
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tridiagonal_eigenvalue_matches_closed_form() {
        // Tridiagonal (-1, 2, -1) of size m: lambda_max = 2 + 2 cos(pi / (m + 1)).
        let m = 12;
        let a = vec![2.0; m];
        let b = vec![-1.0; m - 1];
        let exact = 2.0 + 2.0 * (std::f64::consts::PI / (m as f64 + 1.0)).cos();
        assert!((tridiagonal_max_eigenvalue(&a, &b) - exact).abs() < 1e-10);
    }

    #[test]
    fn lanczos_estimates_laplacian_spectrum_from_below() {
        let n = 2000;
        let mut t = Vec::new();
        for i in 0..n {
            t.push((i, i, 2.0));
            if i + 1 < n {
                t.push((i, i + 1, -1.0));
                t.push((i + 1, i, -1.0));
            }
        }
        let a = CsrMatrix::from_triplets(n, &t).expect("valid");
        let est = lanczos_max_eigenvalue(n, 12, f64::INFINITY, |x, y| a.matvec(x, y));
        assert!(est <= 4.0 + 1e-12 && est > 3.8, "estimate {est}");
    }
}
