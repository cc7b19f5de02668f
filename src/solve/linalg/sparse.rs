//! Square sparse matrices in compressed sparse row (CSR) form, and the deterministic vector
//! kernels (dot products, norms) shared by the multigrid preconditioner and the CG solver.
//!
//! Determinism contract: every function here returns bit-identical results whatever the number
//! of rayon threads. Row-wise kernels compute each output element serially; reductions sum fixed
//! chunks of [`REDUCTION_CHUNK`] elements and then add the partial sums serially in chunk order.

use rayon::prelude::*;
use std::fmt;
use std::ops::Range;

/// Number of elements per partial sum in every reduction. Fixed, so that results do not depend
/// on the number of threads.
pub const REDUCTION_CHUNK: usize = 8192;

/// Rows per parallel task in row-wise kernels (matrix-vector products and friends).
pub(crate) const ROW_BLOCK: usize = 2048;

/// Below this many stored entries a row-wise kernel runs on the calling thread.
const SERIAL_NNZ: usize = 32 * 1024;

/// Below this many elements an element-wise kernel or reduction runs on the calling thread.
pub(crate) const SERIAL_LEN: usize = 4 * REDUCTION_CHUNK;

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

    /// `y = A x` and returns `x . y`: the same bits as [`CsrMatrix::matvec`] then [`dot`], in one
    /// pass (each chunk of `y` is summed while it is still in cache).
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

/// Splits `data`, laid out by `row_ptr`, into disjoint slices of `rows_per_block` rows each;
/// returns `(first row, slice)` pairs.
pub(crate) fn row_blocks_mut<'a, T>(
    data: &'a mut [T],
    row_ptr: &[usize],
    rows_per_block: usize,
) -> Vec<(usize, &'a mut [T])> {
    let n = row_ptr.len().saturating_sub(1);
    let mut blocks = Vec::with_capacity(n.div_ceil(rows_per_block.max(1)));
    let mut rest = data;
    let mut r0 = 0;
    while r0 < n {
        let r1 = (r0 + rows_per_block).min(n);
        let (head, tail) = rest.split_at_mut(row_ptr[r1] - row_ptr[r0]);
        blocks.push((r0, head));
        rest = tail;
        r0 = r1;
    }
    blocks
}

/// Consecutive rows of a CSR matrix made by one parallel task: columns and values in row
/// order, and each row's end relative to the block's first entry.
#[derive(Debug, Default)]
pub(crate) struct RowBlock {
    pub(crate) row_end: Vec<usize>,
    pub(crate) col_idx: Vec<u32>,
    pub(crate) values: Vec<f64>,
}

impl RowBlock {
    /// Closes the row whose entries were pushed since the last call.
    pub(crate) fn end_row(&mut self) {
        self.row_end.push(self.col_idx.len());
    }
}

/// The blocks' rows, in block order, as one matrix's row pointers, columns and values, copied
/// in parallel into arrays allocated once.
pub(crate) fn join_row_blocks(blocks: &[RowBlock]) -> (Vec<usize>, Vec<u32>, Vec<f64>) {
    let entry_counts: Vec<usize> = blocks.iter().map(|b| b.col_idx.len()).collect();
    let row_counts: Vec<usize> = blocks.iter().map(|b| b.row_end.len()).collect();
    let nnz: usize = entry_counts.iter().sum();
    let mut row_ptr = vec![0usize; row_counts.iter().sum::<usize>() + 1];
    let mut col_idx = vec![0u32; nnz];
    let mut values = vec![0.0; nnz];
    let entry_offsets: Vec<usize> = entry_counts
        .iter()
        .scan(0, |sum, &c| {
            let start = *sum;
            *sum += c;
            Some(start)
        })
        .collect();
    let ptr_slices = split_lengths(&mut row_ptr[1..], &row_counts);
    let col_slices = split_lengths(&mut col_idx, &entry_counts);
    let value_slices = split_lengths(&mut values, &entry_counts);
    blocks
        .par_iter()
        .zip(entry_offsets)
        .zip(ptr_slices)
        .zip(col_slices)
        .zip(value_slices)
        .for_each(|((((block, offset), ptr), col), value)| {
            for (p, &end) in ptr.iter_mut().zip(&block.row_end) {
                *p = offset + end;
            }
            col.copy_from_slice(&block.col_idx);
            value.copy_from_slice(&block.values);
        });
    (row_ptr, col_idx, values)
}

