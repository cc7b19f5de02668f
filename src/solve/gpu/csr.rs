//! CSR matrices on the device, split into row blocks so that no array exceeds one storage
//! binding: at 10^7 cells the finest matrix holds ~5x10^7 entries, 200 MB of values and as much
//! of column indices, over the 128 MiB one binding allows on many adapters. Each block has its
//! own buffers (row pointers rebased to the block's first entry, its slice of the columns and
//! values) and is one dispatch over its rows; the kernels add the block's first row to the row
//! they write, so a product writes every row exactly once. Vectors (x, y, the diagonal) are bound
//! whole: they stay below one binding up to ~3.3x10^7 nodes (`check_memory` in solver/stack.rs).
//!
//! Blocks follow the context's binding limit (`GpuContext::binding_limit`), which tests lower to
//! split small matrices.

use std::ops::Range;

use crate::error::{Error, Result};
use crate::gpu::context::{Dispatch, GpuContext};
use crate::gpu::kernels::{
    ChebCoefs, CountUniform, cheb_uniform, count_u32, need, need_coefficients,
};
use crate::gpu::shaders::{Kernel, LONG_ROW, MEDIUM_ROW, MEDIUM_ROW_THREADS, WORKGROUP_SIZE};

/// A CSR matrix on the device (f32 values, u32 indices) in one or more row blocks.
#[derive(Clone, Debug)]
pub struct GpuCsr {
    pub n_rows: u32,
    pub n_cols: u32,
    pub nnz: u32,
    blocks: Vec<CsrBlock>,
}

/// Rows `first_row .. first_row + rows` of a matrix, entries `entries` of the whole.
#[derive(Clone, Debug)]
struct CsrBlock {
    first_row: u32,
    rows: u32,
    /// Index in `row_ptr` of the lists of long rows.
    long_first: u32,
    entries: Range<usize>,
    row_ptr: wgpu::Buffer,
    col: wgpu::Buffer,
    val: wgpu::Buffer,
    params: wgpu::Buffer,
    long: Vec<LongRows>,
}

/// Rows of one block with more than `LONG_ROW` entries of one size class, which the `_long`
/// kernels sum `threads` invocations per row: rows of up to `MEDIUM_ROW` entries, then the
/// longer ones. Their block-local indices follow the block's row pointers in the same buffer,
/// class after class (CsrParams in common.wgsl).
#[derive(Clone, Debug)]
struct LongRows {
    count: u32,
    threads: u32,
    /// Index in the row-pointer buffer of this class's list.
    list_first: u32,
    /// CsrParams of the long-row kernels: n_rows counts this class's rows.
    params: wgpu::Buffer,
}

impl LongRows {
    /// Workgroups that sum the class: `WORKGROUP_SIZE / threads` rows each.
    fn groups(&self, ctx: &GpuContext) -> Result<[u32; 3]> {
        ctx.groups_for(
            u64::from(self.count),
            u64::from(WORKGROUP_SIZE / self.threads.max(1)),
        )
    }
}

impl GpuCsr {
    /// Number of row blocks the matrix was split into (1 unless it exceeds one binding).
    pub fn blocks(&self) -> usize {
        self.blocks.len()
    }

    /// Launches for rows of more than `LONG_ROW` entries: one per size class of each block
    /// (`MEDIUM_ROW`).
    pub fn long_row_launches(&self) -> usize {
        self.blocks.iter().map(|b| b.long.len()).sum()
    }
}

/// Splits rows into consecutive blocks of at most `max_items` entries each, whose rebased row
/// pointers and list of long rows (rows + 1 + long rows items) also fit in `max_items`. An empty matrix is one empty block. An
/// error names a row with more entries than one block holds.
pub fn split_rows(
    row_ptr: &[u32],
    max_items: u64,
) -> std::result::Result<Vec<Range<usize>>, String> {
    let n = row_ptr.len().saturating_sub(1);
    let max = max_items.max(2);
    let mut blocks = Vec::new();
    let mut start = 0;
    while start < n {
        let first = u64::from(row_ptr[start]);
        let mut end = start;
        let mut long = 0u64;
        while end < n {
            let is_long = u64::from(row_ptr[end + 1] - row_ptr[end] > LONG_ROW);
            if u64::from(row_ptr[end + 1]) - first > max
                || (end + 1 - start) as u64 + long + is_long >= max
            {
                break;
            }
            long += is_long;
            end += 1;
        }
        if end == start {
            let entries = row_ptr[start + 1] - row_ptr[start];
            return Err(format!(
                "row {start} has {entries} entries, more than one storage binding holds \
                 ({max} items)"
            ));
        }
        blocks.push(start..end);
        start = end;
    }
    if blocks.is_empty() {
        blocks.push(0..0);
    }
    Ok(blocks)
}

