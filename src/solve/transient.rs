//! Transients (SCENARIO.md section 4): BDF2 time steps with Newton per step, on any backend
//! (the linear solver is the backend's), started by one backward-Euler step.
//!
//! BDF2 is second order and L-stable: the stiff conduction modes of a fine mesh (time constants
//! far below a 30 s step) are damped instead of ringing as they would under Crank-Nicolson.
//! The first step has no second past state and is backward Euler; its local error is
//! second order, so the run stays second order overall.

use super::newton::{LinearSolver, NewtonSolver, TimeTerm};
use super::{Solution, SolveOptions};
use crate::error::Result;
use crate::model::Model;
use crate::model::balance::heat_residual;

/// Most temperature frames a transient keeps for a `.pvd` series.
pub const MAX_FRAMES: usize = 100;

/// The time grid of a run.
#[derive(Clone, Copy, Debug)]
pub enum Horizon {
    /// `orbits` orbits (at most, with a periodic tolerance) of `steps_per_orbit` equal steps.
    Orbits {
        period_s: f64,
        steps_per_orbit: usize,
        orbits: usize,
        periodic_tolerance_k: Option<f64>,
    },
    /// `steps` equal steps over `duration_s`.
    Duration { duration_s: f64, steps: usize },
}

impl Horizon {
    pub fn orbits(period_s: f64, time_step_s: f64, orbits: usize, tolerance: Option<f64>) -> Self {
        Horizon::Orbits {
            period_s,
            steps_per_orbit: steps_over(period_s, time_step_s),
            orbits,
            periodic_tolerance_k: tolerance,
        }
    }

    pub fn duration(duration_s: f64, time_step_s: f64) -> Self {
        Horizon::Duration {
            duration_s,
            steps: steps_over(duration_s, time_step_s),
        }
    }

    /// The step actually taken: the span divided into whole steps.
    pub fn step_s(&self) -> f64 {
        match *self {
            Horizon::Orbits {
                period_s,
                steps_per_orbit,
                ..
            } => period_s / steps_per_orbit as f64,
            Horizon::Duration { duration_s, steps } => duration_s / steps as f64,
        }
    }

    /// Every how many steps a `.pvd` frame is kept: at most
    /// [`MAX_FRAMES`] frames over the reported interval.
    pub fn frame_stride(&self) -> usize {
        let span = match *self {
            Horizon::Orbits {
                steps_per_orbit, ..
            } => steps_per_orbit,
            Horizon::Duration { steps, .. } => steps,
        };
        span.div_ceil(MAX_FRAMES).max(1)
    }

    /// Steps of the whole run.
    pub fn total_steps(&self) -> usize {
        match *self {
            Horizon::Orbits {
                steps_per_orbit,
                orbits,
                ..
            } => steps_per_orbit.saturating_mul(orbits),
            Horizon::Duration { steps, .. } => steps,
        }
    }

    /// The number of distinct load positions: the steps of one orbit, or one (a `duration_s`
    /// run has a constant environment; only schedules change with time).
    pub fn positions(&self) -> usize {
        match *self {
            Horizon::Orbits {
                steps_per_orbit, ..
            } => steps_per_orbit,
            Horizon::Duration { .. } => 1,
        }
    }
}

/// ceil(span / step), at least one and at most 2^32 - 1 (a step so small that the count
/// overflows, even to infinity, takes the most, which the memory check then refuses); a step a
/// hair above span/n (rounding) does not add a step.
fn steps_over(span_s: f64, step_s: f64) -> usize {
    // SCENARIO-2, "Counts": ceil(a / b - 1e-9), so that a step that divides the span up to
    // rounding gives the whole number it was meant to.
    let n = (span_s / step_s - 1e-9).ceil();
    if n >= 1.0 {
        n.min(u32::MAX as f64) as usize
    } else {
        1
    }
}

/// Sets the model to step `step` at time `t_s`: loads of orbit position `step mod positions`,
/// payload powers and fixed temperatures. Called once per step, before it is solved.
pub trait Instants {
    fn apply(&self, model: &mut Model, step: usize, t_s: f64);
    /// Sets the model to the loads and powers averaged over one orbit's step times (with
    /// `duration_s`: those at t = 0), for the default initial state.
    fn apply_average(&self, model: &mut Model);
}

