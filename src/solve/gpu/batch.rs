//! Steady solves of several models on one device in lockstep (sweep points, SCENARIO.md section
//! 7). Each point runs the host Newton of `newton::NewtonSolver` (start, prepare_step, finish_step:
//! the same convergence test as a lone solve); at every lockstep iteration the host work of the
//! points still running (Jacobian, multigrid refresh, residuals) runs in parallel on rayon's
//! threads, and their linear systems are solved together by one [`GpuBatch`]: points whose
//! systems share a size and hierarchy shape (the points of a mesh) are stacked in the lanes of
//! one set of buffers, so each kernel is one dispatch for all of them; one submission carries
//! every stack's round of CG iterations and one readback all their residual norms. A point
//! leaves the batch when its own Newton converges (or fails). Every lane keeps its own rows,
//! coefficients and reductions, so a point's numbers do not depend on which points share the
//! batch: a batch of one, a batch of eight and `skysink solve` give identical bits.

use rayon::prelude::*;

use super::solver::{BatchJob, GpuBatch, open};
use crate::error::{Error, Result};
use crate::gpu::adapter::AdapterSummary;
use crate::model::Model;
use crate::solve::Precision;
use crate::solve::newton::{NewtonSolver, NewtonState, first_guess};
use crate::solve::{Solution, SolveOptions};

/// Nodes a batch holds on the device at most, all its points together (each point has its own
/// lane of hierarchy and vectors there): a sweep of large models is solved in smaller batches, down
/// to one point, rather than running out of device memory.
pub const MAX_BATCH_NODES: usize = 2_000_000;

/// Splits `nodes` (each point's node count, in order) into consecutive batches of at most
/// `size` points and [`MAX_BATCH_NODES`] nodes (a larger point alone).
pub fn split(nodes: &[usize], size: usize) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let (mut first, mut total) = (0, 0);
    for (i, &n) in nodes.iter().enumerate() {
        if i > first && (i - first >= size.max(1) || total + n > MAX_BATCH_NODES) {
            out.push(first..i);
            (first, total) = (i, 0);
        }
        total += n;
    }
    if first < nodes.len() {
        out.push(first..nodes.len());
    }
    out
}

struct Point<'a> {
    model: &'a Model,
    solver: NewtonSolver,
    state: NewtonState<'static>,
    /// The linear tolerance of the step prepared, when one is.
    step: Option<f64>,
    failed: Option<Error>,
    wall_s: f64,
}

/// Solves the steady state of every model on `adapter`, each from the uniform first guess of a
/// lone solve; one result per model, in order.
pub fn solve_steady_batch(
    models: &[(&Model, SolveOptions)],
    adapter: &AdapterSummary,
) -> Result<Vec<Result<Solution>>> {
    let mut batch = GpuBatch::new(open(adapter)?);
    solve_with(models, &mut batch)
}

/// [`solve_steady_batch`] on an open batch (its device systems are reused by slot).
pub fn solve_with(
    models: &[(&Model, SolveOptions)],
    batch: &mut GpuBatch,
) -> Result<Vec<Result<Solution>>> {
    let started = std::time::Instant::now();
    batch.keep_slots(models.len());
    let mut points: Vec<std::result::Result<Point<'_>, Error>> = models
        .iter()
        .map(|&(model, options)| {
            let t = first_guess(model);
            let solver = NewtonSolver::new(model, &t)?;
            let state = solver.start(model, t, options, Precision::F32, None);
            Ok(Point {
                model,
                solver,
                state,
                step: None,
                failed: None,
                wall_s: 0.0,
            })
        })
        .collect();
    loop {
        // Host side of the step, in parallel: each point touches only its own data.
        points.par_iter_mut().for_each(|p| {
            if let Ok(p) = p
                && p.failed.is_none()
            {
                match p.solver.prepare_step(p.model, &mut p.state) {
                    Ok(step) => p.step = step,
                    Err(e) => (p.step, p.failed) = (None, Some(e)),
                }
                if p.step.is_none() {
                    p.wall_s = started.elapsed().as_secs_f64();
                }
            }
        });
        let mut jobs: Vec<BatchJob<'_>> = Vec::new();
        let mut owners: Vec<usize> = Vec::new();
        for (slot, p) in points.iter_mut().enumerate() {
            if let Ok(p) = p
                && let Some(tolerance) = p.step
            {
                jobs.push(BatchJob {
                    slot,
                    matrix: p.solver.matrix(),
                    amg: p.solver.preconditioner(),
                    rhs: &p.state.rhs,
                    x: &mut p.state.update,
                    tolerance,
                });
                owners.push(slot);
            }
        }
        if jobs.is_empty() {
            break;
        }
        let stats = batch.solve(&mut jobs)?;
        drop(jobs);
        let mut outcome: Vec<Option<Result<crate::solve::newton::LinearStats>>> =
            (0..points.len()).map(|_| None).collect();
        for (slot, s) in owners.into_iter().zip(stats) {
            outcome[slot] = Some(s);
        }
        points
            .par_iter_mut()
            .zip(outcome.into_par_iter())
            .for_each(|(p, s)| {
                if let (Ok(p), Some(s)) = (p, s) {
                    match s {
                        Ok(stats) => {
                            p.solver.finish_step(p.model, &mut p.state, stats);
                        }
                        Err(e) => p.failed = Some(e),
                    }
                    p.step = None;
                }
            });
    }
    Ok(points
        .into_iter()
        .map(|p| {
            let p = p?;
            if let Some(e) = p.failed {
                return Err(e);
            }
            let mut solution = p.state.into_solution();
            solution.wall_s = p.wall_s;
            Ok(solution)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_hold_at_most_size_points_and_the_node_budget() {
        assert_eq!(split(&[10; 5], 2), vec![0..2, 2..4, 4..5]);
        assert_eq!(split(&[], 8), Vec::<std::ops::Range<usize>>::new());
        let big = MAX_BATCH_NODES / 2 + 1;
        assert_eq!(split(&[big, big, 5, 5], 8), vec![0..1, 1..4]);
        assert_eq!(split(&[3 * MAX_BATCH_NODES, 1], 8), vec![0..1, 1..2]);
        assert_eq!(split(&[1, 1, 1], 0), vec![0..1, 1..2, 2..3]);
    }
}
