//! The smoothed-aggregation prolongator `P = (I - omega D_F^-1 A_F) P_tent`, its transpose, and
//! the Galerkin product `P^T A P`, each split into a symbolic part (patterns, computed once) and a
//! numeric part (values, recomputed by `refresh`).
//!
//! `A_F` is the filtered matrix: strong off-diagonal entries only, with the dropped entries
//! lumped onto the diagonal so that `A_F` keeps the row sums (and so the constant) of `A`, within
//! the limit set in [`filtered_diagonal`]. `rho(D_F^-1 A_F)` is bounded by Gershgorin (at most 2).

use super::super::sparse::{self, CsrMatrix, ROW_BLOCK, RowBlock, join_row_blocks, row_blocks_mut};
use super::aggregate::NO_AGGREGATE;
use super::smoother::positive_inverse;
use crate::trace::Steps;
use rayon::prelude::*;

/// Coarse rows per parallel task in the Galerkin product.
const GALERKIN_BLOCK: usize = 256;

/// A rectangular CSR matrix (the prolongator and the restriction).
#[derive(Debug, Clone)]
pub(super) struct RectCsr {
    pub(super) ncols: usize,
    pub(super) row_ptr: Vec<usize>,
    pub(super) col_idx: Vec<u32>,
    pub(super) values: Vec<f64>,
}

impl RectCsr {
    /// `y = M x`.
    pub(super) fn matvec(&self, x: &[f64], y: &mut [f64]) {
        sparse::spmv(&self.row_ptr, &self.col_idx, &self.values, x, y);
    }

    /// `y += M x`.
    pub(super) fn matvec_add(&self, x: &[f64], y: &mut [f64]) {
        sparse::spmv_add(&self.row_ptr, &self.col_idx, &self.values, x, y);
    }

    fn row(&self, i: usize) -> (&[u32], &[f64]) {
        let r = self.row_ptr[i]..self.row_ptr[i + 1];
        (&self.col_idx[r.clone()], &self.values[r])
    }
}

/// Transfer operators between one level and the next coarser one.
pub(super) struct Transfer {
    /// Aggregate of each fine row.
    aggregate: Vec<u32>,
    /// Strength flag of each fine entry (fixed at setup: it defines the filtered matrix).
    strong: Vec<bool>,
    /// Prolongator, fine rows by coarse columns.
    pub(super) p: RectCsr,
    /// Restriction `P^T`.
    pub(super) r: RectCsr,
    /// Weight of the prolongator smoothing step (`4/3 / rho(D_F^-1 A_F)`), kept for statistics.
    pub(super) omega: f64,
}

impl Transfer {
    /// Builds the operators from an aggregation and returns the coarse (Galerkin) matrix.
    pub(super) fn build(
        a: &CsrMatrix,
        aggregate: Vec<u32>,
        n_coarse: usize,
        strong: Vec<bool>,
        weight: f64,
        steps: &mut Steps,
    ) -> (Transfer, CsrMatrix) {
        let p = prolongator_pattern(a, &aggregate, &strong, n_coarse);
        steps.end("prolongator pattern");
        let r = transpose(&p, a.n);
        steps.end("restriction pattern");
        let mut transfer = Transfer {
            aggregate,
            strong,
            p,
            r,
            omega: 0.0,
        };
        transfer.refresh_operators(a, weight);
        steps.end("transfer values");
        let coarse = galerkin_product(&transfer.r, a, &transfer.p);
        steps.end("Galerkin product");
        (transfer, coarse)
    }

    /// Heap bytes held (by vector lengths).
    pub(super) fn memory_bytes(&self) -> usize {
        let csr = |m: &RectCsr| 8 * m.row_ptr.len() + 12 * m.values.len();
        4 * self.aggregate.len() + self.strong.len() + csr(&self.p) + csr(&self.r)
    }

    /// Recomputes the prolongator, restriction and coarse values for new fine values (same
    /// pattern as at setup).
    pub(super) fn refresh(&mut self, a: &CsrMatrix, coarse: &mut CsrMatrix, weight: f64) {
        self.refresh_operators(a, weight);
        galerkin_values(&self.r, a, &self.p, coarse);
    }

