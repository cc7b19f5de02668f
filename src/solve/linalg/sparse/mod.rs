//! Square sparse matrices in compressed sparse row (CSR) form, and the deterministic vector
//! kernels (dot products, norms) shared by the multigrid preconditioner and the CG solver.
//!
//! Determinism contract: every function in this module returns bit-identical results whatever
//! the number of rayon threads. Row-wise kernels compute each output element serially;
//! reductions sum fixed chunks of [`REDUCTION_CHUNK`] elements and then add the partial sums
//! serially in chunk order.
//!
//! The matrix and its builders are in `csr`, the parallel row-wise kernels and reductions in
//! `kernels`, and the helpers that assemble CSR arrays from parallel pieces in `pattern`.

mod csr;
mod kernels;
mod pattern;
#[cfg(test)]
mod tests;

pub use csr::{CsrMatrix, GridRows, SparseError};
pub(crate) use kernels::{chunked_sum, for_chunks, for_row_blocks, local_dot, spmv, spmv_add};
pub use kernels::{dot, norm2};
pub(crate) use pattern::{
    RowBlock, join_row_blocks, row_blocks_mut, split_lengths, transpose_pattern,
};

/// Number of elements per partial sum in every reduction. Fixed, so that results do not depend
/// on the number of threads.
pub const REDUCTION_CHUNK: usize = 8192;

/// Rows per parallel task in row-wise kernels (matrix-vector products and friends).
pub(crate) const ROW_BLOCK: usize = 2048;

/// Below this many stored entries a row-wise kernel runs on the calling thread.
const SERIAL_NNZ: usize = 32 * 1024;

/// Below this many elements an element-wise kernel or reduction runs on the calling thread.
pub(crate) const SERIAL_LEN: usize = 4 * REDUCTION_CHUNK;