/// Most tasks in [`transpose_pattern`]: each holds a count for every column (7 MB each for the
/// prolongator of a 10^7-cell model).
const TRANSPOSE_MAX_TASKS: usize = 8;
/// Source rows per task, at least, in [`transpose_pattern`].
const TRANSPOSE_MIN_ROWS: usize = 1 << 14;
/// Columns per parallel piece when [`transpose_pattern`] turns counts into places.
const TRANSPOSE_COLUMN_CHUNK: usize = 1 << 14;

/// The transpose of the entries `(i, c)` of a CSR pattern that `keep(i, c)` selects: row
/// pointers (`ncols + 1`) and, for each column `c`, the rows `i` in increasing order. A parallel
/// counting sort: each task counts the columns of a range of rows; those counts give every
/// (column, task) pair its place; each task then writes its entries in row order. So no row
/// needs sorting, and the arrays are the same for any number of tasks.
pub(crate) fn transpose_pattern(
    row_ptr: &[usize],
    col_idx: &[u32],
    ncols: usize,
    keep: impl Fn(usize, u32) -> bool + Sync + Send,
) -> (Vec<usize>, Vec<u32>) {
    use std::sync::atomic::{AtomicU32, Ordering};
    let nrows = row_ptr.len().saturating_sub(1);
    let tasks = rayon::current_num_threads()
        .min(TRANSPOSE_MAX_TASKS)
        .min(nrows.div_ceil(TRANSPOSE_MIN_ROWS))
        .max(1);
    let task_rows = |t: usize| nrows * t / tasks..nrows * (t + 1) / tasks;
    let keep = &keep;
    let kept_in = |i: usize| {
        col_idx[row_ptr[i]..row_ptr[i + 1]]
            .iter()
            .copied()
            .filter(move |&c| keep(i, c))
    };
    // Kept entries per column within each task's rows; below, each count becomes the task's
    // first place in that column (relative to the column's start).
    let mut places: Vec<Vec<u32>> = (0..tasks)
        .into_par_iter()
        .map(|t| {
            let mut count = vec![0u32; ncols];
            for i in task_rows(t) {
                for c in kept_in(i) {
                    count[c as usize] += 1;
                }
            }
            count
        })
        .collect();
    let mut column_len = vec![0usize; ncols];
    let mut pieces: Vec<Vec<&mut [u32]>> = column_len
        .chunks(TRANSPOSE_COLUMN_CHUNK)
        .map(|_| Vec::with_capacity(tasks))
        .collect();
    for count in &mut places {
        for (piece, part) in pieces
            .iter_mut()
            .zip(count.chunks_mut(TRANSPOSE_COLUMN_CHUNK))
        {
            piece.push(part);
        }
    }
    pieces
        .into_par_iter()
        .zip(column_len.par_chunks_mut(TRANSPOSE_COLUMN_CHUNK))
        .for_each(|(mut counts, lengths)| {
            for (c, length) in lengths.iter_mut().enumerate() {
                let mut before = 0u32;
                for count in counts.iter_mut() {
                    let own = count[c];
                    count[c] = before;
                    before += own;
                }
                *length = before as usize;
            }
        });
    let mut t_row_ptr = Vec::with_capacity(ncols + 1);
    t_row_ptr.push(0usize);
    for &length in &column_len {
        t_row_ptr.push(t_row_ptr[t_row_ptr.len() - 1] + length);
    }
    drop(column_len);
    // The tasks write disjoint places; relaxed atomic stores compile to plain stores.
    let rows: Vec<AtomicU32> = (0..t_row_ptr[ncols])
        .into_par_iter()
        .map(|_| AtomicU32::new(0))
        .collect();
    places.par_iter_mut().enumerate().for_each(|(t, cursor)| {
        for i in task_rows(t) {
            for c in kept_in(i) {
                let c = c as usize;
                rows[t_row_ptr[c] + cursor[c] as usize].store(i as u32, Ordering::Relaxed);
                cursor[c] += 1;
            }
        }
    });
    (
        t_row_ptr,
        rows.into_iter().map(AtomicU32::into_inner).collect(),
    )
}

