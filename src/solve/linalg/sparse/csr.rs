//! The square CSR matrix: its builders (from triplets, from checked raw arrays), its accessors
//! and its products (`A x`, `A x` fused with a dot product, `b - A x`).

use rayon::prelude::*;
use std::fmt;

use super::kernels::{for_row_blocks, local_dot, sparse_dot, spmv};
use super::pattern::row_blocks_mut;
use super::{REDUCTION_CHUNK, ROW_BLOCK, SERIAL_LEN};

/// Why a matrix could not be built.
#[derive(Debug, Clone, PartialEq)]
pub enum SparseError {
    /// The dimension does not fit the 32-bit column indices.
    TooLarge {
        /// The requested dimension.
        n: usize,
    },
    /// A row or column index is not below the dimension.
    IndexOutOfRange {
        /// Position of the offending entry in the input.
        entry: usize,
        /// Its row.
        row: usize,
        /// Its column.
        col: usize,
        /// The dimension.
        n: usize,
    },
    /// A value is NaN or infinite.
    NonFinite {
        /// Position of the offending entry in the input.
        entry: usize,
        /// Its row.
        row: usize,
        /// Its column.
        col: usize,
    },
    /// Raw CSR arrays are inconsistent (lengths, unsorted or repeated columns, missing diagonal).
    Malformed(String),
}

impl fmt::Display for SparseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SparseError::TooLarge { n } => {
                write!(f, "matrix dimension {n} exceeds the limit of {}", u32::MAX)
            }
            SparseError::IndexOutOfRange { entry, row, col, n } => write!(
                f,
                "entry {entry} at ({row}, {col}) lies outside the {n} x {n} matrix"
            ),
            SparseError::NonFinite { entry, row, col } => {
                write!(f, "entry {entry} at ({row}, {col}) is not a finite number")
            }
            SparseError::Malformed(why) => write!(f, "malformed CSR matrix: {why}"),
        }
    }
}

impl std::error::Error for SparseError {}

/// A square sparse matrix in CSR form.
///
/// Invariants (established by the constructors; keep them if you touch the public fields):
/// columns within a row are strictly increasing, every row stores its diagonal entry, and
/// `diag_index[i]` is the position of entry `(i, i)` in `col_idx` / `values`. Only `values` may
/// be changed after construction (see [`CsrMatrix::values_mut`]); the pattern is fixed.
#[derive(Debug, Clone, PartialEq)]
pub struct CsrMatrix {
    /// Number of rows and columns.
    pub n: usize,
    /// Row `i` occupies positions `row_ptr[i]..row_ptr[i + 1]`; length `n + 1`.
    pub row_ptr: Vec<usize>,
    /// Column of each stored entry.
    pub col_idx: Vec<u32>,
    /// Value of each stored entry.
    pub values: Vec<f64>,
    /// Position of each row's diagonal entry; length `n`.
    pub diag_index: Vec<usize>,
    /// Rows that form structured grids coupled by a 5-point stencil (the panels of a Newton
    /// matrix): a hint that lets a backend store those couplings as stencils. Empty unless the
    /// assembler sets it; the entries stay the truth (see [`GridRows`]).
    pub grids: Vec<GridRows>,
}

/// Rows `first .. first + nu * nv` of a matrix laid out as a `nu x nv` grid, row `(i, j)` at
/// `first + i + nu * j`, whose entry to each grid neighbour is expected to be `-g[0]` along i
/// and `-g[1]` along j. The expectation is only a hint: an entry that differs (or is missing)
/// is still the matrix's value, and a consumer must check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GridRows {
    pub first: usize,
    pub nu: usize,
    pub nv: usize,
    pub g: [f64; 2],
}

