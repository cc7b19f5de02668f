//! Running a loaded scenario: steady (at orbit-averaged loads with `[orbit]`) or transient, once
//! per load case, and which case governs the verdict (SCENARIO.md sections 3, 4 and 6).
//!
//! - steady.rs: what a steady solve does before Newton, and the steady run.
//! - transient.rs: a transient run: time grid, memory check, stepping, recording.
//! - exchange.rs: traced view factors and the cache that shares them between runs.
//! - cases.rs: every load case of a variant solved, and the governing one.

pub mod cases;
pub mod exchange;
pub mod steady;
pub mod transient;

pub use cases::{CaseRun, Evaluation, check_cases, evaluate, evaluate_built, governing};
pub use exchange::{ExchangeCache, radiation_settings, trace_exchange};
pub use steady::{prepare_steady, solve_steady};

use crate::error::Result;
use crate::model::Model;
use crate::orbit::OrbitGeometry;
use crate::report::transient::{Frame, TimeSeries};
use crate::report::{OrbitReport, Report, Verdict};
use crate::scenario::{LoadedScenario, Mode};
use crate::solve::{Backend, Solution, SolveOptions};

/// What a run of one scenario produced.
pub struct Outcome {
    pub report: Report,
    /// Temperatures of every node at the end (the steady state, or the last step).
    pub temperatures_k: Vec<f64>,
    pub converged: bool,
    pub failure: Option<String>,
    /// A transient's time series (for `--csv`).
    pub series: Option<TimeSeries>,
    /// A transient's temperature frames over the reported interval, when kept (for `--vtu`).
    pub frames: Vec<Frame>,
}

/// How a run goes beyond what the scenario says: where traced view factors are shared, and
/// whether a transient keeps its temperature frames (for `--vtu`).
#[derive(Clone, Copy)]
pub struct RunOptions<'a> {
    pub exchanges: &'a ExchangeCache,
    /// A transient keeps up to [`crate::solve::transient::MAX_FRAMES`] frames of its reported
    /// interval.
    pub keep_frames: bool,
}

/// Solve a loaded scenario as its `[solve]` section says: steady (with `[orbit]`: at
/// orbit-averaged loads) or transient; `model` ends at the last instant solved.
pub fn run(
    loaded: &LoadedScenario,
    model: &mut Model,
    backend: &Backend,
    options: RunOptions,
) -> Result<Outcome> {
    if !model.stranded.is_empty() {
        return Ok(not_solved(loaded, model, backend));
    }
    match loaded.scenario.solve.mode {
        Mode::Steady => steady::run_steady(loaded, model, backend, options.exchanges),
        Mode::Transient => transient::run_transient(loaded, model, backend, options),
    }
}

/// The outcome of a case whose failed pipes leave panels with no way to lose heat (SCENARIO-2,
/// Groups): it fails (exit 1) and is not solved; each such pipe's violation names the panels
/// it stranded. Temperatures are unknown (null in the JSON) and no result file is written.
pub fn not_solved(loaded: &LoadedScenario, model: &Model, backend: &Backend) -> Outcome {
    let options = solve_options(loaded);
    let solution = Solution {
        temperatures_k: vec![f64::NAN; model.n_nodes],
        converged: false,
        iterations: 0,
        linear_iterations: 0,
        max_change_k: f64::NAN,
        tolerance_k: options.tolerance_k,
        failure: None,
        wall_s: 0.0,
    };
    let mut report = Report::new(&loaded.scenario, model, &solution, backend);
    report.verdict = Verdict::Fail;
    let quoted = |names: &[String]| {
        names
            .iter()
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut reasons = Vec::new();
    for group in &model.stranded {
        let panels = quoted(&group.panels);
        for pipe in report
            .heat_pipes
            .iter_mut()
            .filter(|p| group.pipes.contains(&p.name))
        {
            pipe.violation = Some(format!(
                "the pipe has failed (failed = true): without it panels {panels} cannot lose heat (no side radiates and no temperature is held), so the case fails and is not solved"
            ));
        }
        reasons.push(format!(
            "panels {panels} cannot lose heat without failed heat pipe(s) {}",
            quoted(&group.pipes)
        ));
    }
    report.solver.message = Some(format!("not solved: {}", reasons.join("; ")));
    Outcome {
        report,
        temperatures_k: solution.temperatures_k,
        converged: false,
        failure: None,
        series: None,
        frames: Vec::new(),
    }
}

/// Refuse, as `solve` would before solving, a run whose tables cannot fit in memory (exit 2):
/// for `check`, and for `solve` before it names its backend. (The mesh itself is checked by
/// [`crate::model::build`].)
pub fn check_run_fits(loaded: &LoadedScenario, model: &Model) -> Result<()> {
    let s = &loaded.scenario;
    if s.solve.mode != Mode::Transient {
        return Ok(());
    }
    let geometry = s.orbit.as_ref().and_then(OrbitGeometry::new);
    transient::check_memory(loaded, model, &transient::horizon(s, geometry.as_ref()))
}

/// The limits of one Newton solve, from `[solve]`.
fn solve_options(loaded: &LoadedScenario) -> SolveOptions {
    let s = &loaded.scenario.solve;
    SolveOptions {
        tolerance_k: s.tolerance_k,
        max_iterations: s.max_iterations.max(1) as usize,
    }
}

/// The report's `orbit` part; the time-step fields are a transient's.
fn orbit_report(
    geometry: Option<&OrbitGeometry>,
    time_step_s: Option<f64>,
    steps_per_orbit: Option<usize>,
    periodic_change_k: Option<f64>,
) -> Option<OrbitReport> {
    geometry.map(|g| OrbitReport {
        period_s: g.period_s,
        altitude_km: g.altitude_km,
        beta_deg: g.beta_deg,
        eclipse_fraction: g.eclipse_fraction(),
        time_step_s,
        steps_per_orbit,
        periodic_change_k,
    })
}
