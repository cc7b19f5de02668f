//! One V-cycle of the host's smoothed-aggregation hierarchy on the device, in f32: the same
//! cycle as `cycle` in src/solve/linalg/amg.rs (Chebyshev smoothing on `D^-1 A` before and after the
//! coarse correction, `R = P^T` down, `P` up), from [`Amg::export`]. The coarsest level is the
//! dense inverse of its matrix applied as a CSR product (what the CPU's dense Cholesky solve
//! computes), or smoothing sweeps where the CPU uses them.
//!
//! One `DeviceAmg` holds the hierarchies of one or more systems stacked in lanes (the points of
//! a batched sweep; a lone solve is one lane): on every level lane `p` owns rows
//! `p * stride .. p * stride + rows_p`, each matrix is the block-diagonal of the lanes' matrices
//! and each smoothing step reads its lane's own coefficients, so one dispatch serves every lane
//! and a lane's arithmetic is exactly what it would be alone. Lanes stack when their hierarchies
//! have the same finest size, depth, smoothing degrees and coarsest solver ([`StackShape`]).
//!
//! Buffers and patterns are uploaded once; [`DeviceAmg::refresh_lane`] rewrites one lane's values
//! and smoothing coefficients after an `Amg::refresh` of its hierarchy. Between refreshes the
//! solver writes only the finest level's values.
//!
//! - mod.rs: the stacked hierarchy's types and the dispatches of one V-cycle.
//! - upload.rs: the lanes' hierarchies stacked block-diagonally and uploaded once.
//! - refresh.rs: one lane's values rewritten in place, and the finest operator that CG uses.
//! - memory.rs: every array the stacked hierarchy allocates, for the memory estimate.
//!
//! [`Amg::export`]: crate::solve::linalg::amg::Amg::export

use super::csr::GpuCsr;
use super::grid::GpuGrid;
use crate::error::{Error, Result};
use crate::gpu::context::{Dispatch, GpuContext};
use crate::gpu::kernels::{ChebCoefs, Coef};
use crate::solve::linalg::amg::{AmgExport, CoarseExport};

mod memory;
mod refresh;
mod upload;

pub use memory::{DeviceArray, array_bytes, stack_array_bytes};
pub use upload::{finest_grid, to_f32, upload_view};

struct DeviceLevel {
    /// Rows per lane (the most any lane has on this level); the stacked vectors hold
    /// `n = lanes * stride`.
    stride: u64,
    n: u64,
    a: LevelMatrix,
    inv_diag: wgpu::Buffer,
    /// `(P, R)` to the next coarser level.
    transfer: Option<(GpuCsr, GpuCsr)>,
    /// Right-hand side, iterate, residual and smoother correction of this level.
    b: wgpu::Buffer,
    x: wgpu::Buffer,
    r: wgpu::Buffer,
    d: wgpu::Buffer,
    degree: usize,
    /// Index of this level's first coefficient pair: step `s` of lane `p` is pair
    /// `first_coef + s * lanes + p`.
    first_coef: u32,
}

/// A level's matrix on the device: CSR, or on the finest level, when the matrix names its
/// panels and they are stencils, the grid form (grid.rs), which moves a third of the bytes.
enum LevelMatrix {
    Csr(GpuCsr),
    Grid(GpuGrid),
}

enum DeviceCoarse {
    /// The inverse of the coarsest matrix as a dense CSR matrix.
    Dense(GpuCsr),
    Sweeps(usize),
}

/// What a lane's refresh does with the finest level's matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Finest {
    /// Rewrite every value (and, in grid form, check that they fit its pattern).
    Rewrite,
    /// The lane holds this matrix's off-diagonal entries already: leave the level, the caller
    /// writes the new diagonal.
    KeepOffDiagonal,
}

/// What lanes must share to be stacked.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StackShape {
    finest_rows: usize,
    degrees: Vec<usize>,
    /// `None`: a dense coarsest inverse; `Some(s)`: `s` smoothing sweeps.
    coarse_sweeps: Option<usize>,
}