/// `slice` cut into consecutive pieces of the given lengths (which must sum to its length).
pub(crate) fn split_lengths<'a, T>(mut slice: &'a mut [T], lengths: &[usize]) -> Vec<&'a mut [T]> {
    let mut pieces = Vec::with_capacity(lengths.len());
    for &len in lengths {
        let (head, tail) = slice.split_at_mut(len);
        pieces.push(head);
        slice = tail;
    }
    pieces
}

/// Runs `f(first_row, block)` over blocks of [`ROW_BLOCK`] elements of `out`, in parallel when
/// the work (`nnz`, the stored entries read) is large enough. Each element must be computed
/// independently of the others, which makes the result independent of the thread count.
pub(crate) fn for_row_blocks<T: Send>(
    out: &mut [T],
    nnz: usize,
    f: impl Fn(usize, &mut [T]) + Sync + Send,
) {
    if nnz < SERIAL_NNZ {
        for (b, block) in out.chunks_mut(ROW_BLOCK).enumerate() {
            f(b * ROW_BLOCK, block);
        }
    } else {
        out.par_chunks_mut(ROW_BLOCK)
            .enumerate()
            .for_each(|(b, block)| f(b * ROW_BLOCK, block));
    }
}

/// `y = M x` for a (possibly rectangular) CSR matrix given by its arrays.
pub(crate) fn spmv(row_ptr: &[usize], col_idx: &[u32], values: &[f64], x: &[f64], y: &mut [f64]) {
    for_row_blocks(y, values.len(), |r0, block| {
        for (k, yi) in block.iter_mut().enumerate() {
            let r = row_ptr[r0 + k]..row_ptr[r0 + k + 1];
            *yi = sparse_dot(&col_idx[r.clone()], &values[r], x);
        }
    });
}

/// `y += M x` for a (possibly rectangular) CSR matrix given by its arrays.
pub(crate) fn spmv_add(
    row_ptr: &[usize],
    col_idx: &[u32],
    values: &[f64],
    x: &[f64],
    y: &mut [f64],
) {
    for_row_blocks(y, values.len(), |r0, block| {
        for (k, yi) in block.iter_mut().enumerate() {
            let r = row_ptr[r0 + k]..row_ptr[r0 + k + 1];
            *yi += sparse_dot(&col_idx[r.clone()], &values[r], x);
        }
    });
}

/// `sum_k values[k] * x[cols[k]]`, summed in order.
#[inline]
pub(crate) fn sparse_dot(cols: &[u32], values: &[f64], x: &[f64]) -> f64 {
    let mut sum = 0.0;
    for (&c, &v) in cols.iter().zip(values) {
        sum += v * x[c as usize];
    }
    sum
}

/// Sums `partial(range)` over the fixed chunks `[k * REDUCTION_CHUNK, (k + 1) * REDUCTION_CHUNK)`
/// of `0..len`, adding the partial sums serially in chunk order. Deterministic.
pub(crate) fn chunked_sum(len: usize, partial: impl Fn(Range<usize>) -> f64 + Sync + Send) -> f64 {
    let chunks = len.div_ceil(REDUCTION_CHUNK);
    let range = |k: usize| k * REDUCTION_CHUNK..((k + 1) * REDUCTION_CHUNK).min(len);
    if len < SERIAL_LEN {
        (0..chunks).map(|k| partial(range(k))).sum()
    } else {
        let parts: Vec<f64> = (0..chunks)
            .into_par_iter()
            .map(|k| partial(range(k)))
            .collect();
        parts.iter().sum()
    }
}

