//! Newton on the T^4 heat balance, shared by both backends: the first guess, the time term of
//! a transient step, the update and energy tests, the group correction, and the
//! [`LinearSolver`] trait through which a backend solves each step's linear system.

use rayon::prelude::*;

use super::groups;
use super::jacobian::{Jacobian, NewtonDiagonal};
use super::linalg::Precision;
use super::linalg::amg;
use super::linalg::sparse::{self, CsrMatrix};
use super::{Solution, SolveOptions};
use crate::error::Result;
use crate::model::balance::heat_residual;
use crate::model::{Model, SIGMA};

/// Relative energy imbalance required at convergence on an f64 backend (SCENARIO.md section 3).
pub const ENERGY_TOLERANCE_F64: f64 = 1e-6;
/// The same on an f32 backend.
pub const ENERGY_TOLERANCE_F32: f64 = 1e-5;
/// Largest number of preconditioned CG iterations per Newton step, on every backend.
pub const MAX_PCG_ITERATIONS: usize = 2000;
/// No Newton update may take a temperature below this fraction of its current value: keeps
/// T positive when a linearised T^4 overshoots downwards.
const MIN_STEP_FRACTION: f64 = 0.5;
/// The radiation and storage part of a row's diagonal, as the linear solve sees it, is at
/// least this fraction of its conduction part: about 7 ulps of the backend's precision, more
/// than the rounding of the row's entries can take away. The operator then stays positive
/// definite on a panel that barely exchanges heat (an unheated panel near a 0 K sink: 1e-9 of
/// the conduction, below f32's resolution; 1e-15 at a fraction of a kelvin, below f64's). The
/// group balance (groups.rs) restores the exact mean update of every panel, so the shift costs
/// accuracy only on the smoothest modes of such panels, which the next Newton step corrects;
/// any physical radiator's ratio (1e-6 at 10^7 cells) is far above both floors.
const F32_DIAGONAL_FLOOR: f64 = 4e-7;
const F64_DIAGONAL_FLOOR: f64 = 1e-14;
/// Newton gives up (exit 3) when neither the residual's norm nor the largest update (while
/// above the tolerance) has reached a new low (by 1 %) in this many iterations: an input far
/// outside physics (a film coefficient of 1e308) would otherwise spend all of
/// `max_iterations`, minutes, getting nowhere.
const NEWTON_STALL_ITERATIONS: usize = 10;
/// Linear-solve tolerances: loose while far from the solution, tight near it (inexact Newton).
const LOOSEST_LINEAR_TOLERANCE: f64 = 1e-3;
const TIGHTEST_LINEAR_TOLERANCE: f64 = 1e-11;
/// Eisenstat and Walker's second forcing term (SIAM J. Sci. Comput. 17, 1996): a step's linear
/// tolerance is `gamma (|R_k| / |R_k-1|)^2`, the residual reduction that quadratic convergence
/// would give anyway. A tighter solve is wasted while the T^4 term limits the step: on the
/// 10^6-cell benchmark radiator (VM) the earlier rule (`|R_k| / |R_0| * 1e-2`) took 38 CG
/// iterations, this one 34, with the same five Newton steps and residuals.
const FORCING_GAMMA: f64 = 0.9;
/// A linear residual (2-norm, W) below this fraction of the energy scale is noise for the
/// convergence test; even then each update is computed to this relative accuracy.
const LINEAR_FLOOR_OF_ENERGY_SCALE: f64 = 1e-10;
const LOOSEST_USEFUL_LINEAR_TOLERANCE: f64 = 1e-2;

/// Energy totals of a balance evaluated at some temperatures.
#[derive(Clone, Copy, Debug, Default)]
pub struct Balance {
    /// Sum of the free nodes' net heat: what is not accounted for.
    pub imbalance_w: f64,
    /// dissipated + absorbed + |fixed_in|: the scale the imbalance is judged against.
    pub scale_w: f64,
}

