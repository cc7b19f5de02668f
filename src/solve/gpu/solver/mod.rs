//! The GPU backend's steady solve. Newton stays on the host in f64 (`newton::newton`, shared with
//! the CPU backend); each step's system `(K + D) delta = R` is solved here in f32 by conjugate
//! gradients on the device, preconditioned by one V-cycle of the host's multigrid hierarchy
//! (vcycle/), which stays on the device until the host refreshes it. Every CG coefficient stays
//! on the device (`Coef::ratio`); only `r . r` comes back every few iterations for the stopping
//! test, and `delta` at the end. Newton's f64 residual then makes this a mixed-precision
//! iterative refinement: the answer is as accurate as the CPU's, up to the f32 backend's
//! convergence test (SCENARIO.md section 3). A lone solve is a [`GpuBatch`] of one system: one
//! lane of one stack.
//!
//! - mod.rs: the steady solve, the device's opening, [`GpuPcg`] and the [`GpuBatch`] it wraps.
//! - placement.rs: which lane of which stack holds each job, its hierarchy brought up to date.
//! - cg.rs: the batch's CG: each stack's dispatches, rounds in lockstep until every lane stops.
//! - stack.rs: one stack's buffers, their upload and memory estimate, and its lanes' operators.

use super::vcycle::DeviceAmg;
use crate::error::{Error, Result};
use crate::gpu::adapter::{AdapterSummary, candidates};
use crate::gpu::context::{ContextOptions, GpuContext};
use crate::gpu::shaders::Kernel;
use crate::model::Model;
use crate::solve::Precision;
use crate::solve::linalg::amg::Amg;
use crate::solve::linalg::sparse::CsrMatrix;
use crate::solve::newton::{LinearSolver, LinearStats, NewtonSolver, first_guess};
use crate::solve::{Solution, SolveOptions};

mod cg;
mod placement;
mod stack;

pub use stack::{memory_estimate, stack_memory_estimate};

/// Relative residual an f32 CG reliably reaches: tighter requests stop here, and Newton's f64
/// residual refines further.
pub const F32_TOLERANCE_FLOOR: f64 = 1e-5;
/// CG iterations between readbacks of the residual norm (even: two scalar slots alternate).
const CHECK_EVERY: usize = 2;
/// Readbacks without a new smallest residual after which CG has stagnated at the f32 floor.
const STAGNATION_CHECKS: usize = 3;

/// Device scalars of each lane: `r . z` (two, alternating old/new), `p . A p`, `r . r`, and the
/// lane's gate: 1 while its CG runs, 0 once it stopped or when it has nothing to solve (the
/// gated updates then leave its vectors alone).
const RZ_A: u32 = 0;
const PAP: u32 = 1;
const RZ_B: u32 = 2;
const RR: u32 = 3;
const RUNNING: u32 = 4;
const SLOTS: u32 = 5;

/// Solves the steady state of `model` on the adapter `adapter` (f32 linear algebra).
pub fn solve_steady(
    model: &Model,
    options: SolveOptions,
    adapter: &AdapterSummary,
) -> Result<Solution> {
    let t = first_guess(model);
    // The device opens and the driver compiles the kernels while the host assembles Newton's
    // matrix and builds the hierarchy: on an H100 host, 0.1 to 0.7 s that no longer add up.
    let (ctx, solver) = std::thread::scope(|scope| {
        let opening = scope.spawn(|| {
            let start = std::time::Instant::now();
            let ctx = open(adapter)?;
            ctx.prepare(&Kernel::SOLVE)?;
            crate::trace::phase("GPU device and kernels (beside the host set-up)", start);
            Ok(ctx)
        });
        let solver = NewtonSolver::new(model, &t);
        let ctx = opening.join().unwrap_or_else(|_| {
            Err(Error::Solver(
                "opening the GPU device failed unexpectedly".to_string(),
            ))
        });
        (ctx, solver)
    });
    let mut pcg = GpuPcg::new(ctx?);
    solver?.solve(model, t, options, &mut pcg, None)
}

/// Opens a device on the adapter that `choose_backend` picked.
pub fn open(adapter: &AdapterSummary) -> Result<GpuContext> {
    // Tracing profiles a CG round with timestamp queries (profile.rs).
    let options = ContextOptions {
        timestamps: crate::trace::enabled(),
        ..ContextOptions::default()
    };
    open_with(adapter, options)
}

/// [`open`] with `options` (e.g. timestamp queries for measurements).
pub fn open_with(adapter: &AdapterSummary, options: ContextOptions) -> Result<GpuContext> {
    let candidate = candidates()
        .into_iter()
        .find(|c| &c.summary == adapter)
        .ok_or_else(|| {
            Error::Solver(format!(
                "GPU adapter \"{}\" is no longer available",
                adapter.name
            ))
        })?;
    GpuContext::new(&candidate, options)
}