/// Dot product of two equally long slices, summed in fixed order within a chunk.
#[inline]
pub(crate) fn local_dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let mut ca = a.chunks_exact(4);
    let mut cb = b.chunks_exact(4);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for l in 0..4 {
            acc[l] += x[l] * y[l];
        }
    }
    let mut tail = 0.0;
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        tail += x * y;
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// Deterministic dot product `a . b`.
///
/// # Panics
/// If the lengths differ.
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "dot: length mismatch");
    chunked_sum(a.len(), |r| local_dot(&a[r.clone()], &b[r]))
}

/// Deterministic Euclidean norm.
pub fn norm2(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

/// Runs `f(offset, chunk)` over fixed chunks of `out` (in parallel when long); for element-wise
/// kernels whose elements are independent.
pub(crate) fn for_chunks<T: Send>(out: &mut [T], f: impl Fn(usize, &mut [T]) + Sync + Send) {
    if out.len() < SERIAL_LEN {
        for (k, chunk) in out.chunks_mut(REDUCTION_CHUNK).enumerate() {
            f(k * REDUCTION_CHUNK, chunk);
        }
    } else {
        out.par_chunks_mut(REDUCTION_CHUNK)
            .enumerate()
            .for_each(|(k, chunk)| f(k * REDUCTION_CHUNK, chunk));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Small deterministic pseudo-random generator for tests.
    fn lcg(state: &mut u64) -> f64 {
        *state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((*state >> 11) as f64) / ((1u64 << 53) as f64)
    }

    fn random_triplets(n: usize, m: usize, seed: u64) -> Vec<(usize, usize, f64)> {
        let mut s = seed;
        (0..m)
            .map(|_| {
                let r = (lcg(&mut s) * n as f64) as usize % n;
                let c = (lcg(&mut s) * n as f64) as usize % n;
                (r, c, lcg(&mut s) - 0.5)
            })
            .collect()
    }

    fn dense_of(n: usize, triplets: &[(usize, usize, f64)]) -> Vec<Vec<f64>> {
        let mut d = vec![vec![0.0; n]; n];
        for &(r, c, v) in triplets {
            d[r][c] += v;
        }
        d
    }

    #[test]
    fn matvec_matches_dense_product() {
        for &(n, m) in &[(1usize, 3usize), (7, 20), (50, 400), (3000, 60000)] {
            let t = random_triplets(n, m, 42 + n as u64);
            let a = CsrMatrix::from_triplets(n, &t).expect("valid triplets");
            let d = dense_of(n, &t);
            let mut s = 7u64;
            let x: Vec<f64> = (0..n).map(|_| lcg(&mut s)).collect();
            let mut y = vec![0.0; n];
            a.matvec(&x, &mut y);
            for i in 0..n {
                let expect: f64 = (0..n).map(|j| d[i][j] * x[j]).sum();
                assert!(
                    (y[i] - expect).abs() <= 1e-12 * (1.0 + expect.abs()),
                    "row {i}"
                );
            }
            let mut r = vec![0.0; n];
            a.residual(&x, &x, &mut r);
            for i in 0..n {
                assert!((r[i] - (x[i] - y[i])).abs() <= 1e-12 * (1.0 + y[i].abs()));
            }
        }
    }

    #[test]
    fn builder_sorts_sums_duplicates_and_inserts_diagonal() {
        let t = [
            (1, 2, 1.0),
            (0, 1, 2.0),
            (1, 0, 3.0),
            (1, 2, 0.5),
            (2, 2, 4.0),
            (0, 1, -1.0),
        ];
        let a = CsrMatrix::from_triplets(3, &t).expect("valid triplets");
        assert_eq!(a.row_ptr, vec![0, 2, 5, 6]);
        assert_eq!(a.col_idx, vec![0, 1, 0, 1, 2, 2]);
        assert_eq!(a.values, vec![0.0, 1.0, 3.0, 0.0, 1.5, 4.0]);
        assert_eq!(a.diag_index, vec![0, 3, 5]);
        assert_eq!(a.diagonal(), vec![0.0, 0.0, 4.0]);
        let b = CsrMatrix::from_csr(3, a.row_ptr.clone(), a.col_idx.clone(), a.values.clone());
        assert_eq!(b.as_ref(), Ok(&a));
    }

    #[test]
    fn builder_rejects_bad_input() {
        assert!(matches!(
            CsrMatrix::from_triplets(2, &[(0, 2, 1.0)]),
            Err(SparseError::IndexOutOfRange { entry: 0, .. })
        ));
        assert!(matches!(
            CsrMatrix::from_triplets(2, &[(0, 0, 1.0), (1, 1, f64::NAN)]),
            Err(SparseError::NonFinite { entry: 1, .. })
        ));
        assert!(CsrMatrix::from_csr(2, vec![0, 1, 2], vec![0, 0], vec![1.0, 1.0]).is_err());
        assert!(CsrMatrix::from_csr(2, vec![0, 2, 3], vec![1, 0, 1], vec![1.0; 3]).is_err());
        let empty = CsrMatrix::from_triplets(0, &[]).expect("empty matrix is valid");
        assert_eq!(empty.nnz(), 0);
    }

    #[test]
    fn fused_product_and_dot_match_the_separate_kernels_bit_for_bit() {
        for n in [1000, 50_003] {
            let a = CsrMatrix::from_triplets(n, &random_triplets(n, 6 * n, 17)).expect("valid");
            let mut s = 5u64;
            let x: Vec<f64> = (0..n).map(|_| lcg(&mut s) - 0.5).collect();
            let (mut y1, mut y2) = (vec![0.0; n], vec![0.0; n]);
            a.matvec(&x, &mut y1);
            let separate = dot(&x, &y1);
            let fused = a.matvec_dot(&x, &mut y2);
            assert_eq!(separate.to_bits(), fused.to_bits(), "n = {n}");
            assert!(y1.iter().zip(&y2).all(|(u, v)| u.to_bits() == v.to_bits()));
        }
    }

    #[test]
    fn reductions_do_not_depend_on_thread_count() {
        let mut s = 3u64;
        let a: Vec<f64> = (0..100_003).map(|_| lcg(&mut s) - 0.5).collect();
        let b: Vec<f64> = (0..100_003).map(|_| lcg(&mut s) - 0.5).collect();
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .map(|pool| pool.install(|| (dot(&a, &b).to_bits(), norm2(&a).to_bits())))
        };
        let one = run(1).expect("thread pool");
        let three = run(3).expect("thread pool");
        assert_eq!(one, three);
        let naive: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((f64::from_bits(one.0) - naive).abs() < 1e-10);
    }

    /// The counting-sort transpose against a direct one, on a random pattern large enough for
    /// several tasks, with a filter, for 1 and 5 threads.
    #[test]
    fn transpose_pattern_matches_direct_transpose() {
        let (nrows, ncols) = (70_001, 9_001);
        let mut s = 11u64;
        let mut row_ptr = vec![0usize];
        let mut col_idx = Vec::new();
        for _ in 0..nrows {
            let mut row: Vec<u32> = (0..(lcg(&mut s) * 6.0) as usize)
                .map(|_| (lcg(&mut s) * ncols as f64) as u32)
                .collect();
            row.sort_unstable();
            row.dedup();
            col_idx.extend(row);
            row_ptr.push(col_idx.len());
        }
        let keep = |i: usize, c: u32| !(i + c as usize).is_multiple_of(3);
        let mut direct: Vec<Vec<u32>> = vec![Vec::new(); ncols];
        for i in 0..nrows {
            for &c in &col_idx[row_ptr[i]..row_ptr[i + 1]] {
                if keep(i, c) {
                    direct[c as usize].push(i as u32);
                }
            }
        }
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .map(|pool| pool.install(|| transpose_pattern(&row_ptr, &col_idx, ncols, keep)))
                .expect("thread pool")
        };
        let (t_ptr, t_rows) = run(5);
        assert_eq!(t_ptr.len(), ncols + 1);
        for (c, rows) in direct.iter().enumerate() {
            assert_eq!(
                &t_rows[t_ptr[c]..t_ptr[c + 1]],
                rows.as_slice(),
                "column {c}"
            );
        }
        assert_eq!(t_ptr[ncols], t_rows.len());
        assert_eq!(run(1), (t_ptr, t_rows));
    }
}
