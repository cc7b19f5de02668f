//! One stack on the device: its hierarchies and CG vectors uploaded once, after a check of what
//! they take against the adapter's limits, and each lane's finest operator written from its
//! job's matrix.

use rayon::prelude::*;

use super::super::grid_split::GridSplit;
use super::super::vcycle::{
    DeviceAmg, DeviceArray, Finest, finest_grid, stack_array_bytes, to_f32,
};
use super::{BatchJob, SLOTS, Stack};
use crate::error::{Error, Result};
use crate::gpu::context::GpuContext;
use crate::gpu::kernels::{Lanes, lane_partial_count};
use crate::solve::linalg::amg::AmgExport;

impl Stack {
    pub(super) fn layout(&self) -> Lanes {
        cg_lanes(self.lanes.len(), self.n)
    }

    /// Whether a refresh of lane `l` for `job` may keep the finest matrix the lane holds: the
    /// job's matrix is its hierarchy's own finest level and the lane holds its current
    /// off-diagonal entries (then only the diagonal changed).
    pub(super) fn finest_for(&self, l: usize, job: &BatchJob<'_>) -> Finest {
        let owned = std::ptr::eq(job.matrix, job.amg.finest());
        let held = self
            .lanes
            .get(l)
            .and_then(|lane| lane.as_ref()?.off_diagonal);
        if owned && held == Some(job.amg.off_diagonal_generation()) {
            Finest::KeepOffDiagonal
        } else {
            Finest::Rewrite
        }
    }

    pub(super) fn lane_of(&self, slot: usize) -> Option<usize> {
        self.lanes
            .iter()
            .position(|l| l.as_ref().is_some_and(|l| l.slot == slot))
    }
}

/// Makes the job's matrix lane `l`'s finest operator; `exported`: the job's hierarchy, its finest
/// matrix included, has just been written to the lane. When the job's matrix is its
/// hierarchy's own finest level (as Newton's is, `Amg::owning`), an export has written it
/// already, and a lane holding its
/// off-diagonal entries needs only the new diagonal and the smoother's inverse of it (two
/// fifths of the values of a 5-point stencil); otherwise every value is sent.
pub(super) fn write_operator(
    ctx: &GpuContext,
    stack: &mut Stack,
    l: usize,
    job: &BatchJob<'_>,
    exported: bool,
) -> Result<()> {
    if stack.lanes.get(l).is_none_or(Option::is_none) {
        return Err(Error::Solver("no such lane on the device".to_string()));
    }
    let owned = std::ptr::eq(job.matrix, job.amg.finest());
    let written = exported && owned;
    let start = std::time::Instant::now();
    if !written && stack.finest_for(l, job) == Finest::KeepOffDiagonal {
        let matrix = job.matrix;
        let diagonal: Vec<f32> = matrix
            .diag_index
            .par_iter()
            .with_min_len(1 << 16)
            .map(|&k| matrix.values[k] as f32)
            .collect();
        let inv_diagonal = to_f32(job.amg.finest_inv_diagonal());
        stack
            .amg
            .write_finest_diagonal(ctx, l, &diagonal, &inv_diagonal)?;
        crate::trace::phase("GPU operator diagonal written", start);
    } else if !written {
        stack.amg.write_finest(ctx, l, job.matrix)?;
        crate::trace::phase("GPU operator values written", start);
    }
    if let Some(lane) = stack.lanes[l].as_mut() {
        lane.off_diagonal = owned.then(|| job.amg.off_diagonal_generation());
    }
    Ok(())
}

