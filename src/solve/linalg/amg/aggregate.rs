//! Strength of connection and greedy (Vanek-style) aggregation. Everything here is either
//! computed per row (parallel, thread-count independent) or by a serial sweep in index order, so
//! the aggregates never depend on scheduling.

use super::super::sparse::{CsrMatrix, ROW_BLOCK, row_blocks_mut};
use rayon::prelude::*;

/// Marks a fine row that belongs to no aggregate (its prolongator row is empty).
pub(super) const NO_AGGREGATE: u32 = u32::MAX;

/// The result of aggregating one level.
pub(super) struct Aggregation {
    /// Aggregate (coarse row) of each fine row, or [`NO_AGGREGATE`].
    pub(super) aggregate: Vec<u32>,
    /// Number of aggregates.
    pub(super) n_coarse: usize,
    /// Whether each aggregate is a lone dense row (a vapour node), to stay alone below.
    pub(super) coarse_dense: Vec<bool>,
}

/// Marks rows that must stay alone: rows with far more entries than average (heat-pipe vapour
/// nodes) and rows inherited as such from the finer level.
pub(super) fn dense_rows(
    a: &CsrMatrix,
    inherited: Option<&[bool]>,
    min_len: usize,
    factor: f64,
) -> Vec<bool> {
    let n = a.n;
    if n == 0 {
        return Vec::new();
    }
    let mean_off = a.nnz().saturating_sub(n) as f64 / n as f64;
    let limit = (factor * mean_off).max(min_len as f64);
    (0..n)
        .map(|i| {
            let off = (a.row_ptr[i + 1] - a.row_ptr[i]).saturating_sub(1);
            off as f64 > limit || inherited.is_some_and(|d| d.get(i).copied().unwrap_or(false))
        })
        .collect()
}

/// Symmetric strength of connection: entry `(i, j)`, `i != j`, is strong when
/// `|a_ij| >= theta sqrt(|a_ii a_jj|)` and neither row is dense. One flag per stored entry.
pub(super) fn strength(a: &CsrMatrix, theta: f64, dense: &[bool]) -> Vec<bool> {
    let diag: Vec<f64> = a.diagonal().iter().map(|d| d.abs()).collect();
    let mut strong = vec![false; a.nnz()];
    let blocks = row_blocks_mut(&mut strong, &a.row_ptr, ROW_BLOCK);
    blocks.into_par_iter().for_each(|(r0, flags)| {
        let r1 = (r0 + ROW_BLOCK).min(a.n);
        let base = a.row_ptr[r0];
        for i in r0..r1 {
            if dense[i] {
                continue;
            }
            let (cols, vals) = a.row(i);
            let start = a.row_ptr[i] - base;
            for (k, (&c, &v)) in cols.iter().zip(vals).enumerate() {
                let j = c as usize;
                flags[start + k] = j != i
                    && !dense[j]
                    && v != 0.0
                    && v.abs() >= theta * (diag[i] * diag[j]).sqrt();
            }
        }
    });
    strong
}

/// Whether row `i` has at least one strong connection.
fn has_strong(a: &CsrMatrix, strong: &[bool], i: usize) -> bool {
    strong[a.row_ptr[i]..a.row_ptr[i + 1]].iter().any(|&s| s)
}

/// Strong neighbours of row `i` with the magnitude of the connection.
fn strong_neighbours<'a>(
    a: &'a CsrMatrix,
    strong: &'a [bool],
    i: usize,
) -> impl Iterator<Item = (usize, f64)> + 'a {
    let r = a.row_ptr[i]..a.row_ptr[i + 1];
    a.col_idx[r.clone()]
        .iter()
        .zip(&a.values[r.clone()])
        .zip(&strong[r])
        .filter(|(_, s)| **s)
        .map(|((&c, &v), _)| (c as usize, v.abs()))
}