    /// Recomputes the prolongator and restriction values for new fine values.
    fn refresh_operators(&mut self, a: &CsrMatrix, weight: f64) {
        let filtered_diag = filtered_diagonal(a, &self.strong);
        let strong = &self.strong;
        // Gershgorin bound of rho(D_F^-1 A_F); at most 2 by the choice of D_F. (A Lanczos
        // estimate changed no iteration count in the tests and costs several products.)
        let rho = (0..a.n)
            .into_par_iter()
            .with_min_len(4096)
            .map(|i| {
                let r = a.row_ptr[i]..a.row_ptr[i + 1];
                let kept: f64 = a.values[r.clone()]
                    .iter()
                    .zip(&strong[r])
                    .filter(|(_, s)| **s)
                    .map(|(v, _)| v.abs())
                    .sum();
                1.0 + kept * positive_inverse(filtered_diag[i])
            })
            .reduce(|| 1.0, f64::max);
        self.omega = weight / rho;
        self.fill_prolongator(a, &filtered_diag);
        self.fill_restriction();
    }

    /// `R = P^T`, entry by entry: `r_ci,i` is found in row `i` of `P` (a few entries).
    fn fill_restriction(&mut self) {
        let p = &self.p;
        let RectCsr {
            row_ptr,
            col_idx,
            values,
            ..
        } = &mut self.r;
        let blocks = row_blocks_mut(values, row_ptr, ROW_BLOCK);
        blocks.into_par_iter().for_each(|(c0, vals)| {
            let base = row_ptr[c0];
            for c in c0..(c0 + ROW_BLOCK).min(row_ptr.len() - 1) {
                let coarse = c as u32;
                for e in row_ptr[c]..row_ptr[c + 1] {
                    let (p_cols, p_vals) = p.row(col_idx[e] as usize);
                    let k = p_cols.iter().position(|&pc| pc == coarse);
                    vals[e - base] = k.map_or(0.0, |k| p_vals[k]);
                }
            }
        });
    }

    /// Numeric prolongator: row `i` is `e_agg(i) - omega/d_F(i) sum_{j strong} a_ij e_agg(j)`
    /// (with the diagonal term `1 - omega`), or just `e_agg(i)` for rows without strong entries.
    fn fill_prolongator(&mut self, a: &CsrMatrix, filtered_diag: &[f64]) {
        let omega = self.omega;
        let (aggregate, strong) = (&self.aggregate, &self.strong);
        let RectCsr {
            row_ptr,
            col_idx,
            values,
            ..
        } = &mut self.p;
        let blocks = row_blocks_mut(values, row_ptr, ROW_BLOCK);
        blocks.into_par_iter().for_each(|(r0, vals)| {
            let r1 = (r0 + ROW_BLOCK).min(a.n);
            let base = row_ptr[r0];
            for i in r0..r1 {
                let cols = &col_idx[row_ptr[i]..row_ptr[i + 1]];
                let out = &mut vals[row_ptr[i] - base..row_ptr[i + 1] - base];
                out.fill(0.0);
                let mut add = |c: u32, v: f64| {
                    if let Ok(k) = cols.binary_search(&c) {
                        out[k] += v;
                    }
                };
                let r = a.row_ptr[i]..a.row_ptr[i + 1];
                let connected = strong[r.clone()].iter().any(|&s| s);
                if !connected {
                    if aggregate[i] != NO_AGGREGATE {
                        add(aggregate[i], 1.0);
                    }
                    continue;
                }
                let scale = omega * positive_inverse(filtered_diag[i]);
                add(aggregate[i], 1.0 - omega);
                for ((&c, &v), &s) in a.col_idx[r.clone()]
                    .iter()
                    .zip(&a.values[r.clone()])
                    .zip(&strong[r])
                {
                    let j = c as usize;
                    if s && aggregate[j] != NO_AGGREGATE {
                        add(aggregate[j], -scale * v);
                    }
                }
            }
        });
    }
}