impl CsrMatrix {
    /// Builds a matrix from unsorted `(row, col, value)` triplets, summing duplicates in input
    /// order (so the result is deterministic). A missing diagonal entry is stored as an explicit
    /// zero; explicit zeros in the input are kept as part of the pattern.
    pub fn from_triplets(n: usize, triplets: &[(usize, usize, f64)]) -> Result<Self, SparseError> {
        if n > u32::MAX as usize {
            return Err(SparseError::TooLarge { n });
        }
        // Counting sort by row: count, prefix-sum, scatter in input order.
        let mut start = vec![0usize; n + 1];
        for (entry, &(row, col, value)) in triplets.iter().enumerate() {
            if row >= n || col >= n {
                return Err(SparseError::IndexOutOfRange { entry, row, col, n });
            }
            if !value.is_finite() {
                return Err(SparseError::NonFinite { entry, row, col });
            }
            start[row + 1] += 1;
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut next = start.clone();
        let mut entries = vec![(0u32, 0.0f64); triplets.len()];
        for &(row, col, value) in triplets {
            entries[next[row]] = (col as u32, value);
            next[row] += 1;
        }
        drop(next);

        // Sort each row by column (stable: duplicates keep input order) and count the distinct
        // columns plus a diagonal slot where the diagonal is missing.
        let mut blocks = row_blocks_mut(&mut entries, &start, ROW_BLOCK);
        let lengths: Vec<Vec<usize>> = blocks
            .par_iter_mut()
            .map(|(r0, block)| {
                let r1 = (*r0 + ROW_BLOCK).min(n);
                let base = start[*r0];
                (*r0..r1)
                    .map(|i| {
                        let row = &mut block[start[i] - base..start[i + 1] - base];
                        row.sort_by_key(|e| e.0);
                        distinct_with_diagonal(row, i as u32)
                    })
                    .collect()
            })
            .collect();
        let mut row_ptr = Vec::with_capacity(n + 1);
        row_ptr.push(0usize);
        for len in lengths.iter().flatten() {
            let last = row_ptr[row_ptr.len() - 1];
            row_ptr.push(last + len);
        }
        let nnz = row_ptr[n];
        let mut col_idx = vec![0u32; nnz];
        let mut values = vec![0.0f64; nnz];
        let col_blocks = row_blocks_mut(&mut col_idx, &row_ptr, ROW_BLOCK);
        let val_blocks = row_blocks_mut(&mut values, &row_ptr, ROW_BLOCK);
        let diag_index: Vec<Vec<usize>> = blocks
            .into_par_iter()
            .zip(col_blocks.into_par_iter().zip(val_blocks))
            .map(|((r0, block), ((_, cols), (_, vals)))| {
                let r1 = (r0 + ROW_BLOCK).min(n);
                let (in_base, out_base) = (start[r0], row_ptr[r0]);
                (r0..r1)
                    .map(|i| {
                        let input = &block[start[i] - in_base..start[i + 1] - in_base];
                        let out = row_ptr[i] - out_base..row_ptr[i + 1] - out_base;
                        let pos =
                            merge_row(input, i as u32, &mut cols[out.clone()], &mut vals[out]);
                        row_ptr[i] + pos
                    })
                    .collect()
            })
            .collect();
        Ok(CsrMatrix {
            n,
            row_ptr,
            col_idx,
            values,
            diag_index: diag_index.into_iter().flatten().collect(),
            grids: Vec::new(),
        })
    }

    /// Builds a matrix from raw CSR arrays after checking every invariant (lengths, sorted
    /// distinct columns in range, diagonal present, finite values).
    pub fn from_csr(
        n: usize,
        row_ptr: Vec<usize>,
        col_idx: Vec<u32>,
        values: Vec<f64>,
    ) -> Result<Self, SparseError> {
        let bad = |why: String| Err(SparseError::Malformed(why));
        if n > u32::MAX as usize {
            return Err(SparseError::TooLarge { n });
        }
        if row_ptr.len() != n + 1 || row_ptr[0] != 0 {
            return bad(format!(
                "row_ptr must have n + 1 = {} entries starting at 0",
                n + 1
            ));
        }
        if row_ptr[n] != col_idx.len() || col_idx.len() != values.len() {
            return bad("row_ptr[n], col_idx and values disagree on the entry count".into());
        }
        // Row blocks checked in parallel (10^7 rows at a Newton matrix of 10^7 cells); the
        // first bad row in row order is the one reported.
        let check_row = |i: usize| -> Result<usize, SparseError> {
            let (s, e) = (row_ptr[i], row_ptr[i + 1]);
            if s > e || e > col_idx.len() {
                return Err(SparseError::Malformed(format!(
                    "row_ptr is not non-decreasing at row {i}"
                )));
            }
            let cols = &col_idx[s..e];
            if cols.windows(2).any(|w| w[0] >= w[1]) {
                return Err(SparseError::Malformed(format!(
                    "columns of row {i} are not strictly increasing"
                )));
            }
            if cols.last().is_some_and(|&c| c as usize >= n) {
                return Err(SparseError::Malformed(format!(
                    "row {i} has a column index >= {n}"
                )));
            }
            let diagonal = match cols.binary_search(&(i as u32)) {
                Ok(k) => s + k,
                Err(_) => {
                    return Err(SparseError::Malformed(format!(
                        "row {i} stores no diagonal entry"
                    )));
                }
            };
            if let Some(k) = values[s..e].iter().position(|v| !v.is_finite()) {
                return Err(SparseError::NonFinite {
                    entry: s + k,
                    row: i,
                    col: cols[k] as usize,
                });
            }
            Ok(diagonal)
        };
        let blocks: Vec<Result<Vec<usize>, SparseError>> = (0..n.div_ceil(ROW_BLOCK))
            .into_par_iter()
            .map(|b| {
                (b * ROW_BLOCK..((b + 1) * ROW_BLOCK).min(n))
                    .map(check_row)
                    .collect()
            })
            .collect();
        let mut diag_index = Vec::with_capacity(n);
        for block in blocks {
            diag_index.extend(block?);
        }
        Ok(CsrMatrix {
            n,
            row_ptr,
            col_idx,
            values,
            diag_index,
            grids: Vec::new(),
        })
    }

    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.values.len()
    }