/// One lane of a stack: the batch slot (sweep point) it holds, the `Amg::generation` of the
/// hierarchy values it holds and, when its finest operator was written from the hierarchy's own
/// finest matrix, that matrix's `Amg::off_diagonal_generation` (then a new diagonal is all a
/// Newton step has to send).
struct Lane {
    slot: usize,
    generation: u64,
    off_diagonal: Option<u64>,
}

/// Systems of one size and hierarchy shape stacked in lanes (vcycle/): their hierarchies,
/// CG vectors and scalars, worked on by one set of dispatches. A lane whose point has left
/// (`None`) stays in the buffers, gated off, until the whole stack is dropped.
struct Stack {
    /// Rows of each lane's system.
    n: usize,
    lanes: Vec<Option<Lane>>,
    amg: DeviceAmg,
    x: wgpu::Buffer,
    r: wgpu::Buffer,
    z: wgpu::Buffer,
    p: wgpu::Buffer,
    q: wgpu::Buffer,
    partials: wgpu::Buffer,
    scalars: wgpu::Buffer,
}

/// PCG on the device with the V-cycle of the host's hierarchy: the GPU's `LinearSolver`. It is
/// a [`GpuBatch`] of one system, so a point solved alone and a point solved in a batch run the
/// same dispatches on the same numbers.
pub struct GpuPcg {
    batch: GpuBatch,
}

impl GpuPcg {
    pub fn new(ctx: GpuContext) -> GpuPcg {
        GpuPcg {
            batch: GpuBatch::new(ctx),
        }
    }

    pub fn context(&self) -> &GpuContext {
        &self.batch.ctx
    }

    /// Row blocks of the finest A, P and R uploaded by the last solve (see csr.rs).
    pub fn finest_blocks(&self) -> Option<[usize; 3]> {
        self.batch.stacks.first()?.amg.finest_blocks()
    }

    /// When the last solve's finest operator is in grid form (grid.rs), the entries of its rest.
    pub fn finest_grid_rest(&self) -> Option<usize> {
        self.batch.stacks.first()?.amg.finest_grid_rest()
    }
}

impl LinearSolver for GpuPcg {
    fn precision(&self) -> Precision {
        Precision::F32
    }

    fn solve(
        &mut self,
        matrix: &CsrMatrix,
        amg: &Amg,
        rhs: &[f64],
        x: &mut [f64],
        tolerance: f64,
    ) -> Result<LinearStats> {
        let mut jobs = [BatchJob {
            slot: 0,
            matrix,
            amg,
            rhs,
            x,
            tolerance,
        }];
        let mut results = self.batch.solve(&mut jobs)?;
        results
            .pop()
            .unwrap_or_else(|| Err(Error::Solver("a batched solve was lost".into())))
    }
}

/// One linear system of a batch: `matrix x = rhs` preconditioned by `amg` (whose finest level is
/// the operator, as for [`GpuPcg`]), to `tolerance` relative to `||rhs||`.
pub struct BatchJob<'a> {
    /// Which device system (vectors and hierarchy) of the batch holds this point.
    pub slot: usize,
    pub matrix: &'a CsrMatrix,
    pub amg: &'a Amg,
    pub rhs: &'a [f64],
    pub x: &'a mut [f64],
    pub tolerance: f64,
}

/// Several independent PCG solves on one device, advanced together. Systems that share a size
/// and hierarchy shape are stacked in the lanes of one [`Stack`], so every dispatch (product,
/// V-cycle, vector update, reduction) serves all of them at once; every running stack's CG
/// iterations go into one submission, and one readback brings every running residual norm back
/// (`CHECK_EVERY` iterations per round). Each lane keeps its own rows, coefficients and scalars,
/// so its arithmetic does not depend on the others; each stops on its own residual.
pub struct GpuBatch {
    ctx: GpuContext,
    stacks: Vec<Stack>,
    /// Rounds traced so far (see `run_round`).
    rounds_traced: u8,
}

impl GpuBatch {
    pub fn new(ctx: GpuContext) -> GpuBatch {
        GpuBatch {
            ctx,
            stacks: Vec::new(),
            rounds_traced: 0,
        }
    }

    pub fn context(&self) -> &GpuContext {
        &self.ctx
    }

    /// Frees the lanes of slots `n` and above (a stack goes once none of its lanes is held).
    pub fn keep_slots(&mut self, n: usize) {
        for stack in &mut self.stacks {
            for lane in &mut stack.lanes {
                if lane.as_ref().is_some_and(|l| l.slot >= n) {
                    *lane = None;
                }
            }
        }
        self.stacks.retain(|s| s.lanes.iter().any(Option::is_some));
    }

    /// Stacks the lanes of the last solve, for tests: lanes per stack.
    pub fn stack_sizes(&self) -> Vec<usize> {
        self.stacks.iter().map(|s| s.lanes.len()).collect()
    }
}