/// Greedy aggregation in index order.
///
/// 1. A row whose strong neighbours are all free becomes a root: it and its neighbours form an
///    aggregate.
/// 2. A free row with strong neighbours joins the phase-1 aggregate it is most strongly tied to.
/// 3. Remaining rows with strong neighbours form aggregates with their free neighbours.
/// 4. Rows without strong neighbours: dense rows become singletons; other rows become singletons
///    when their off-diagonal sum exceeds `isolated_ratio` times the diagonal, and otherwise get
///    no aggregate (the smoother alone resolves them, e.g. identity rows of Dirichlet nodes).
pub(super) fn aggregate(
    a: &CsrMatrix,
    strong: &[bool],
    dense: &[bool],
    isolated_ratio: f64,
) -> Aggregation {
    let n = a.n;
    let mut agg = vec![NO_AGGREGATE; n];
    let mut n_coarse = 0u32;
    let connected: Vec<bool> = (0..n).map(|i| has_strong(a, strong, i)).collect();

    for i in 0..n {
        if !connected[i] || agg[i] != NO_AGGREGATE {
            continue;
        }
        if strong_neighbours(a, strong, i).all(|(j, _)| agg[j] == NO_AGGREGATE) {
            agg[i] = n_coarse;
            for (j, _) in strong_neighbours(a, strong, i) {
                agg[j] = n_coarse;
            }
            n_coarse += 1;
        }
    }

    let phase1 = agg.clone();
    for i in 0..n {
        if !connected[i] || agg[i] != NO_AGGREGATE {
            continue;
        }
        let mut best: Option<(f64, u32)> = None;
        for (j, w) in strong_neighbours(a, strong, i) {
            if phase1[j] != NO_AGGREGATE && best.is_none_or(|(bw, _)| w > bw) {
                best = Some((w, phase1[j]));
            }
        }
        if let Some((_, c)) = best {
            agg[i] = c;
        }
    }

    for i in 0..n {
        if !connected[i] || agg[i] != NO_AGGREGATE {
            continue;
        }
        agg[i] = n_coarse;
        for (j, _) in strong_neighbours(a, strong, i) {
            if agg[j] == NO_AGGREGATE {
                agg[j] = n_coarse;
            }
        }
        n_coarse += 1;
    }

    let mut coarse_dense = vec![false; n_coarse as usize];
    for i in 0..n {
        if agg[i] != NO_AGGREGATE {
            continue;
        }
        let (cols, vals) = a.row(i);
        let diag = a.values[a.diag_index[i]];
        let off: f64 = cols
            .iter()
            .zip(vals)
            .filter(|(c, _)| **c as usize != i)
            .map(|(_, v)| v.abs())
            .sum();
        let diagonal_ok = diag.is_finite() && diag > 0.0;
        if dense[i] || !diagonal_ok || off > isolated_ratio * diag {
            agg[i] = n_coarse;
            coarse_dense.push(dense[i]);
            n_coarse += 1;
        }
    }

    Aggregation {
        aggregate: agg,
        n_coarse: n_coarse as usize,
        coarse_dense,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(n: usize, weak_at: usize) -> CsrMatrix {
        let mut t = Vec::new();
        for i in 0..n {
            t.push((i, i, 2.0));
            if i + 1 < n {
                let g = if i == weak_at { 1e-4 } else { 1.0 };
                t.push((i, i + 1, -g));
                t.push((i + 1, i, -g));
            }
        }
        CsrMatrix::from_triplets(n, &t).expect("valid")
    }

    #[test]
    fn path_aggregates_are_contiguous_and_respect_weak_links() {
        let a = path(10, 4);
        let dense = vec![false; a.n];
        let strong = strength(&a, 0.08, &dense);
        let agg = aggregate(&a, &strong, &dense, 0.1);
        assert!(agg.aggregate.iter().all(|&c| c != NO_AGGREGATE));
        // No aggregate spans the weak link between rows 4 and 5.
        assert_ne!(agg.aggregate[4], agg.aggregate[5]);
        assert!(agg.n_coarse <= 5);
    }

    #[test]
    fn identity_rows_are_left_out_and_dense_rows_stay_alone() {
        // Row 0: identity. Rows 1..=60: a path. Row 61: coupled to all path rows.
        let mut t = vec![(0, 0, 1.0)];
        for i in 1..=60 {
            t.push((i, i, 2.1));
            t.push((i, 61, -0.1));
            t.push((61, i, -0.1));
            if i < 60 {
                t.push((i, i + 1, -1.0));
                t.push((i + 1, i, -1.0));
            }
        }
        t.push((61, 61, 6.0));
        let a = CsrMatrix::from_triplets(62, &t).expect("valid");
        let dense = dense_rows(&a, None, 40, 8.0);
        assert!(dense[61] && !dense[1]);
        let strong = strength(&a, 0.08, &dense);
        let agg = aggregate(&a, &strong, &dense, 0.1);
        assert_eq!(agg.aggregate[0], NO_AGGREGATE);
        let v = agg.aggregate[61];
        assert!(agg.coarse_dense[v as usize]);
        assert_eq!(agg.aggregate.iter().filter(|&&c| c == v).count(), 1);
    }
}