/// One solved instant, passed to the recorder.
pub struct StepRecord<'a> {
    pub step: usize,
    pub time_s: f64,
    pub model: &'a Model,
    pub temperatures_k: &'a [f64],
    /// Heat going into storage at each node, W (C dT/dt as the integrator has it).
    pub storage_w: &'a [f64],
    /// This step ends an orbit (and starts the next): the recorder closes its interval here.
    pub ends_orbit: bool,
}

/// How a run went.
#[derive(Clone, Debug)]
pub struct TransientOutcome {
    pub converged: bool,
    pub failure: Option<String>,
    pub steps: usize,
    pub orbits_run: usize,
    pub step_s: f64,
    /// Newton and linear iterations over every step (the initial steady solve included).
    pub iterations: usize,
    pub linear_iterations: usize,
    /// The largest last Newton update of any step, and the tolerance applied.
    pub max_change_k: f64,
    pub tolerance_k: f64,
    /// Largest |T(t) - T(t - P)| over the nodes and the step times of the last orbit.
    pub periodic_change_k: Option<f64>,
    pub final_temperatures_k: Vec<f64>,
}

impl TransientOutcome {
    /// Counts a solved step (converged or not): its iterations, its last update and tolerance.
    fn add_step(&mut self, step: usize, solution: &Solution) {
        self.iterations += solution.iterations;
        self.linear_iterations += solution.linear_iterations;
        self.max_change_k = self.max_change_k.max(solution.max_change_k);
        self.tolerance_k = self.tolerance_k.max(solution.tolerance_k);
        self.steps = step;
    }
}

pub struct TransientSetup {
    pub horizon: Horizon,
    pub initial_k: Option<f64>,
    pub options: SolveOptions,
}

fn fix_nodes(model: &Model, t: &mut [f64]) {
    for (ti, fixed) in t.iter_mut().zip(&model.fixed_k) {
        if let Some(value) = fixed {
            *ti = *value;
        }
    }
}

/// The initial state: uniform `initial_k`, or the steady state at averaged loads.
fn initial_state(
    model: &mut Model,
    setup: &TransientSetup,
    instants: &dyn Instants,
    linear: &mut dyn LinearSolver,
) -> Result<Solution> {
    match setup.initial_k {
        Some(initial) => {
            instants.apply(model, 0, 0.0);
            let mut t = vec![initial; model.n_nodes];
            fix_nodes(model, &mut t);
            Ok(Solution {
                temperatures_k: t,
                converged: true,
                iterations: 0,
                linear_iterations: 0,
                max_change_k: 0.0,
                tolerance_k: setup.options.tolerance_k,
                failure: None,
                wall_s: 0.0,
            })
        }
        None => {
            instants.apply_average(model);
            let mut solution = super::newton::newton(model, setup.options, linear)?;
            if let Some(failure) = &mut solution.failure {
                *failure = format!("the initial steady state did not converge: {failure}");
            }
            // A failed iterate is reported at the averaged loads it was solved at.
            if solution.converged {
                instants.apply(model, 0, 0.0);
                fix_nodes(model, &mut solution.temperatures_k);
            }
            Ok(solution)
        }
    }
}

/// The outcome before any step: the initial solve's iterations, and its last update if it did
/// not converge.
fn initial_outcome(initial: &Solution, dt: f64) -> TransientOutcome {
    TransientOutcome {
        converged: initial.converged,
        failure: initial.failure.clone(),
        steps: 0,
        orbits_run: 0,
        step_s: dt,
        iterations: initial.iterations,
        linear_iterations: initial.linear_iterations,
        // An initial steady state that did not converge reports its last update.
        max_change_k: if initial.converged {
            0.0
        } else {
            initial.max_change_k
        },
        tolerance_k: initial.tolerance_k,
        periodic_change_k: None,
        final_temperatures_k: initial.temperatures_k.clone(),
    }
}

