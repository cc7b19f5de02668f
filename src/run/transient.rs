//! A transient run (SCENARIO.md section 4): the time grid, the memory its tables need, the
//! stepping over the scenario's instants, and the recorded report, series and frames.

use super::exchange::attach_exchange;
use super::{Outcome, RunOptions, orbit_report, solve_options};
use crate::error::{self, Error, Result};
use crate::memory;
use crate::model::Model;
use crate::orbit::{OrbitGeometry, ScenarioInstants};
use crate::report::transient::{TimeSeries, TransientRecorder};
use crate::report::{JunctionExtremes, Report};
use crate::scenario::{LoadedScenario, Scenario};
use crate::solve::transient::{self, Horizon, TransientSetup};
use crate::solve::{Backend, Solution};

/// Without `periodic_tolerance_k`, a larger periodic change gets a warning (SCENARIO.md
/// section 4).
pub const PERIODIC_WARNING_K: f64 = 0.1;

pub(super) fn run_transient(
    loaded: &LoadedScenario,
    model: &mut Model,
    backend: &Backend,
    options: RunOptions,
) -> Result<Outcome> {
    let s = &loaded.scenario;
    let geometry = s.orbit.as_ref().and_then(OrbitGeometry::new);
    if s.radiation.is_some() {
        attach_exchange(options.exchanges, loaded, model, backend, geometry.as_ref())?;
    }
    let started = std::time::Instant::now();
    let horizon = horizon(s, geometry.as_ref());
    check_memory(loaded, model, &horizon)?;
    let instants = match &geometry {
        Some(g) => ScenarioInstants::orbit(g, &s.environment, horizon.positions()),
        None => ScenarioInstants::constant(&s.environment),
    }
    .with_exchange(model)?;
    let setup = TransientSetup {
        horizon,
        initial_k: s.solve.initial_k,
        options: solve_options(loaded),
    };
    let mut linear = crate::solve::linear_solver(backend)?;
    let mut recorder = TransientRecorder::new(s, backend, geometry.is_some());
    if options.keep_frames {
        recorder.keep_frames(horizon.frame_stride());
    }
    let outcome = transient::run(model, &setup, &instants, linear.as_mut(), &mut |step| {
        recorder.record(step)
    })?;
    let steps_per_orbit = match horizon {
        Horizon::Orbits {
            steps_per_orbit, ..
        } => Some(steps_per_orbit),
        Horizon::Duration { .. } => None,
    };
    let orbit = orbit_report(
        geometry.as_ref(),
        Some(horizon.step_s()),
        steps_per_orbit,
        outcome.periodic_change_k,
    );
    let wall_s = started.elapsed().as_secs_f64();
    let (mut report, series, frames) = match recorder.finish(&outcome, orbit.clone(), wall_s) {
        Some(done) => done,
        None => {
            // Nothing was stepped: the initial steady state did not converge. Report its last
            // iterate, marked not converged.
            let solution = Solution {
                temperatures_k: outcome.final_temperatures_k.clone(),
                converged: false,
                iterations: outcome.iterations,
                linear_iterations: outcome.linear_iterations,
                max_change_k: outcome.max_change_k,
                tolerance_k: outcome.tolerance_k,
                failure: outcome.failure.clone(),
                wall_s,
            };
            let mut report = Report::new(s, model, &solution, backend);
            report.orbit = orbit;
            // The transient fields of that one state, at t = 0.
            for p in &mut report.payloads {
                p.over_interval = Some(JunctionExtremes {
                    junction_max_c: p.junction_c,
                    junction_min_c: p.junction_c,
                    time_of_max_s: 0.0,
                    time_of_min_s: 0.0,
                });
            }
            (report, TimeSeries::default(), Vec::new())
        }
    };
    if let Some(change) = outcome.periodic_change_k
        && change > PERIODIC_WARNING_K
        && s.solve.periodic_tolerance_k.is_none()
    {
        report.warnings.push(format!(
            "the last orbit still differs from the one before by up to {change:.3} K (more than {PERIODIC_WARNING_K} K): the orbit is not yet periodic; run more orbits or set solve.periodic_tolerance_k"
        ));
    }
    Ok(Outcome {
        report,
        temperatures_k: outcome.final_temperatures_k.clone(),
        converged: outcome.converged,
        failure: outcome.failure,
        series: Some(series),
        frames,
    })
}

/// The time grid of a transient scenario.
pub(super) fn horizon(s: &Scenario, geometry: Option<&OrbitGeometry>) -> Horizon {
    let time_step_s = s.solve.time_step_s.unwrap_or(f64::NAN);
    match geometry {
        Some(g) => Horizon::orbits(
            g.period_s,
            time_step_s,
            s.solve.orbits.unwrap_or(3).max(2) as usize,
            s.solve.periodic_tolerance_k,
        ),
        None => Horizon::duration(s.solve.duration_s.unwrap_or(f64::NAN), time_step_s),
    }
}

/// Refuse a transient whose tables cannot fit, before stepping (exit 2): the previous orbit's
/// states (f32 per node and step of an orbit), with `[radiation]` the absorbed loads per orbit
/// position (f32 per cell), and the time series (a row per step of the whole run).
pub(super) fn check_memory(
    loaded: &LoadedScenario,
    model: &Model,
    horizon: &Horizon,
) -> Result<()> {
    let positions = horizon.positions() as f64;
    // The steps asked for, which may be more than the horizon takes (it stops at 2^32 - 1).
    let s = &loaded.scenario.solve;
    let asked = match horizon {
        Horizon::Duration { .. } => s
            .duration_s
            .zip(s.time_step_s)
            .map_or(0.0, |(duration, step)| (duration / step).ceil()),
        Horizon::Orbits { .. } => 0.0,
    };
    let steps = (horizon.total_steps() as f64).max(asked);
    let ring_states = match horizon {
        Horizon::Orbits { .. } => positions,
        Horizon::Duration { .. } => 0.0,
    };
    let load_rows = if loaded.scenario.radiation.is_some() {
        positions
    } else {
        0.0
    };
    let needed = memory::transient_bytes(&memory::TransientTables {
        ring_states,
        load_rows,
        positions,
        steps,
        nodes: model.n_nodes,
        cells: model.n_cells,
        payloads: model.payloads.len(),
        panels: model.panels.len(),
    });
    let available = memory::available_f64();
    if needed > available {
        let what = match horizon {
            Horizon::Orbits { .. } => format!(
                "{positions} steps per orbit ({steps} in all) of a model with {} nodes",
                model.n_nodes
            ),
            Horizon::Duration { .. } => {
                let (duration, step) = (
                    s.duration_s.unwrap_or(f64::NAN),
                    s.time_step_s.unwrap_or(f64::NAN),
                );
                format!(
                    "{} s in steps of {} s ({} steps)",
                    error::Num(duration),
                    error::Num(step),
                    error::Num(duration / step)
                )
            }
        };
        return Err(Error::Input(format!(
            "{}: solve.time_step_s: {what} need about {} GiB for the run's tables and time series, more than the {} GiB available; use a longer time step{}",
            loaded.source.path.display(),
            error::gib(needed),
            error::gib(available),
            match horizon {
                Horizon::Orbits { .. } => ", fewer orbits or fewer cells",
                Horizon::Duration { .. } => " or a shorter duration",
            }
        )));
    }
    Ok(())
}