    /// Columns and values of row `i`.
    pub fn row(&self, i: usize) -> (&[u32], &[f64]) {
        let r = self.row_ptr[i]..self.row_ptr[i + 1];
        (&self.col_idx[r.clone()], &self.values[r])
    }

    /// The values, for an update in place that keeps the pattern (for instance a Newton step
    /// that changes only the diagonal: write `values_mut()[diag_index[i]]`).
    pub fn values_mut(&mut self) -> &mut [f64] {
        &mut self.values
    }

    /// The diagonal entries.
    pub fn diagonal(&self) -> Vec<f64> {
        self.diag_index.iter().map(|&k| self.values[k]).collect()
    }

    /// Overwrites the diagonal with `d` (length `n`).
    ///
    /// # Panics
    /// If `d.len() != n`.
    pub fn set_diagonal(&mut self, d: &[f64]) {
        assert_eq!(d.len(), self.n, "set_diagonal: length mismatch");
        for (&k, &v) in self.diag_index.iter().zip(d) {
            self.values[k] = v;
        }
    }

    /// Sets row `i`'s diagonal entry to `value(i)` for every row, the values computed in
    /// parallel.
    pub fn set_diagonal_with(&mut self, value: impl Fn(usize) -> f64 + Sync + Send) {
        let new: Vec<f64> = (0..self.n)
            .into_par_iter()
            .with_min_len(1 << 14)
            .map(value)
            .collect();
        self.set_diagonal(&new);
    }

    /// `y = A x`, parallel over blocks of rows; deterministic.
    ///
    /// # Panics
    /// If `x` or `y` does not have length `n`.
    pub fn matvec(&self, x: &[f64], y: &mut [f64]) {
        assert!(
            x.len() == self.n && y.len() == self.n,
            "matvec: length mismatch"
        );
        spmv(&self.row_ptr, &self.col_idx, &self.values, x, y);
    }

