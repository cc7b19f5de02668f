//! Preconditioned conjugate gradients for symmetric positive definite systems, deterministic
//! for any number of rayon threads (all reductions use the fixed chunks of [`super::sparse`]).

use super::sparse::{self, CsrMatrix, REDUCTION_CHUNK, SERIAL_LEN, local_dot};
use rayon::prelude::*;

/// A symmetric positive definite approximation `M` of `A`, applied as `z = M^-1 r`.
pub trait Preconditioner: Sync {
    /// Writes `z = M^-1 r`; `z` is output only (its input values are ignored).
    fn apply(&self, r: &[f64], z: &mut [f64]);
}

/// No preconditioning: `z = r`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Identity;

impl Preconditioner for Identity {
    fn apply(&self, r: &[f64], z: &mut [f64]) {
        z.copy_from_slice(r);
    }
}

/// Jacobi (diagonal) preconditioning: `z_i = r_i / a_ii`.
#[derive(Debug, Clone)]
pub struct Jacobi {
    inv_diag: Vec<f64>,
}

impl Jacobi {
    /// Takes the diagonal of `a`; non-positive or non-finite entries are treated as 1.
    pub fn new(a: &CsrMatrix) -> Jacobi {
        let inv_diag = a
            .diagonal()
            .into_iter()
            .map(|d| {
                if d > 0.0 && d.is_finite() {
                    1.0 / d
                } else {
                    1.0
                }
            })
            .collect();
        Jacobi { inv_diag }
    }
}

impl Preconditioner for Jacobi {
    fn apply(&self, r: &[f64], z: &mut [f64]) {
        let inv = &self.inv_diag;
        sparse::for_chunks(z, |offset, chunk| {
            for (k, zi) in chunk.iter_mut().enumerate() {
                *zi = r[offset + k] * inv[offset + k];
            }
        });
    }
}

/// Outcome of [`pcg`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PcgStats {
    /// Iterations done (matrix-vector products after the initial residual).
    pub iterations: usize,
    /// Whether `||b - A x|| <= rel_tol ||b||` holds for the returned `x`.
    pub converged: bool,
    /// `||b - A x|| / ||b||` of the returned `x`, from an explicitly computed residual
    /// (0 when `b = 0`).
    pub rel_residual: f64,
}

/// The work vectors of [`pcg`], kept between solves: a Newton solve then allocates (and the
/// kernel zeroes) them once rather than at every step.
#[derive(Debug, Clone, Default)]
pub struct PcgWorkspace {
    r: Vec<f64>,
    z: Vec<f64>,
    p: Vec<f64>,
    q: Vec<f64>,
}

/// Solves `A x = b` by preconditioned conjugate gradients, starting from the given `x`, with the
/// work vectors of `work` (resized to `a.n`).
///
/// Stops when `||b - A x||_2 <= rel_tol ||b||_2` (checked on the true residual at the end, so a
/// drifting recursive residual cannot report false convergence), after `max_iter` iterations, or
/// when the method breaks down (`p^T A p <= 0` or `r^T M^-1 r <= 0`: `A` or `M` is not positive
/// definite). When `b = 0` the solution is `x = 0`. `A` and `M` must be symmetric positive
/// definite.
///
/// # Panics
/// If `b` or `x` does not have length `a.n`.
pub fn pcg<P: Preconditioner + ?Sized>(
    work: &mut PcgWorkspace,
    a: &CsrMatrix,
    precond: &P,
    b: &[f64],
    x: &mut [f64],
    rel_tol: f64,
    max_iter: usize,
) -> PcgStats {
    let n = a.n;
    assert!(b.len() == n && x.len() == n, "pcg: length mismatch");
    let b_norm = sparse::norm2(b);
    if b_norm == 0.0 || !b_norm.is_finite() {
        x.fill(0.0);
        return PcgStats {
            iterations: 0,
            converged: b_norm == 0.0,
            rel_residual: if b_norm == 0.0 { 0.0 } else { f64::NAN },
        };
    }
    let target = rel_tol * b_norm;
    let sized = |v: &mut Vec<f64>| {
        let mut v = std::mem::take(v);
        v.resize(n, 0.0);
        v
    };
    let (mut r, mut z) = (sized(&mut work.r), sized(&mut work.z));
    let (mut p, mut q) = (sized(&mut work.p), sized(&mut work.q));
    a.residual(b, x, &mut r);
    let mut r_norm = sparse::norm2(&r);
    let mut iterations = 0;
    // Each pass starts from the true residual. A pass ends on convergence of the recursive
    // residual, the iteration limit, or a breakdown; only the first is worth another pass, and
    // only if the true residual does not confirm it.
    for _pass in 0..MAX_PASSES {
        if r_norm <= target || iterations >= max_iter {
            break;
        }
        precond.apply(&r, &mut z);
        let mut rz = sparse::dot(&r, &z);
        p.copy_from_slice(&z);
        while iterations < max_iter && positive_finite(rz) {
            let pq = a.matvec_dot(&p, &mut q);
            if !positive_finite(pq) {
                break;
            }
            let alpha = rz / pq;
            r_norm = update_solution(alpha, &p, &q, x, &mut r).sqrt();
            iterations += 1;
            if r_norm <= target {
                break;
            }
            precond.apply(&r, &mut z);
            let rz_next = sparse::dot(&r, &z);
            let beta = rz_next / rz;
            rz = rz_next;
            sparse::for_chunks(&mut p, |offset, chunk| {
                for (k, pi) in chunk.iter_mut().enumerate() {
                    *pi = z[offset + k] + beta * *pi;
                }
            });
        }
        let recursive_converged = r_norm <= target;
        a.residual(b, x, &mut r);
        r_norm = sparse::norm2(&r);
        if !recursive_converged {
            break;
        }
    }
    *work = PcgWorkspace { r, z, p, q };
    PcgStats {
        iterations,
        converged: r_norm <= target,
        rel_residual: r_norm / b_norm,
    }
}