/// Diagonal of the filtered matrix: `a_ii` plus the dropped (weak) off-diagonal entries of row
/// `i`, so that `A_F` keeps the row sums of `A`; but never below the sum of the kept entries'
/// magnitudes, so that every row of `D_F^-1 A_F` stays within the Gershgorin bound 2 (lumping a
/// strong heat-pipe coupling, or positive entries of a coarse operator, could otherwise leave a
/// tiny diagonal that would dictate a tiny damping for the whole level).
fn filtered_diagonal(a: &CsrMatrix, strong: &[bool]) -> Vec<f64> {
    let mut d = vec![0.0; a.n];
    sparse::for_row_blocks(&mut d, a.nnz(), |r0, block| {
        for (k, di) in block.iter_mut().enumerate() {
            let i = r0 + k;
            let r = a.row_ptr[i]..a.row_ptr[i + 1];
            let diag = a.values[a.diag_index[i]];
            let (mut lumped, mut kept) = (diag, 0.0);
            for ((&c, &v), &s) in a.col_idx[r.clone()]
                .iter()
                .zip(&a.values[r.clone()])
                .zip(&strong[r])
            {
                if s {
                    kept += v.abs();
                } else if c as usize != i {
                    lumped += v;
                }
            }
            let filtered = lumped.max(kept);
            *di = if filtered > 0.0 { filtered } else { diag };
        }
    });
    d
}

/// Pattern of the prolongator: row `i` holds the aggregates of `i` and of its strong neighbours.
fn prolongator_pattern(
    a: &CsrMatrix,
    aggregate: &[u32],
    strong: &[bool],
    n_coarse: usize,
) -> RectCsr {
    let blocks: Vec<RowBlock> = (0..a.n.div_ceil(ROW_BLOCK))
        .into_par_iter()
        .map(|b| {
            let mut block = RowBlock::default();
            let mut row = Vec::new();
            for i in b * ROW_BLOCK..((b + 1) * ROW_BLOCK).min(a.n) {
                row.clear();
                if aggregate[i] != NO_AGGREGATE {
                    row.push(aggregate[i]);
                }
                let r = a.row_ptr[i]..a.row_ptr[i + 1];
                for (&c, &s) in a.col_idx[r.clone()].iter().zip(&strong[r]) {
                    let g = aggregate[c as usize];
                    if s && g != NO_AGGREGATE {
                        row.push(g);
                    }
                }
                row.sort_unstable();
                row.dedup();
                block.col_idx.extend_from_slice(&row);
                block.end_row();
            }
            block.values = vec![0.0; block.col_idx.len()];
            block
        })
        .collect();
    let (row_ptr, col_idx, values) = join_row_blocks(&blocks);
    RectCsr {
        ncols: n_coarse,
        row_ptr,
        col_idx,
        values,
    }
}

/// Pattern of `P^T`, with zero values: row `c` lists the fine rows of `P` that hold column `c`,
/// in increasing order.
fn transpose(p: &RectCsr, nrows: usize) -> RectCsr {
    let (row_ptr, col_idx) =
        sparse::transpose_pattern(&p.row_ptr, &p.col_idx, p.ncols, |_, _| true);
    debug_assert_eq!(row_ptr.len(), p.ncols + 1);
    let values = vec![0.0; col_idx.len()];
    RectCsr {
        ncols: nrows,
        row_ptr,
        col_idx,
        values,
    }
}

/// Blocks each rayon task takes at least, so that the per-task scratch of a Galerkin product
/// (an array over every coarse column: 13 MB on the finest level of a 10^7-cell model) is made
/// a few times per thread rather than once per block.
fn blocks_per_scratch(n_blocks: usize) -> usize {
    n_blocks.div_ceil(4 * rayon::current_num_threads()).max(1)
}