    /// `y = A x` and returns `x . y`: the same bits as [`CsrMatrix::matvec`] then
    /// [`dot`](super::dot), in one pass (each chunk of `y` is summed while it is still in cache).
    ///
    /// # Panics
    /// If `x` or `y` does not have length `n`.
    pub fn matvec_dot(&self, x: &[f64], y: &mut [f64]) -> f64 {
        assert!(
            x.len() == self.n && y.len() == self.n,
            "matvec_dot: length mismatch"
        );
        let chunk = |k: usize, ys: &mut [f64]| {
            let offset = k * REDUCTION_CHUNK;
            for (i, yi) in ys.iter_mut().enumerate() {
                let r = self.row_ptr[offset + i]..self.row_ptr[offset + i + 1];
                *yi = sparse_dot(&self.col_idx[r.clone()], &self.values[r], x);
            }
            local_dot(&x[offset..offset + ys.len()], ys)
        };
        if self.n < SERIAL_LEN {
            y.chunks_mut(REDUCTION_CHUNK)
                .enumerate()
                .map(|(k, ys)| chunk(k, ys))
                .sum()
        } else {
            let parts: Vec<f64> = y
                .par_chunks_mut(REDUCTION_CHUNK)
                .enumerate()
                .map(|(k, ys)| chunk(k, ys))
                .collect();
            parts.iter().sum()
        }
    }

    /// `r = b - A x`; deterministic.
    ///
    /// # Panics
    /// If a vector does not have length `n`.
    pub fn residual(&self, b: &[f64], x: &[f64], r: &mut [f64]) {
        assert!(
            b.len() == self.n && x.len() == self.n && r.len() == self.n,
            "residual: length mismatch"
        );
        for_row_blocks(r, self.nnz(), |r0, block| {
            for (k, ri) in block.iter_mut().enumerate() {
                let i = r0 + k;
                *ri = b[i] - self.row_dot(i, x);
            }
        });
    }

    /// `sum_j a_ij x_j` for one row, summed in column order.
    #[inline]
    pub(crate) fn row_dot(&self, i: usize, x: &[f64]) -> f64 {
        sparse_dot(
            &self.col_idx[self.row_ptr[i]..self.row_ptr[i + 1]],
            &self.values[self.row_ptr[i]..self.row_ptr[i + 1]],
            x,
        )
    }
}

/// Counts the distinct columns of a sorted row, plus one if the diagonal is missing.
fn distinct_with_diagonal(row: &[(u32, f64)], diag: u32) -> usize {
    let mut count = 0;
    let mut has_diag = false;
    let mut prev = None;
    for &(c, _) in row {
        if prev != Some(c) {
            count += 1;
            prev = Some(c);
        }
        has_diag |= c == diag;
    }
    count + usize::from(!has_diag)
}

/// Writes a sorted row with duplicates summed (in input order) and the diagonal inserted if
/// missing; returns the diagonal's position within the row.
fn merge_row(input: &[(u32, f64)], diag: u32, cols: &mut [u32], vals: &mut [f64]) -> usize {
    let mut out = 0usize;
    let mut diag_pos = None;
    let mut k = 0;
    while k < input.len() || diag_pos.is_none() {
        let next_col = input.get(k).map(|e| e.0);
        if diag_pos.is_none() && next_col.is_none_or(|c| c > diag) {
            cols[out] = diag;
            vals[out] = 0.0;
            diag_pos = Some(out);
            out += 1;
            continue;
        }
        let (c, mut v) = input[k];
        k += 1;
        while k < input.len() && input[k].0 == c {
            v += input[k].1;
            k += 1;
        }
        if c == diag {
            diag_pos = Some(out);
        }
        cols[out] = c;
        vals[out] = v;
        out += 1;
    }
    diag_pos.unwrap_or(0)
}
