//! The deterministic parallel kernels: row-wise loops and sparse products, whose elements are
//! computed independently, and reductions over fixed chunks summed in chunk order.

use rayon::prelude::*;
use std::ops::Range;

use super::{REDUCTION_CHUNK, ROW_BLOCK, SERIAL_LEN, SERIAL_NNZ};

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