/// Calls `add(c, r_ci,i a_ik p_kc)` for every term of row `ci` of `R A P`, in a fixed order
/// (restriction row, then fine row, then prolongator row): each coarse entry is the sum of its
/// terms in this order, whichever function sums them.
#[inline]
fn rap_terms(r: &RectCsr, a: &CsrMatrix, p: &RectCsr, ci: usize, mut add: impl FnMut(u32, f64)) {
    let (r_cols, r_vals) = r.row(ci);
    for (&i, &rv) in r_cols.iter().zip(r_vals) {
        let (a_cols, a_vals) = a.row(i as usize);
        for (&k, &av) in a_cols.iter().zip(a_vals) {
            let t = rv * av;
            let (p_cols, p_vals) = p.row(k as usize);
            for (&c, &pv) in p_cols.iter().zip(p_vals) {
                add(c, t * pv);
            }
        }
    }
}

/// `R A P` (its pattern always includes the diagonal), pattern and values in one pass. Entries
/// are summed in [`rap_terms`]' order, as [`galerkin_values`] sums them, so a refresh with the
/// same fine values reproduces these bits.
fn galerkin_product(r: &RectCsr, a: &CsrMatrix, p: &RectCsr) -> CsrMatrix {
    let nc = p.ncols;
    let n_blocks = nc.div_ceil(GALERKIN_BLOCK);
    let blocks: Vec<RowBlock> = (0..n_blocks)
        .into_par_iter()
        .with_min_len(blocks_per_scratch(n_blocks))
        .map_init(
            || (vec![u32::MAX; nc], vec![0.0f64; nc]),
            |(marker, acc), b| {
                let mut block = RowBlock::default();
                let RowBlock {
                    row_end,
                    col_idx: cols,
                    values: vals,
                } = &mut block;
                for ci in b * GALERKIN_BLOCK..((b + 1) * GALERKIN_BLOCK).min(nc) {
                    let start = cols.len();
                    let tag = ci as u32;
                    marker[ci] = tag;
                    cols.push(tag);
                    rap_terms(r, a, p, ci, |c, term| {
                        if marker[c as usize] != tag {
                            marker[c as usize] = tag;
                            cols.push(c);
                        }
                        acc[c as usize] += term;
                    });
                    cols[start..].sort_unstable();
                    vals.extend(
                        cols[start..]
                            .iter()
                            .map(|&c| std::mem::take(&mut acc[c as usize])),
                    );
                    row_end.push(cols.len());
                }
                block
            },
        )
        .collect();
    let (row_ptr, col_idx, values) = join_row_blocks(&blocks);
    let diag_index = (0..nc)
        .map(|i| {
            let cols = &col_idx[row_ptr[i]..row_ptr[i + 1]];
            row_ptr[i] + cols.binary_search(&(i as u32)).unwrap_or(0)
        })
        .collect();
    CsrMatrix {
        n: nc,
        row_ptr,
        col_idx,
        values,
        diag_index,
        grids: Vec::new(),
    }
}

/// Values of `R A P` on the pattern of `coarse`. Each coarse entry is summed in a fixed order
/// (restriction row, then fine row, then prolongator row), independent of threads.
fn galerkin_values(r: &RectCsr, a: &CsrMatrix, p: &RectCsr, coarse: &mut CsrMatrix) {
    let nc = coarse.n;
    let CsrMatrix {
        row_ptr,
        col_idx,
        values,
        ..
    } = coarse;
    let blocks = row_blocks_mut(values, row_ptr, GALERKIN_BLOCK);
    let min_len = blocks_per_scratch(blocks.len());
    blocks.into_par_iter().with_min_len(min_len).for_each_init(
        || vec![0.0f64; nc],
        |acc, (r0, vals)| {
            let base = row_ptr[r0];
            for ci in r0..(r0 + GALERKIN_BLOCK).min(nc) {
                rap_terms(r, a, p, ci, |c, term| acc[c as usize] += term);
                let range = row_ptr[ci]..row_ptr[ci + 1];
                let out = &mut vals[range.start - base..range.end - base];
                for (o, &c) in out.iter_mut().zip(&col_idx[range]) {
                    *o = std::mem::take(&mut acc[c as usize]);
                }
            }
        },
    );
}