pub fn balance(model: &Model, residual: &[f64]) -> Balance {
    let free_or_fixed = |fixed: bool| {
        sparse::chunked_sum(residual.len(), |range| {
            range
                .filter(|&node| model.is_fixed(node) == fixed)
                .map(|node| residual[node])
                .sum()
        })
    };
    let imbalance = free_or_fixed(false);
    let fixed_in = -free_or_fixed(true);
    let total = |v: &[f64]| sparse::chunked_sum(v.len(), |range| v[range].iter().sum());
    let dissipated = total(&model.dissipated_w);
    let absorbed = total(&model.absorbed_w);
    Balance {
        imbalance_w: imbalance,
        scale_w: dissipated + absorbed + fixed_in.abs(),
    }
}

/// A uniform first guess: the temperature at which the whole model would radiate what it
/// dissipates and absorbs, and no colder than the warmest fixed region. Starting warm keeps
/// Newton on the convex side of T^4, where it converges without overshoot.
pub fn initial_temperature(model: &Model) -> f64 {
    let power: f64 = model.dissipated_w.iter().sum::<f64>() + model.absorbed_w.iter().sum::<f64>();
    let emissive: f64 = model.emissive_area.iter().sum();
    let radiative = if emissive > 0.0 {
        (power / (SIGMA * emissive) + model.sink_k.powi(4)).powf(0.25)
    } else {
        0.0
    };
    let warmest_fixed = model
        .fixed_regions
        .iter()
        .map(|r| r.temperature_k)
        .fold(0.0, f64::max);
    radiative.max(warmest_fixed).max(model.sink_k).max(1.0)
}

/// Newton's first guess: [`initial_temperature`] everywhere, fixed nodes at their values.
pub fn first_guess(model: &Model) -> Vec<f64> {
    let t0 = initial_temperature(model);
    (0..model.n_nodes)
        .map(|i| model.fixed_k[i].unwrap_or(t0))
        .collect()
}

/// Outcome of one linear solve.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinearStats {
    pub iterations: usize,
    pub converged: bool,
}

/// How one Newton step's system `(K + D) delta = R` is solved: the Newton loop ([`newton`]) is
/// shared by every backend, which differ only here.
pub trait LinearSolver {
    /// The precision of the solve; f32 relaxes the convergence test (SCENARIO.md section 3).
    fn precision(&self) -> Precision;

    /// Solves `matrix x = rhs` to `||rhs - matrix x|| <= tolerance ||rhs||` (or as close as the
    /// precision allows) from `x = 0`, preconditioned by `amg`: built for `matrix`, or for the
    /// matrix of a recent step (the hierarchy is refreshed only when stale).
    fn solve(
        &mut self,
        matrix: &CsrMatrix,
        amg: &amg::Amg,
        rhs: &[f64],
        x: &mut [f64],
        tolerance: f64,
    ) -> Result<LinearStats>;
}

/// The update tolerance applied (SCENARIO.md section 3): `tolerance_k`, and on an f32 backend
/// at least 2 ulp of the warmest temperature in f32.
pub fn update_tolerance(tolerance_k: f64, precision: Precision, t: &[f64]) -> f64 {
    match precision {
        Precision::F64 => tolerance_k,
        Precision::F32 => {
            let t_max = t
                .par_iter()
                .with_min_len(1 << 14)
                .copied()
                .reduce(|| 0.0, f64::max) as f32;
            let ulp = f64::from(f32::from_bits(t_max.to_bits() + 1) - t_max);
            if ulp.is_finite() {
                tolerance_k.max(2.0 * ulp)
            } else {
                tolerance_k
            }
        }
    }
}

