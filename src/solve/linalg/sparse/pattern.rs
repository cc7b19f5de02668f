//! Building CSR arrays from parallel pieces: a matrix's rows cut into disjoint blocks, blocks
//! made by parallel tasks joined into one matrix, and the transpose of a pattern.

use rayon::prelude::*;

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