impl StackShape {
    pub fn of(export: &AmgExport<'_>) -> StackShape {
        StackShape {
            finest_rows: export.levels.first().map_or(0, |l| l.a.n_rows),
            degrees: export.levels.iter().map(|l| l.degree).collect(),
            coarse_sweeps: match export.coarse {
                CoarseExport::DenseInverse(_) => None,
                CoarseExport::Sweeps(s) => Some(s),
            },
        }
    }
}

/// One lane's part of one level: its rows, and the first entry and number of entries it owns in
/// the stacked A, P and R.
#[derive(Clone, Debug, PartialEq, Eq)]
struct LaneLevel {
    rows: usize,
    a: (usize, usize),
    transfer: Option<((usize, usize), (usize, usize))>,
}

/// Where one lane's hierarchy lies in the stacked buffers.
#[derive(Clone, Debug, PartialEq, Eq)]
struct LaneLayout {
    /// `AmgExport::pattern` of the hierarchy uploaded: refreshes keep its patterns.
    pattern: u64,
    levels: Vec<LaneLevel>,
    /// First entry and entries of the lane's dense coarsest inverse.
    coarse: Option<(usize, usize)>,
}

impl LaneLayout {
    /// Whether `other` has the same rows and entries everywhere (the first entries aside).
    fn same_sizes(&self, other: &LaneLayout) -> bool {
        let len = |l: &LaneLevel| (l.rows, l.a.1, l.transfer.map(|(p, r)| (p.1, r.1)));
        self.levels.len() == other.levels.len()
            && self
                .levels
                .iter()
                .zip(&other.levels)
                .all(|(a, b)| len(a) == len(b))
            && self.coarse.map(|c| c.1) == other.coarse.map(|c| c.1)
    }
}

/// The stacked hierarchies on the device and the dispatches of one V-cycle
/// `output = M^-1 input` for every lane at once.
pub struct DeviceAmg {
    lanes: Vec<LaneLayout>,
    levels: Vec<DeviceLevel>,
    coarse: DeviceCoarse,
    /// Scalar buffer bound by the vector kernels (only constant coefficients are used here).
    scalars: wgpu::Buffer,
    /// Every smoothing step's `(c_prev, c_new)` per lane (see `DeviceLevel::first_coef`).
    coefs: wgpu::Buffer,
    cycle: Vec<Dispatch>,
}

/// The `(c_prev, c_new)` of each of the `max(degree, 1)` steps of one smoothing (as
/// `Chebyshev::smooth` in amg/smoother.rs), the first step from a zero correction.
fn smoothing_coefficients(lambda_max: f64, ratio: f64, degree: usize) -> Vec<[f32; 2]> {
    let lambda_min = lambda_max / ratio;
    let theta = 0.5 * (lambda_max + lambda_min);
    let delta = 0.5 * (lambda_max - lambda_min);
    let sigma = theta / delta;
    let mut out = vec![[0.0, (1.0 / theta) as f32]];
    let mut rho = 1.0 / sigma;
    for _ in 1..degree {
        let rho_next = 1.0 / (2.0 * sigma - rho);
        out.push([(rho_next * rho) as f32, (2.0 * rho_next / delta) as f32]);
        rho = rho_next;
    }
    out
}

impl DeviceAmg {
    /// y = A x with the finest level's stacked matrix (every lane's system matrix).
    pub fn finest_product(
        &self,
        ctx: &GpuContext,
        x: &wgpu::Buffer,
        y: &wgpu::Buffer,
    ) -> Result<Dispatch> {
        let level = self
            .levels
            .first()
            .ok_or_else(|| Error::Solver("the GPU hierarchy has no levels".to_string()))?;
        match &level.a {
            LevelMatrix::Csr(a) => ctx.csr_matvec(a, x, y, false),
            LevelMatrix::Grid(grid) => ctx.grid_matvec(grid, x, y),
        }
    }