/// Heat going into storage at t = 0: what the balance leaves over at the free nodes (zero from
/// a steady start), none at the fixed ones.
fn initial_storage(model: &Model, current: &[f64]) -> Vec<f64> {
    let mut storage = vec![0.0; model.n_nodes];
    heat_residual(model, current, &mut storage);
    for (s, fixed) in storage.iter_mut().zip(&model.fixed_k) {
        if fixed.is_some() {
            *s = 0.0;
        }
    }
    storage
}

/// Sets the time term of the step after `current`, and its Newton guess: backward Euler for the
/// first step (no `previous` state), BDF2 after it.
fn prepare_step(
    model: &Model,
    dt: f64,
    current: &[f64],
    previous: Option<&[f64]>,
    time: &mut TimeTerm,
    guess: &mut [f64],
) {
    match previous {
        None => {
            time.alpha = 1.0 / dt;
            for ((h, c), t) in time
                .history
                .iter_mut()
                .zip(&model.capacitance_j_k)
                .zip(current)
            {
                *h = c * t / dt;
            }
        }
        Some(previous) => {
            time.alpha = 1.5 / dt;
            for i in 0..model.n_nodes {
                time.history[i] =
                    model.capacitance_j_k[i] * (4.0 * current[i] - previous[i]) / (2.0 * dt);
                // Linear extrapolation, kept on the safe side of a sharp cooling.
                guess[i] = (2.0 * current[i] - previous[i]).max(0.5 * current[i]);
            }
        }
    }
}

/// The periodic check of an orbit run: each state against the one a period before, and the
/// largest change over the orbit under way.
struct Periodicity {
    steps_per_orbit: usize,
    /// The previous orbit's states, in f32: enough for a periodic change judged in 0.01 K.
    past_orbit: Vec<Vec<f32>>,
    orbit_change: f64,
}

impl Periodicity {
    fn new(steps_per_orbit: usize, initial: &[f64]) -> Self {
        Periodicity {
            steps_per_orbit,
            past_orbit: vec![initial.iter().map(|&x| x as f32).collect()],
            orbit_change: 0.0,
        }
    }

    /// Takes the state of `step`; returns its largest change from the state one period before,
    /// once a whole orbit is stored.
    fn observe(&mut self, step: usize, next: &[f64]) -> Option<f64> {
        let per = self.steps_per_orbit;
        let slot = step % per;
        // `past_orbit[slot]` holds the state one period ago once a whole orbit is stored.
        let change = (self.past_orbit.len() == per).then(|| {
            next.iter()
                .zip(&self.past_orbit[slot])
                .map(|(&a, &b)| (a - f64::from(b)).abs())
                .fold(0.0, f64::max)
        });
        self.orbit_change = self.orbit_change.max(change.unwrap_or(0.0));
        let stored: Vec<f32> = next.iter().map(|&x| x as f32).collect();
        if self.past_orbit.len() < per {
            self.past_orbit.push(stored);
        } else {
            self.past_orbit[slot] = stored;
        }
        change
    }

    /// Closes the orbit that ends at `step`, whose last state changed by `change`; true when
    /// the run is periodic within `tolerance` and stops.
    fn end_orbit(
        &mut self,
        step: usize,
        change: Option<f64>,
        tolerance: Option<f64>,
        outcome: &mut TransientOutcome,
    ) -> bool {
        outcome.orbits_run = step / self.steps_per_orbit;
        if outcome.orbits_run >= 2 {
            outcome.periodic_change_k = Some(self.orbit_change);
            if tolerance.is_some_and(|tol| self.orbit_change <= tol) {
                return true;
            }
        }
        // This instant also starts the next orbit.
        self.orbit_change = change.unwrap_or(0.0);
        false
    }
}

