//! Solve: a backend turns a Model into a Solution. The CPU backend (f64) is the reference.

pub mod cpu;
pub mod gpu;
pub mod transient;

use crate::error::Result;
use crate::model::Model;
use gpu::{AdapterSummary, Precision};

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