/// Most restarts from the true residual after a false convergence of the recursive one.
const MAX_PASSES: usize = 4;

fn positive_finite(v: f64) -> bool {
    v.is_finite() && v > 0.0
}

/// `x += alpha p`, `r -= alpha q` in one pass; returns `||r||^2` summed over the fixed reduction
/// chunks (so the value does not depend on the thread count).
fn update_solution(alpha: f64, p: &[f64], q: &[f64], x: &mut [f64], r: &mut [f64]) -> f64 {
    let chunk = |k: usize, xs: &mut [f64], rs: &mut [f64]| {
        let offset = k * REDUCTION_CHUNK;
        for (i, (xi, ri)) in xs.iter_mut().zip(rs.iter_mut()).enumerate() {
            *xi += alpha * p[offset + i];
            *ri -= alpha * q[offset + i];
        }
        local_dot(rs, rs)
    };
    if x.len() < SERIAL_LEN {
        x.chunks_mut(REDUCTION_CHUNK)
            .zip(r.chunks_mut(REDUCTION_CHUNK))
            .enumerate()
            .map(|(k, (xs, rs))| chunk(k, xs, rs))
            .sum()
    } else {
        let parts: Vec<f64> = x
            .par_chunks_mut(REDUCTION_CHUNK)
            .zip(r.par_chunks_mut(REDUCTION_CHUNK))
            .enumerate()
            .map(|(k, (xs, rs))| chunk(k, xs, rs))
            .collect();
        parts.iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::super::amg::Amg;
    use super::super::amg::testing::{random_m_matrix, rhs};
    use super::*;

    /// Dense Gaussian elimination with partial pivoting (test oracle).
    fn dense_solve(a: &CsrMatrix, b: &[f64]) -> Vec<f64> {
        let n = a.n;
        let mut m = vec![vec![0.0; n + 1]; n];
        for (i, row) in m.iter_mut().enumerate() {
            let (cols, vals) = a.row(i);
            for (&c, &v) in cols.iter().zip(vals) {
                row[c as usize] = v;
            }
            row[n] = b[i];
        }
        for k in 0..n {
            let piv = (k..n)
                .max_by(|&i, &j| m[i][k].abs().total_cmp(&m[j][k].abs()))
                .unwrap_or(k);
            m.swap(k, piv);
            let pivot_row = m[k].clone();
            for row in m.iter_mut().skip(k + 1) {
                let f = row[k] / pivot_row[k];
                for (v, p) in row[k..].iter_mut().zip(&pivot_row[k..]) {
                    *v -= f * p;
                }
            }
        }
        let mut x = vec![0.0; n];
        for i in (0..n).rev() {
            let s: f64 = (i + 1..n).map(|j| m[i][j] * x[j]).sum();
            x[i] = (m[i][n] - s) / m[i][i];
        }
        x
    }

    #[test]
    fn matches_dense_direct_solve_on_random_m_matrices() {
        for seed in 0..6u64 {
            let n = [1usize, 2, 17, 60, 150, 300][seed as usize];
            let a = random_m_matrix(n, 3 * n, seed);
            let b = rhs(n, seed + 100);
            let exact = dense_solve(&a, &b);
            let scale = exact.iter().fold(1e-300f64, |m, v| m.max(v.abs()));
            let amg = Amg::new(&a);
            let preconditioners: [&dyn Preconditioner; 3] = [&Identity, &Jacobi::new(&a), &amg];
            for (k, m) in preconditioners.into_iter().enumerate() {
                let mut x = vec![0.0; n];
                let stats = pcg(
                    &mut PcgWorkspace::default(),
                    &a,
                    m,
                    &b,
                    &mut x,
                    1e-12,
                    20 * n + 20,
                );
                assert!(
                    stats.converged,
                    "seed {seed}, preconditioner {k}: {stats:?}"
                );
                assert!(stats.rel_residual <= 1e-12);
                for (u, v) in x.iter().zip(&exact) {
                    assert!((u - v).abs() <= 1e-8 * scale, "seed {seed}: {u} vs {v}");
                }
            }
        }
    }

    #[test]
    fn zero_rhs_exact_guess_and_iteration_limit() {
        let a = random_m_matrix(50, 150, 7);
        let mut x = vec![1.0; 50];
        let stats = pcg(
            &mut PcgWorkspace::default(),
            &a,
            &Jacobi::new(&a),
            &[0.0; 50],
            &mut x,
            1e-8,
            100,
        );
        assert_eq!(stats.iterations, 0);
        assert!(stats.converged && x.iter().all(|&v| v == 0.0));

        let b = rhs(50, 8);
        let mut x = dense_solve(&a, &b);
        let stats = pcg(
            &mut PcgWorkspace::default(),
            &a,
            &Jacobi::new(&a),
            &b,
            &mut x,
            1e-6,
            100,
        );
        assert_eq!(stats.iterations, 0);
        assert!(stats.converged);

        let mut x = vec![0.0; 50];
        let stats = pcg(
            &mut PcgWorkspace::default(),
            &a,
            &Identity,
            &b,
            &mut x,
            1e-14,
            2,
        );
        assert_eq!(stats.iterations, 2);
        assert!(!stats.converged && stats.rel_residual > 1e-14);
    }
}