/// Runs the transient, handing every solved instant (t = 0 first) to `record`.
pub fn run(
    model: &mut Model,
    setup: &TransientSetup,
    instants: &dyn Instants,
    linear: &mut dyn LinearSolver,
    record: &mut dyn FnMut(&StepRecord),
) -> Result<TransientOutcome> {
    let n = model.n_nodes;
    let dt = setup.horizon.step_s();
    let initial = initial_state(model, setup, instants, linear)?;
    let mut outcome = initial_outcome(&initial, dt);
    if !initial.converged {
        return Ok(outcome);
    }
    let mut current = initial.temperatures_k;
    let mut storage = initial_storage(model, &current);
    record(&StepRecord {
        step: 0,
        time_s: 0.0,
        model,
        temperatures_k: &current,
        storage_w: &storage,
        ends_orbit: false,
    });

    let (steps_per_orbit, max_orbits, periodic_tolerance) = match setup.horizon {
        Horizon::Orbits {
            steps_per_orbit,
            orbits,
            periodic_tolerance_k,
            ..
        } => (Some(steps_per_orbit), orbits, periodic_tolerance_k),
        Horizon::Duration { .. } => (None, 0, None),
    };
    let mut periodicity = steps_per_orbit.map(|per| Periodicity::new(per, &current));

    let mut solver = NewtonSolver::new(model, &current)?;
    let mut previous: Option<Vec<f64>> = None;
    let mut time = TimeTerm {
        alpha: 0.0,
        history: vec![0.0; n],
    };
    let total = setup.horizon.total_steps();
    for step in 1..=total {
        let t_s = step as f64 * dt;
        instants.apply(model, step, t_s);
        let mut guess = current.clone();
        prepare_step(
            model,
            dt,
            &current,
            previous.as_deref(),
            &mut time,
            &mut guess,
        );
        fix_nodes(model, &mut guess);
        let solution = solver.solve(model, guess, setup.options, linear, Some(&time))?;
        outcome.add_step(step, &solution);
        if !solution.converged {
            // The report shows the failed step's last iterate (SCENARIO.md section 10).
            time.storage(model, &solution.temperatures_k, &mut storage);
            record(&StepRecord {
                step,
                time_s: t_s,
                model,
                temperatures_k: &solution.temperatures_k,
                storage_w: &storage,
                ends_orbit: false,
            });
            outcome.converged = false;
            outcome.failure = Some(format!(
                "time step {step} (t = {t_s:.1} s): {}",
                solution
                    .failure
                    .as_deref()
                    .unwrap_or("Newton did not converge")
            ));
            outcome.final_temperatures_k = solution.temperatures_k;
            return Ok(outcome);
        }
        let next = solution.temperatures_k;
        time.storage(model, &next, &mut storage);
        let ends_orbit = steps_per_orbit.is_some_and(|per| step % per == 0);
        record(&StepRecord {
            step,
            time_s: t_s,
            model,
            temperatures_k: &next,
            storage_w: &storage,
            ends_orbit,
        });
        let change = periodicity.as_mut().and_then(|p| p.observe(step, &next));
        previous = Some(std::mem::replace(&mut current, next));
        if ends_orbit
            && let Some(periodicity) = &mut periodicity
            && periodicity.end_orbit(step, change, periodic_tolerance, &mut outcome)
        {
            break;
        }
    }
    if let (Some(tol), Some(change)) = (periodic_tolerance, outcome.periodic_change_k)
        && change > tol
    {
        outcome.converged = false;
        outcome.failure = Some(format!(
            "the orbit did not become periodic within {max_orbits} orbits: the last orbit's largest change from the one before is {change:.3} K, above periodic_tolerance_k = {tol} K"
        ));
    }
    outcome.final_temperatures_k = current;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::steps_over;

    /// SCENARIO-2 "Counts": ceil(a / b - 1e-9), at least 1.
    #[test]
    fn a_step_that_divides_the_span_up_to_rounding_counts_whole() {
        assert_eq!(steps_over(5400.0, 60.0), 90);
        assert_eq!(steps_over(5400.0, 61.0), 89);
        // 3 + 5e-10 steps is 3, 3 + 2e-9 is 4.
        assert_eq!(steps_over(1.0, 1.0 / (3.0 + 5e-10)), 3);
        assert_eq!(steps_over(1.0, 1.0 / (3.0 + 2e-9)), 4);
        assert_eq!(steps_over(1.0, 10.0), 1);
        assert_eq!(steps_over(f64::NAN, 1.0), 1);
    }
}
