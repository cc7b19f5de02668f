//! Dense Cholesky factorization for the coarsest level (a few hundred rows).

use super::super::sparse::CsrMatrix;

/// Pivots below this fraction of the original diagonal are treated as zero (a singular
/// direction, solved as zero) instead of producing huge or non-finite values.
const PIVOT_TOLERANCE: f64 = 1e-13;

/// Lower-triangular Cholesky factor `L` (`A = L L^T`), rows stored densely.
pub(super) struct DenseCholesky {
    n: usize,
    /// Row-major `n x n`; only the lower triangle is used.
    l: Vec<f64>,
    /// `1 / L_jj`, or 0 where the pivot was singular.
    inv_pivot: Vec<f64>,
}

impl DenseCholesky {
    /// Factors the symmetric matrix `a` (its lower triangle is read).
    pub(super) fn new(a: &CsrMatrix) -> Self {
        let n = a.n;
        let mut l = vec![0.0; n * n];
        for i in 0..n {
            let (cols, vals) = a.row(i);
            for (&c, &v) in cols.iter().zip(vals) {
                if (c as usize) <= i {
                    l[i * n + c as usize] = v;
                }
            }
        }
        let mut inv_pivot = vec![0.0; n];
        for i in 0..n {
            let (done, rest) = l.split_at_mut(i * n);
            let row_i = &mut rest[..n];
            for j in 0..i {
                let row_j = &done[j * n..j * n + j];
                let s: f64 = row_i[..j].iter().zip(row_j).map(|(x, y)| x * y).sum();
                row_i[j] = (row_i[j] - s) * inv_pivot[j];
            }
            let original = row_i[i];
            let s: f64 = row_i[..i].iter().map(|x| x * x).sum();
            let pivot = original - s;
            if pivot > PIVOT_TOLERANCE * original.abs() && pivot.is_finite() {
                let root = pivot.sqrt();
                row_i[i] = root;
                inv_pivot[i] = 1.0 / root;
            } else {
                row_i[i] = 0.0;
                inv_pivot[i] = 0.0;
            }
        }
        DenseCholesky { n, l, inv_pivot }
    }

    /// Heap bytes held.
    pub(super) fn memory_bytes(&self) -> usize {
        8 * (self.l.len() + self.inv_pivot.len())
    }

    /// Solves `L L^T x = b` (singular directions get zero).
    pub(super) fn solve(&self, b: &[f64], x: &mut [f64]) {
        let n = self.n;
        for i in 0..n {
            let row = &self.l[i * n..i * n + i];
            let s: f64 = row.iter().zip(&x[..i]).map(|(l, y)| l * y).sum();
            x[i] = (b[i] - s) * self.inv_pivot[i];
        }
        for i in (0..n).rev() {
            x[i] *= self.inv_pivot[i];
            let xi = x[i];
            let row = &self.l[i * n..i * n + i];
            for (xk, &lik) in x[..i].iter_mut().zip(row) {
                *xk -= lik * xi;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_small_spd_system() {
        let t = [
            (0, 0, 4.0),
            (0, 1, -1.0),
            (1, 0, -1.0),
            (1, 1, 4.0),
            (1, 2, -2.0),
            (2, 1, -2.0),
            (2, 2, 5.0),
        ];
        let a = CsrMatrix::from_triplets(3, &t).expect("valid");
        let chol = DenseCholesky::new(&a);
        let b = [1.0, 2.0, 3.0];
        let mut x = [0.0; 3];
        chol.solve(&b, &mut x);
        let mut ax = [0.0; 3];
        a.matvec(&x, &mut ax);
        for i in 0..3 {
            assert!((ax[i] - b[i]).abs() < 1e-12);
        }
    }
}