    /// Whether the finest level is in grid form, and then the entries of its rest.
    pub fn finest_grid_rest(&self) -> Option<usize> {
        match &self.levels.first()?.a {
            LevelMatrix::Grid(grid) => Some(grid.rest_entries()),
            LevelMatrix::Csr(_) => None,
        }
    }

    /// Row blocks of the finest level's A (1 in grid form, whose arrays are bound whole), P and
    /// R (tests check that a low binding limit split them).
    pub fn finest_blocks(&self) -> Option<[usize; 3]> {
        let level = self.levels.first()?;
        let (p, r) = level.transfer.as_ref()?;
        let a = match &level.a {
            LevelMatrix::Csr(a) => a.blocks(),
            LevelMatrix::Grid(_) => 1,
        };
        Some([a, p.blocks(), r.blocks()])
    }

    /// The dispatches of one V-cycle, in order.
    pub fn cycle(&self) -> &[Dispatch] {
        &self.cycle
    }

    fn build_cycle(&self, ctx: &GpuContext) -> Result<Vec<Dispatch>> {
        let mut out = Vec::new();
        self.cycle_level(ctx, 0, &mut out)?;
        Ok(out)
    }

    fn cycle_level(&self, ctx: &GpuContext, l: usize, out: &mut Vec<Dispatch>) -> Result<()> {
        let Some(level) = self.levels.get(l) else {
            return Ok(());
        };
        let (Some((p, r)), Some(next)) = (&level.transfer, self.levels.get(l + 1)) else {
            match &self.coarse {
                DeviceCoarse::Dense(inverse) => {
                    out.push(ctx.csr_matvec(inverse, &level.b, &level.x, false)?)
                }
                DeviceCoarse::Sweeps(sweeps) => {
                    self.smooth(ctx, level, true, out)?;
                    for _ in 1..*sweeps {
                        self.smooth(ctx, level, false, out)?;
                    }
                }
            }
            return Ok(());
        };
        self.smooth(ctx, level, true, out)?;
        // r = b - A x
        match &level.a {
            LevelMatrix::Csr(a) => {
                out.push(ctx.csr_matvec(a, &level.x, &level.r, false)?);
                out.push(ctx.xpay(
                    level.n,
                    Coef::constant(-1.0),
                    &level.b,
                    &level.r,
                    &self.scalars,
                )?);
            }
            LevelMatrix::Grid(grid) => {
                out.push(ctx.grid_residual(grid, &level.b, &level.x, &level.r)?)
            }
        }
        out.push(ctx.csr_matvec(r, &level.r, &next.b, false)?);
        self.cycle_level(ctx, l + 1, out)?;
        out.push(ctx.csr_matvec(p, &next.x, &level.x, true)?);
        self.smooth(ctx, level, false, out)
    }

    /// Chebyshev smoothing as `Chebyshev::smooth` in amg/smoother.rs, each lane with its own
    /// coefficients.
    fn smooth(
        &self,
        ctx: &GpuContext,
        level: &DeviceLevel,
        zero_start: bool,
        out: &mut Vec<Dispatch>,
    ) -> Result<()> {
        let lanes = self.lanes.len() as u32;
        let step = |s: usize| ChebCoefs {
            buffer: &self.coefs,
            first: level.first_coef + s as u32 * lanes,
            stride: level.stride,
        };
        let buffers = [&level.inv_diag, &level.b, &level.x, &level.d];
        for s in 0..level.degree {
            if s == 0 && zero_start {
                out.push(ctx.cheb_start(level.n, step(0), buffers)?);
                continue;
            }
            out.push(match &level.a {
                LevelMatrix::Csr(a) => ctx.cheb_correction(a, step(s), buffers)?,
                LevelMatrix::Grid(grid) => ctx.grid_cheb_correction(grid, step(s), buffers)?,
            });
            out.push(ctx.axpy(
                level.n,
                Coef::constant(1.0),
                &level.d,
                &level.x,
                &self.scalars,
            )?);
        }
        Ok(())
    }
}