/// Uploads the stacked hierarchies of `exports` (one shape) with the CG vectors of as many
/// lanes, every lane empty.
pub(super) fn upload(ctx: &GpuContext, exports: &[&AmgExport<'_>]) -> Result<Stack> {
    let n = finest_rows(exports);
    let start = std::time::Instant::now();
    let grid = finest_grid(exports, ctx.binding_limit());
    crate::trace::phase("GPU finest level split into stencils", start);
    check_memory(ctx, exports, grid.as_ref())?;
    let lanes = cg_lanes(exports.len(), n);
    let vector = |name: &str| ctx.zeroed(name, 4 * lanes.items());
    let (r, z) = (vector("pcg r")?, vector("pcg z")?);
    let scalars = ctx.scalars(SLOTS * lanes.count)?;
    let amg = DeviceAmg::with_finest(ctx, exports, grid.as_ref(), [&r, &z, &scalars])?;
    Ok(Stack {
        n,
        lanes: exports.iter().map(|_| None).collect(),
        amg,
        x: vector("pcg x")?,
        r,
        z,
        p: vector("pcg p")?,
        q: vector("pcg q")?,
        partials: ctx.lane_partials(lanes)?,
        scalars,
    })
}

/// Rows of the finest level of stacked hierarchies (one shape: the first's).
fn finest_rows(exports: &[&AmgExport<'_>]) -> usize {
    exports
        .first()
        .and_then(|e| e.levels.first())
        .map_or(0, |l| l.a.n_rows)
}

/// The CG vectors and scalars of `count` lanes of `n` rows.
fn cg_lanes(count: usize, n: usize) -> Lanes {
    Lanes {
        count: count as u32,
        stride: n as u64,
        len: n as u64,
        slots: SLOTS,
    }
}

/// Every array the GPU solve allocates for the hierarchy in `export` (its finest level as CSR).
pub fn memory_estimate(export: &AmgExport<'_>) -> Vec<DeviceArray> {
    stack_memory_estimate(&[export], None)
}

/// Every array the GPU solve allocates for the hierarchies of `exports` stacked in lanes, their
/// finest level in the grid form `grid` (`vcycle::finest_grid`) or, with `None`, as CSR.
pub fn stack_memory_estimate(
    exports: &[&AmgExport<'_>],
    grid: Option<&GridSplit>,
) -> Vec<DeviceArray> {
    let lanes = cg_lanes(exports.len(), finest_rows(exports));
    let mut arrays = stack_array_bytes(exports, grid);
    let mut whole = |name: &str, bytes: u64| {
        arrays.push(DeviceArray {
            name: name.to_string(),
            bytes,
            split: false,
        });
    };
    for name in ["pcg x", "pcg p", "pcg q"] {
        whole(name, 4 * lanes.items());
    }
    whole("reduction partials", 4 * lane_partial_count(lanes));
    arrays
}

/// Refuses (exit 3) a system the device cannot hold: a vector larger than one storage binding
/// (vectors are bound whole; CSR matrices are split into row blocks, csr.rs), or a matrix with
/// more entries than u32 indices reach. Running out of device memory while uploading is
/// reported by the buffer's creation (an error scope), also as exit 3.
fn check_memory(
    ctx: &GpuContext,
    exports: &[&AmgExport<'_>],
    grid: Option<&GridSplit>,
) -> Result<()> {
    let arrays = stack_memory_estimate(exports, grid);
    let total: u64 = arrays.iter().map(|a| a.bytes).sum();
    let limits = ctx.limits();
    let max = ctx.binding_limit();
    let needs = format!(
        "device memory estimate exceeded: the GPU solve needs {total} bytes ({:.1} MiB)",
        total as f64 / (1024.0 * 1024.0)
    );
    let largest_whole = arrays.iter().filter(|a| !a.split).max_by_key(|a| a.bytes);
    if let Some(a) = largest_whole.filter(|a| a.bytes > max) {
        return Err(Error::Solver(format!(
            "{needs}; its largest vector, the {}, takes {} bytes, over the {max} bytes that \
             adapter \"{}\" allows in one storage binding (max_buffer_size {}, \
             max_storage_buffer_binding_size {}); vectors are not split over several bindings: \
             use --backend cpu",
            a.name,
            a.bytes,
            ctx.summary().name,
            limits.max_buffer_size,
            limits.max_storage_buffer_binding_size,
        )));
    }
    let entries_max = 4 * u64::from(u32::MAX);
    if let Some(a) = arrays.iter().find(|a| a.split && a.bytes > entries_max) {
        return Err(Error::Solver(format!(
            "{needs}; the {} take {} bytes, more entries than u32 indexing reaches: use \
             --backend cpu",
            a.name, a.bytes
        )));
    }
    Ok(())
}