/// The multigrid hierarchy only preconditions: it is refreshed when some temperature moved by
/// more than this fraction since it was built (T^3 in the diagonal then off by a factor of 3.4
/// or 0.125), and otherwise reused. Conduction dominates the fine levels, so a stale radiation
/// diagonal costs a few CG iterations, less than a refresh (a Galerkin product on every level;
/// on the GPU also an upload, 0.9 s at 10^7 cells with an H100 and 16 cores): on the 10^6-cell
/// benchmark radiator (VM) a 10 % threshold refreshed once for 36 CG iterations, this one never
/// for 38, and a refresh costs about what 5 iterations do.
const HIERARCHY_REFRESH_CHANGE: f64 = 0.5;

fn hierarchy_is_stale(built_at: &[f64], now: &[f64]) -> bool {
    built_at
        .par_iter()
        .with_min_len(1 << 14)
        .zip(now)
        .any(|(&b, &t)| (t - b).abs() > HIERARCHY_REFRESH_CHANGE * b.abs())
}

/// Newton on the heat balance in f64 on the host, each step's linear system solved by `linear`
/// with the smoothed-aggregation hierarchy built here; from a uniform first guess.
pub fn newton(
    model: &Model,
    options: SolveOptions,
    linear: &mut dyn LinearSolver,
) -> Result<Solution> {
    let t = first_guess(model);
    let mut solver = NewtonSolver::new(model, &t)?;
    solver.solve(model, t, options, linear, None)
}

/// The implicit part of a time step (SCENARIO.md section 4): the step's heat balance is
/// `F(T) - (alpha C T - history) = 0`, with C the nodes' heat capacities, `alpha` the leading
/// coefficient of the time derivative (1/dt for backward Euler, 3/(2 dt) for BDF2) and
/// `history` the rest of the derivative, C times the past temperatures' combination.
#[derive(Clone, Debug)]
pub struct TimeTerm {
    pub alpha: f64,
    pub history: Vec<f64>,
}

impl TimeTerm {
    /// Heat going into storage at each node for temperatures `t`, W.
    pub fn storage(&self, model: &Model, t: &[f64], out: &mut [f64]) {
        for (i, o) in out.iter_mut().enumerate() {
            *o = self.alpha * model.capacitance_j_k[i] * t[i] - self.history[i];
        }
    }
}

/// The heat balance of a step: `heat_residual` less what goes into storage.
pub fn step_residual(model: &Model, t: &[f64], time: Option<&TimeTerm>, out: &mut [f64]) {
    heat_residual(model, t, out);
    if let Some(time) = time {
        for (i, o) in out.iter_mut().enumerate() {
            *o -= time.alpha * model.capacitance_j_k[i] * t[i] - time.history[i];
        }
    }
}

/// The Newton matrix and its multigrid hierarchy, kept from one solve to the next (the steps
/// of a transient share the matrix's structure; the hierarchy is refreshed when stale). The
/// hierarchy owns the matrix as its finest level: each step rewrites its diagonal there.
pub struct NewtonSolver {
    diagonal: NewtonDiagonal,
    /// The f64 balance of each conduction group, applied to every update.
    groups: Option<groups::GroupBalance>,
    preconditioner: amg::Amg,
    hierarchy_temperatures: Vec<f64>,
    hierarchy_alpha: f64,
}

impl NewtonSolver {
    pub fn new(model: &Model, t: &[f64]) -> Result<NewtonSolver> {
        let start = std::time::Instant::now();
        let mut jacobian = Jacobian::new(model)?;
        jacobian.update_diagonal(model, t, 0.0);
        crate::trace::phase("Newton matrix", start);
        let start = std::time::Instant::now();
        let Jacobian { matrix, diagonal } = jacobian;
        let preconditioner = amg::Amg::owning(matrix, amg::AmgOptions::default());
        crate::trace::phase("multigrid set-up", start);
        if crate::trace::enabled() {
            let stats = preconditioner.stats();
            let shape: Vec<String> = stats
                .levels
                .iter()
                .map(|l| format!("{}/{}", l.rows, l.nnz))
                .collect();
            eprintln!(
                "trace: multigrid levels (rows/entries): {}; operator complexity {:.2}",
                shape.join(" "),
                stats.operator_complexity
            );
        }
        Ok(NewtonSolver {
            diagonal,
            groups: groups::GroupBalance::new(model),
            preconditioner,
            hierarchy_temperatures: t.to_vec(),
            hierarchy_alpha: 0.0,
        })
    }

