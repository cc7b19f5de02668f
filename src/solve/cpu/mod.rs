//! The CPU backend's linear solver: each Newton step's system by conjugate gradients
//! preconditioned with one multigrid V-cycle per iteration, in f64 on rayon's threads.

use super::linalg::Precision;
use super::linalg::amg::Amg;
use super::linalg::pcg::{self, PcgWorkspace};
use super::linalg::sparse::CsrMatrix;
use super::newton::{LinearSolver, LinearStats, MAX_PCG_ITERATIONS, newton};
use super::{Solution, SolveOptions};
use crate::error::Result;
use crate::model::Model;

/// The CPU's linear solver: PCG with one V-cycle per iteration, in f64.
#[derive(Clone, Debug, Default)]
pub struct CpuPcg {
    work: PcgWorkspace,
}

impl LinearSolver for CpuPcg {
    fn precision(&self) -> Precision {
        Precision::F64
    }

    fn solve(
        &mut self,
        matrix: &CsrMatrix,
        amg: &Amg,
        rhs: &[f64],
        x: &mut [f64],
        tolerance: f64,
    ) -> Result<LinearStats> {
        x.fill(0.0);
        let stats = pcg::pcg(
            &mut self.work,
            matrix,
            amg,
            rhs,
            x,
            tolerance,
            MAX_PCG_ITERATIONS,
        );
        Ok(LinearStats {
            iterations: stats.iterations,
            converged: stats.converged,
        })
    }
}

/// The steady solve on the CPU backend.
pub fn solve_steady(model: &Model, options: SolveOptions) -> Result<Solution> {
    newton(model, options, &mut CpuPcg::default())
}
