//! A steady run: the traced exchange with `[radiation]`, the orbit-averaged loads with
//! `[orbit]`, then Newton and the report.

use super::exchange::{ExchangeCache, attach_exchange};
use super::{Outcome, orbit_report, solve_options};
use crate::error::Result;
use crate::model::Model;
use crate::orbit::{OrbitGeometry, ScenarioInstants};
use crate::report::{OrbitReport, Report};
use crate::scenario::LoadedScenario;
use crate::solve::transient::Instants;
use crate::solve::{Backend, Solution, SolveOptions, solve};
use crate::trace;

/// Positions averaged for a steady solve with `[orbit]` (SCENARIO.md section 4).
pub const STEADY_ORBIT_POSITIONS: usize = 360;

/// What a steady solve of a loaded scenario does before Newton: the traced exchange with
/// `[radiation]`, the orbit-averaged loads with `[orbit]`; returns the solve options and the
/// report's orbit part. Steady runs and batched GPU sweeps share it.
pub fn prepare_steady(
    loaded: &LoadedScenario,
    model: &mut Model,
    backend: &Backend,
    exchanges: &ExchangeCache,
) -> Result<(SolveOptions, Option<OrbitReport>)> {
    let s = &loaded.scenario;
    let geometry = s.orbit.as_ref().and_then(OrbitGeometry::new);
    if s.radiation.is_some() {
        attach_exchange(exchanges, loaded, model, backend, geometry.as_ref())?;
    }
    if let Some(g) = &geometry {
        ScenarioInstants::orbit(g, &s.environment, STEADY_ORBIT_POSITIONS)
            .with_exchange(model)?
            .apply_average(model);
    }
    let orbit = orbit_report(geometry.as_ref(), None, None, None);
    Ok((solve_options(loaded), orbit))
}

pub(super) fn run_steady(
    loaded: &LoadedScenario,
    model: &mut Model,
    backend: &Backend,
    exchanges: &ExchangeCache,
) -> Result<Outcome> {
    let (options, orbit) = prepare_steady(loaded, model, backend, exchanges)?;
    let solution = solve(model, backend, options)?;
    let start = std::time::Instant::now();
    let mut report = Report::new(&loaded.scenario, model, &solution, backend);
    trace::phase("report", start);
    report.orbit = orbit;
    Ok(Outcome {
        report,
        converged: solution.converged,
        failure: solution.failure,
        temperatures_k: solution.temperatures_k,
        series: None,
        frames: Vec::new(),
    })
}

/// Solve a built model of a loaded scenario in steady state on `backend`, as it stands (no
/// exchange or orbit averaging attached here), and derive its report.
pub fn solve_steady(
    loaded: &LoadedScenario,
    model: &Model,
    backend: &Backend,
) -> Result<(Solution, Report)> {
    let solution = solve(model, backend, solve_options(loaded))?;
    let report = Report::new(&loaded.scenario, model, &solution, backend);
    Ok((solution, report))
}