    /// Newton from `t` (fixed nodes must already hold their values) on the steady balance, or
    /// on a time step's balance when `time` is given.
    pub fn solve(
        &mut self,
        model: &Model,
        t: Vec<f64>,
        options: SolveOptions,
        linear: &mut dyn LinearSolver,
        time: Option<&TimeTerm>,
    ) -> Result<Solution> {
        let mut state = self.start(model, t, options, linear.precision(), time);
        while let Some(linear_tolerance) = self.prepare_step(model, &mut state)? {
            let stats = linear.solve(
                self.preconditioner.finest(),
                &self.preconditioner,
                &state.rhs,
                &mut state.update,
                linear_tolerance,
            )?;
            self.finish_step(model, &mut state, stats);
        }
        Ok(state.into_solution())
    }

    /// The Newton matrix of the step prepared last.
    pub fn matrix(&self) -> &CsrMatrix {
        self.preconditioner.finest()
    }

    /// The multigrid hierarchy of the step prepared last.
    pub fn preconditioner(&self) -> &amg::Amg {
        &self.preconditioner
    }

    /// The state of a Newton solve from `t` before its first step; [`NewtonSolver::solve`] is
    /// `start`, then `prepare_step`, a linear solve and `finish_step` until `prepare_step` says
    /// it is done. Batched solves (gpu/batch.rs) drive several of these in lockstep.
    pub fn start<'a>(
        &self,
        model: &Model,
        t: Vec<f64>,
        options: SolveOptions,
        precision: Precision,
        time: Option<&'a TimeTerm>,
    ) -> NewtonState<'a> {
        let energy_tolerance = match precision {
            Precision::F64 => ENERGY_TOLERANCE_F64,
            Precision::F32 => ENERGY_TOLERANCE_F32,
        };
        let n = model.n_nodes;
        let mut residual = vec![0.0; n];
        let rhs = vec![0.0; n];
        step_residual(model, &t, time, &mut residual);
        let solution = Solution {
            temperatures_k: Vec::new(),
            converged: false,
            iterations: 0,
            linear_iterations: 0,
            max_change_k: f64::INFINITY,
            tolerance_k: options.tolerance_k,
            failure: None,
            wall_s: 0.0,
        };
        let energy_scale = step_balance(model, &t, &residual, time.is_some())
            .scale_w
            .max(f64::MIN_POSITIVE);
        NewtonState {
            time,
            options,
            precision,
            energy_tolerance,
            trace: crate::trace::enabled(),
            started: std::time::Instant::now(),
            t,
            residual,
            rhs,
            update: vec![0.0; n],
            solution,
            energy_scale,
            iteration: 0,
            refreshed: false,
            residual_norm: 0.0,
            linear_tolerance: 0.0,
            stall: Stall::new(),
            done: false,
        }
    }

    /// Prepares the next Newton step of `state`: the matrix at its temperatures, the hierarchy
    /// when due, the right-hand side (`state.rhs`) and, returned, the linear tolerance; `None`
    /// when the solve is over (converged, failed, or out of iterations).
    pub fn prepare_step(
        &mut self,
        model: &Model,
        state: &mut NewtonState<'_>,
    ) -> Result<Option<f64>> {
        if state.done || state.iteration >= state.options.max_iterations {
            state.done = true;
            return Ok(None);
        }
        state.iteration += 1;
        let alpha = state.time.map_or(0.0, |time| time.alpha);
        let t = &state.t;
        let diagonal = &self.diagonal;
        let floor = match (state.precision, &self.groups) {
            (_, None) => 0.0,
            (Precision::F32, Some(_)) => F32_DIAGONAL_FLOOR,
            (Precision::F64, Some(_)) => F64_DIAGONAL_FLOOR,
        };
        self.preconditioner
            .set_finest_diagonal(|node| diagonal.value_with_floor(model, t, alpha, node, floor));
        let refreshed =
            alpha != self.hierarchy_alpha || hierarchy_is_stale(&self.hierarchy_temperatures, t);
        if refreshed {
            self.preconditioner.refresh_from_finest();
            self.hierarchy_temperatures.copy_from_slice(t);
            self.hierarchy_alpha = alpha;
        }
        let residual_norm = free_norm(model, &state.residual, &mut state.rhs);
        // Inexact Newton: the linear tolerance tightens as the balance converges, but never
        // asks for a residual far below what the energy criterion can notice.
        let forcing = if state.iteration == 1 {
            LOOSEST_LINEAR_TOLERANCE
        } else {
            let reduction = residual_norm / state.residual_norm.max(f64::MIN_POSITIVE);
            (FORCING_GAMMA * reduction * reduction)
                .clamp(TIGHTEST_LINEAR_TOLERANCE, LOOSEST_LINEAR_TOLERANCE)
        };
        let noticeable = LINEAR_FLOOR_OF_ENERGY_SCALE * state.energy_scale
            / residual_norm.max(f64::MIN_POSITIVE);
        let linear_tolerance = forcing.max(noticeable.min(LOOSEST_USEFUL_LINEAR_TOLERANCE));
        state.refreshed = refreshed;
        state.residual_norm = residual_norm;
        state.linear_tolerance = linear_tolerance;
        Ok(Some(linear_tolerance))
    }

    /// Applies the update the linear solve left in `state.update` and judges convergence;
    /// returns whether the solve is over.
    pub fn finish_step(
        &self,
        model: &Model,
        state: &mut NewtonState<'_>,
        stats: LinearStats,
    ) -> bool {
        let iteration = state.iteration;
        if let Some(groups) = &self.groups {
            let alpha = state.time.map_or(0.0, |time| time.alpha);
            groups.correct(model, &state.t, alpha, &state.rhs, &mut state.update);
        }
        let solution = &mut state.solution;
        solution.linear_iterations += stats.iterations;
        if state.trace {
            eprintln!(
                "newton {iteration}: |R| {:.3e} W, multigrid refreshed {}, linear tolerance {:.1e}, {} CG iterations (converged {}), {:.3} s",
                state.residual_norm,
                state.refreshed,
                state.linear_tolerance,
                stats.iterations,
                stats.converged,
                state.started.elapsed().as_secs_f64()
            );
        }
        let max_change = state
            .t
            .par_iter_mut()
            .with_min_len(1 << 14)
            .zip(&state.update)
            .map(|(ti, &d)| {
                let next = (*ti + d).max(MIN_STEP_FRACTION * *ti);
                let change = (next - *ti).abs();
                *ti = next;
                change
            })
            .reduce(|| 0.0, f64::max);
        if !max_change.is_finite() {
            solution.failure = Some(format!(
                "the Newton update became non-finite at iteration {iteration}"
            ));
            solution.iterations = iteration;
            state.done = true;
            return true;
        }
        step_residual(model, &state.t, state.time, &mut state.residual);
        let b = step_balance(model, &state.t, &state.residual, state.time.is_some());
        solution.iterations = iteration;
        solution.max_change_k = max_change;
        // The absolute floor only matters for a model with no heat at all (everything at
        // the sink).
        let balanced = b.imbalance_w.abs() <= (state.energy_tolerance * b.scale_w).max(1e-12);
        solution.tolerance_k =
            update_tolerance(state.options.tolerance_k, state.precision, &state.t);
        if max_change <= solution.tolerance_k && balanced {
            solution.converged = true;
            state.done = true;
        } else if state
            .stall
            .stalled(state.residual_norm, max_change, solution.tolerance_k)
        {
            solution.failure = Some(format!(
                "Newton stalled: neither the residual (|R| = {:.3e} W) nor the update \
                 (last {max_change:.3e} K, tolerance {:.3e} K) improved in the last \
                 {NEWTON_STALL_ITERATIONS} iterations",
                state.residual_norm, solution.tolerance_k
            ));
            state.done = true;
        }
        state.done
    }
}