impl GpuContext {
    /// Uploads a CSR matrix after checking its structure, in row blocks that each fit in one
    /// storage binding (`binding_limit`).
    pub fn upload_csr(
        &self,
        n_cols: u32,
        row_ptr: &[u32],
        col: &[u32],
        val: &[f32],
    ) -> Result<GpuCsr> {
        check_csr(n_cols, row_ptr, col, val)
            .map_err(|why| Error::Solver(format!("CSR matrix: {why}")))?;
        let n_rows = count_u32("CSR rows", row_ptr.len() as u64 - 1)?;
        let nnz = count_u32("CSR entries", col.len() as u64)?;
        let ranges = split_rows(row_ptr, self.binding_limit() / 4).map_err(|why| {
            Error::Solver(format!(
                "CSR matrix of {n_rows} rows and {nnz} entries cannot be split over storage \
                 bindings of {} bytes: {why}",
                self.binding_limit()
            ))
        })?;
        let mut blocks = Vec::with_capacity(ranges.len());
        for rows in ranges {
            let entries = row_ptr[rows.start] as usize..row_ptr[rows.end] as usize;
            let mut local: Vec<u32> = row_ptr[rows.start..=rows.end]
                .iter()
                .map(|&k| k - row_ptr[rows.start])
                .collect();
            let first_row = rows.start as u32;
            let count = (rows.end - rows.start) as u32;
            let (medium, longest): (Vec<u32>, Vec<u32>) = long_rows_of(&local)
                .into_iter()
                .partition(|&r| local[r as usize + 1] - local[r as usize] <= MEDIUM_ROW);
            let long_first = local.len() as u32;
            let mut long = Vec::new();
            for (list, threads) in [(&medium, MEDIUM_ROW_THREADS), (&longest, WORKGROUP_SIZE)] {
                if list.is_empty() {
                    continue;
                }
                let list_first = local.len() as u32;
                let params = CountUniform {
                    n: list.len() as u32,
                    index: first_row,
                    pad0: list_first,
                    pad1: threads,
                };
                long.push(LongRows {
                    count: list.len() as u32,
                    threads,
                    list_first,
                    params: self.uniform("csr long rows", &params)?,
                });
                local.extend(list);
            }
            // CsrParams in common.wgsl: n_rows, first_row, long_first.
            let params = CountUniform {
                n: count,
                index: first_row,
                pad0: long_first,
                pad1: 0,
            };
            blocks.push(CsrBlock {
                first_row,
                rows: count,
                long_first,
                row_ptr: self.upload("csr row_ptr", &local)?,
                col: self.upload("csr col", &col[entries.clone()])?,
                val: self.upload("csr val", &val[entries.clone()])?,
                params: self.uniform("csr", &params)?,
                entries,
                long,
            });
        }
        Ok(GpuCsr {
            n_rows,
            n_cols,
            nnz,
            blocks,
        })
    }

    /// y = A x, or y += A x with `accumulate` (csr_matvec.wgsl): one dispatch per row block,
    /// then one per block with long rows (one workgroup per long row).
    pub fn csr_matvec(
        &self,
        csr: &GpuCsr,
        x: &wgpu::Buffer,
        y: &wgpu::Buffer,
        accumulate: bool,
    ) -> Result<Dispatch> {
        need("csr_matvec: x", x, u64::from(csr.n_cols))?;
        need("csr_matvec: y", y, u64::from(csr.n_rows))?;
        let kernel = if accumulate {
            Kernel::CsrMatvecAdd
        } else {
            Kernel::CsrMatvec
        };
        let mut blocks = Vec::with_capacity(csr.blocks.len());
        let mut long_blocks = Vec::new();
        for b in &csr.blocks {
            let bindings = vec![
                (0, &b.params),
                (1, &b.row_ptr),
                (2, &b.col),
                (3, &b.val),
                (4, x),
                (5, y),
            ];
            for long in &b.long {
                let mut long_bindings = bindings.clone();
                long_bindings[0] = (0, &long.params);
                long_blocks.push((long_bindings, long.groups(self)?));
            }
            blocks.push((bindings, self.groups_per_item(u64::from(b.rows))?));
        }
        let short = self.dispatch_blocks(kernel, &blocks)?;
        if long_blocks.is_empty() {
            return Ok(short);
        }
        let long_kernel = if accumulate {
            Kernel::CsrMatvecAddLong
        } else {
            Kernel::CsrMatvecLong
        };
        Ok(short.followed_by(self.dispatch_blocks(long_kernel, &long_blocks)?))
    }

