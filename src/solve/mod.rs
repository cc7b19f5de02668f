//! Solve: a backend turns a Model into a Solution. The CPU backend (f64) is the reference.
//!
//! - newton.rs: Newton on the T^4 balance, the time term, the [`newton::LinearSolver`] trait;
//!   jacobian.rs: the Newton matrix; groups.rs: the f64 group correction of each update.
//! - linalg/: backend-neutral sparse algebra, PCG and the multigrid set-up.
//! - cpu/: the CPU linear solver;  gpu/: the GPU linear solver. Neither imports the other.
//! - transient.rs: time stepping (backward Euler, BDF2) over any linear solver.
//! - batch.rs: many steady solves at once (a sweep's points), batched on the GPU.

pub mod batch;
pub mod cpu;
pub mod gpu;
pub mod groups;
pub mod jacobian;
pub mod linalg;
pub mod newton;
pub mod transient;

use crate::error::{Error, Result};
use crate::gpu::AdapterSummary;
use crate::model::Model;
use crate::scenario::BackendChoice;
pub use linalg::Precision;

/// Which backend runs the solve, as resolved from `--backend` / `solve.backend`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Backend {
    Cpu {
        threads: usize,
    },
    /// wgpu on one adapter; `precision` is that of the device's linear algebra.
    Gpu {
        adapter: AdapterSummary,
        precision: Precision,
    },
}

impl Backend {
    /// The line `solve` writes first on standard error (SCENARIO.md section 8).
    pub fn describe(&self) -> String {
        match self {
            Backend::Cpu { threads } => format!("skysink: backend cpu (f64, {threads} threads)"),
            Backend::Gpu { adapter, precision } => adapter.first_line(*precision),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Backend::Cpu { .. } => "cpu",
            Backend::Gpu { .. } => "gpu",
        }
    }

    pub fn precision(&self) -> &'static str {
        match self {
            Backend::Cpu { .. } => "f64",
            Backend::Gpu { precision, .. } => precision.as_str(),
        }
    }

    pub fn adapter(&self) -> Option<String> {
        match self {
            Backend::Cpu { .. } => None,
            Backend::Gpu { adapter, .. } => Some(adapter.name.clone()),
        }
    }
}

/// Limits of one steady solve.
#[derive(Clone, Copy, Debug)]
pub struct SolveOptions {
    pub tolerance_k: f64,
    pub max_iterations: usize,
}

/// Temperatures of every node and how the solver got there.
#[derive(Clone, Debug)]
pub struct Solution {
    pub temperatures_k: Vec<f64>,
    pub converged: bool,
    pub iterations: usize,
    pub linear_iterations: usize,
    /// Largest temperature change of the last Newton update, K.
    pub max_change_k: f64,
    /// The update tolerance applied, K.
    pub tolerance_k: f64,
    /// Why the solve stopped without converging, if it did.
    pub failure: Option<String>,
    pub wall_s: f64,
}

/// Pick the backend for a `--backend`/`solve.backend` choice (SCENARIO.md section 8): `cpu`
/// is the CPU; `gpu` the best adapter of any type (none: exit 3); `auto` the best adapter that
/// is not of CPU type, else the CPU. The GPU backend's linear algebra is f32.
pub fn choose_backend(choice: BackendChoice) -> Result<Backend> {
    let cpu = || Backend::Cpu {
        threads: rayon::current_num_threads(),
    };
    let gpu = |candidate: crate::gpu::Candidate| Backend::Gpu {
        adapter: candidate.summary,
        precision: Precision::F32,
    };
    match choice {
        BackendChoice::Cpu => Ok(cpu()),
        BackendChoice::Gpu => match crate::gpu::pick(crate::gpu::Choice::Gpu)? {
            Some(candidate) => Ok(gpu(candidate)),
            None => Err(Error::Solver(
                "--backend gpu: no GPU adapter found".to_string(),
            )),
        },
        BackendChoice::Auto => {
            Ok(crate::gpu::pick(crate::gpu::Choice::Auto)?.map_or_else(cpu, gpu))
        }
    }
}

/// The linear solver of a backend, for solves that drive Newton themselves (transients).
pub fn linear_solver(backend: &Backend) -> Result<Box<dyn newton::LinearSolver>> {
    Ok(match backend {
        Backend::Cpu { .. } => Box::new(cpu::CpuPcg::default()),
        Backend::Gpu { adapter, .. } => {
            Box::new(gpu::solver::GpuPcg::new(gpu::solver::open(adapter)?))
        }
    })
}

/// Solve a built model in steady state on `backend`.
pub fn solve(model: &Model, backend: &Backend, options: SolveOptions) -> Result<Solution> {
    let start = std::time::Instant::now();
    let mut solution = match backend {
        Backend::Cpu { .. } => cpu::solve_steady(model, options)?,
        Backend::Gpu { adapter, .. } => gpu::solver::solve_steady(model, options, adapter)?,
    };
    solution.wall_s = start.elapsed().as_secs_f64();
    crate::trace::phase("steady solve", start);
    Ok(solution)
}