/// One Newton solve in progress (see [`NewtonSolver::start`]).
pub struct NewtonState<'a> {
    time: Option<&'a TimeTerm>,
    options: SolveOptions,
    precision: Precision,
    energy_tolerance: f64,
    trace: bool,
    started: std::time::Instant,
    t: Vec<f64>,
    residual: Vec<f64>,
    /// The right-hand side of the step prepared last.
    pub rhs: Vec<f64>,
    /// Where the linear solve leaves the step's update.
    pub update: Vec<f64>,
    solution: Solution,
    energy_scale: f64,
    iteration: usize,
    refreshed: bool,
    residual_norm: f64,
    linear_tolerance: f64,
    stall: Stall,
    done: bool,
}

/// The best residual norm and update so far, and the iterations since either improved.
#[derive(Clone, Copy, Debug)]
struct Stall {
    best_residual: f64,
    best_change: f64,
    since: usize,
}

impl Stall {
    fn new() -> Stall {
        Stall {
            best_residual: f64::INFINITY,
            best_change: f64::INFINITY,
            since: 0,
        }
    }

    /// Records an iteration; true once [`NEWTON_STALL_ITERATIONS`] have improved neither. An
    /// update already within `tolerance` is no progress: the balance is what is left to meet.
    fn stalled(&mut self, residual: f64, change: f64, tolerance: f64) -> bool {
        let mut improved = false;
        if residual < 0.99 * self.best_residual {
            self.best_residual = residual;
            improved = true;
        }
        if change > tolerance && change < 0.99 * self.best_change {
            self.best_change = change;
            improved = true;
        }
        self.since = if improved { 0 } else { self.since + 1 };
        self.since >= NEWTON_STALL_ITERATIONS
    }
}