    /// Writes `d[i]` into the diagonal entry (column `i`) of every row `i` in `rows`
    /// (diagonal.wgsl): one dispatch per row block the range meets. `d` spans all rows.
    pub fn set_csr_diagonal(
        &self,
        csr: &GpuCsr,
        rows: Range<usize>,
        d: &wgpu::Buffer,
    ) -> Result<Dispatch> {
        need("set_diagonal: d", d, u64::from(csr.n_rows))?;
        if rows.end > csr.n_rows as usize {
            return Err(Error::Solver(format!(
                "CSR matrix: diagonal of rows {}..{} of {}",
                rows.start, rows.end, csr.n_rows
            )));
        }
        let mut parts = Vec::new();
        for b in &csr.blocks {
            let block = b.first_row as usize..(b.first_row + b.rows) as usize;
            let (from, to) = (rows.start.max(block.start), rows.end.min(block.end));
            if from < to {
                // DiagonalParams in common.wgsl: n_rows, first_row, block_first_row.
                let params = CountUniform {
                    n: (to - from) as u32,
                    index: from as u32,
                    pad0: b.first_row,
                    pad1: 0,
                };
                parts.push((b, self.uniform("diagonal", &params)?, (to - from) as u64));
            }
        }
        let blocks = parts
            .iter()
            .map(|(b, params, count)| {
                let bindings = vec![
                    (0, params),
                    (1, &b.row_ptr),
                    (2, &b.col),
                    (3, d),
                    (4, &b.val),
                ];
                Ok((bindings, self.groups_per_item(*count)?))
            })
            .collect::<Result<Vec<_>>>()?;
        self.dispatch_blocks(Kernel::SetDiagonal, &blocks)
    }

    /// Overwrites the values of `csr` (same pattern) in place: dispatches built on it see them.
    pub fn write_csr_values(&self, csr: &GpuCsr, val: &[f32]) -> Result<()> {
        if val.len() as u64 != u64::from(csr.nnz) {
            return Err(Error::Solver(format!(
                "CSR matrix: {} values for {} entries",
                val.len(),
                csr.nnz
            )));
        }
        self.write_csr_values_at(csr, 0, val)
    }

    /// Overwrites entries `first .. first + val.len()` of `csr` (one lane of a stacked matrix),
    /// whichever row blocks hold them.
    pub fn write_csr_values_at(&self, csr: &GpuCsr, first: usize, val: &[f32]) -> Result<()> {
        let end = first + val.len();
        if end as u64 > u64::from(csr.nnz) {
            return Err(Error::Solver(format!(
                "CSR matrix: values for entries {first}..{end} of {}",
                csr.nnz
            )));
        }
        for b in &csr.blocks {
            let (from, to) = (b.entries.start.max(first), b.entries.end.min(end));
            if from < to {
                self.queue().write_buffer(
                    &b.val,
                    4 * (from - b.entries.start) as u64,
                    bytemuck::cast_slice(&val[from - first..to - first]),
                );
            }
        }
        Ok(())
    }

    /// One Chebyshev correction: d = c_prev * d + c_new * inv_diag * (b - A x)
    /// (chebyshev.wgsl), each lane with its own (c_prev, c_new), one dispatch per row block;
    /// follow it with x += d (`axpy`).
    pub fn cheb_correction(
        &self,
        a: &GpuCsr,
        coefs: ChebCoefs<'_>,
        [inv_diag, b, x, d]: [&wgpu::Buffer; 4],
    ) -> Result<Dispatch> {
        let n = u64::from(a.n_rows);
        if a.n_cols != a.n_rows {
            return Err(Error::Solver(format!(
                "cheb_correction: the matrix is {} x {}, not square",
                a.n_rows, a.n_cols
            )));
        }
        for (name, buffer) in [("inv_diag", inv_diag), ("b", b), ("x", x), ("d", d)] {
            need(&format!("cheb_correction: {name}"), buffer, n)?;
        }
        need_coefficients("cheb_correction", coefs, n)?;
        let mut params = Vec::with_capacity(a.blocks.len());
        let mut long_params = Vec::with_capacity(a.blocks.len());
        for block in &a.blocks {
            let rows = (block.first_row, u64::from(block.rows));
            let uniform = cheb_uniform(rows, coefs, (block.long_first, 0))?;
            params.push(self.uniform("chebyshev", &uniform)?);
            long_params.push(
                block
                    .long
                    .iter()
                    .map(|long| {
                        let rows = (block.first_row, u64::from(long.count));
                        let uniform = cheb_uniform(rows, coefs, (long.list_first, long.threads))?;
                        self.uniform("chebyshev long rows", &uniform)
                    })
                    .collect::<Result<Vec<_>>>()?,
            );
        }
        let mut blocks = Vec::with_capacity(a.blocks.len());
        let mut long_blocks = Vec::new();
        for ((block, params), long_params) in a.blocks.iter().zip(&params).zip(&long_params) {
            let bindings = vec![
                (0, params),
                (1, &block.row_ptr),
                (2, &block.col),
                (3, &block.val),
                (4, inv_diag),
                (5, b),
                (6, x),
                (7, d),
                (8, coefs.buffer),
            ];
            for (long, long_params) in block.long.iter().zip(long_params) {
                let mut long_bindings = bindings.clone();
                long_bindings[0] = (0, long_params);
                long_blocks.push((long_bindings, long.groups(self)?));
            }
            blocks.push((bindings, self.groups_per_item(u64::from(block.rows))?));
        }
        let short = self.dispatch_blocks(Kernel::ChebCorrection, &blocks)?;
        if long_blocks.is_empty() {
            return Ok(short);
        }
        Ok(short.followed_by(self.dispatch_blocks(Kernel::ChebCorrectionLong, &long_blocks)?))
    }
}

/// The rows with more than `LONG_ROW` entries of a block with row pointers `local`.
fn long_rows_of(local: &[u32]) -> Vec<u32> {
    (0..local.len().saturating_sub(1))
        .filter(|&i| local[i + 1] - local[i] > LONG_ROW)
        .map(|i| i as u32)
        .collect()
}

/// Checks the structure of a CSR matrix: row pointers from 0, non-decreasing, ending at the
/// number of entries; column indices below `n_cols`.
pub fn check_csr(
    n_cols: u32,
    row_ptr: &[u32],
    col: &[u32],
    val: &[f32],
) -> std::result::Result<(), String> {
    if row_ptr.is_empty() {
        return Err("row_ptr is empty; it needs rows + 1 entries".to_string());
    }
    if col.len() != val.len() {
        return Err(format!(
            "{} column indices but {} values",
            col.len(),
            val.len()
        ));
    }
    if row_ptr[0] != 0 {
        return Err(format!("row_ptr starts at {}, not 0", row_ptr[0]));
    }
    if let Some(row) = row_ptr.windows(2).position(|w| w[1] < w[0]) {
        return Err(format!("row_ptr decreases at row {row}"));
    }
    let last = row_ptr[row_ptr.len() - 1] as usize;
    if last != col.len() {
        return Err(format!(
            "row_ptr ends at {last}, but there are {} entries",
            col.len()
        ));
    }
    if let Some(k) = col.iter().position(|&c| c >= n_cols) {
        return Err(format!(
            "entry {k} has column {} >= {n_cols} columns",
            col[k]
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn covers(blocks: &[Range<usize>], n: usize) {
        assert_eq!(blocks.first().map(|b| b.start), Some(0));
        assert_eq!(blocks.last().map(|b| b.end), Some(n));
        assert!(blocks.windows(2).all(|w| w[0].end == w[1].start));
    }

    #[test]
    fn rows_split_into_blocks_that_fit_one_binding() {
        // Rows of 3, 0, 5, 2, 4, 1 entries.
        let row_ptr = [0u32, 3, 3, 8, 10, 14, 15];
        assert_eq!(split_rows(&row_ptr, 1000).unwrap(), vec![0..6]);
        for max in [5u64, 6, 7, 8, 9, 12] {
            let blocks = split_rows(&row_ptr, max).unwrap();
            covers(&blocks, 6);
            for b in &blocks {
                let entries = u64::from(row_ptr[b.end] - row_ptr[b.start]);
                assert!(entries <= max && (b.len() as u64) < max, "{max}: {b:?}");
            }
        }
        assert_eq!(
            split_rows(&row_ptr, 5).unwrap(),
            vec![0..2, 2..3, 3..4, 4..6]
        );
        // Row pointers limit too: many empty rows.
        let empty = vec![0u32; 11];
        let blocks = split_rows(&empty, 4).unwrap();
        covers(&blocks, 10);
        assert!(blocks.iter().all(|b| b.len() <= 3), "{blocks:?}");
        // A row longer than one binding cannot be split.
        let err = split_rows(&row_ptr, 4).unwrap_err();
        assert!(err.contains("row 2 has 5 entries"), "{err}");
        assert_eq!(split_rows(&[0], 4).unwrap(), vec![0..0]);
    }
}