impl NewtonState<'_> {
    /// Whether the solve is over.
    pub fn done(&self) -> bool {
        self.done
    }

    /// The outcome, with the last temperatures.
    pub fn into_solution(self) -> Solution {
        let mut solution = self.solution;
        if !solution.converged && solution.failure.is_none() {
            solution.failure = Some(format!(
                "Newton did not converge in {} iterations (last update {:.3e} K, tolerance {:.3e} K)",
                solution.iterations, solution.max_change_k, solution.tolerance_k
            ));
        }
        solution.temperatures_k = self.t;
        solution
    }
}

/// The free nodes' residual in `rhs` (fixed nodes zero), and its 2-norm.
fn free_norm(model: &Model, residual: &[f64], rhs: &mut [f64]) -> f64 {
    sparse::for_chunks(rhs, |offset, chunk| {
        for (k, r) in chunk.iter_mut().enumerate() {
            let node = offset + k;
            *r = if model.is_fixed(node) {
                0.0
            } else {
                residual[node]
            };
        }
    });
    sparse::norm2(rhs)
}

/// The balance a solve is judged by. In a time step the heat going into storage is part of
/// the balance, and the emitted heat joins the scale: a cooling plate with no dissipation and
/// no absorbed heat balances emission against storage alone.
fn step_balance(model: &Model, t: &[f64], residual: &[f64], transient: bool) -> Balance {
    let mut b = balance(model, residual);
    if transient {
        let sink4 = model.sink_k.powi(4);
        let emitted: f64 = (0..model.n_cells)
            .map(|c| SIGMA * model.emissive_area[c] * ((t[c] * t[c]) * (t[c] * t[c]) - sink4))
            .sum();
        b.scale_w += emitted.abs();
    }
    b
}

#[cfg(test)]
mod tests;
