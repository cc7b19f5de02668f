//! skysink: steady thermal solutions of spacecraft radiators carrying AI accelerators.
//!
//! The flow is four stages (DESIGN.md):
//! ```text
//! scenario::load -> model::build -> solve::solve(backend) -> report::Report::new
//! ```

pub mod bench;
pub mod error;
pub mod huge_pages;
pub mod model;
pub mod orbit;
pub mod output;
pub mod radiation;
pub mod report;
pub mod scenario;
pub mod solve;
pub mod sweep;
pub mod trace;

pub use error::{Error, Result};
pub use model::{Model, build};
pub use report::{Report, Verdict};
pub use scenario::{LoadedScenario, load};
pub use solve::{Backend, Solution, SolveOptions, solve};

/// Pick the backend for a `--backend`/`solve.backend` choice (SCENARIO.md section 8): `cpu`
/// is the CPU; `gpu` the best adapter of any type (none: exit 3); `auto` the best adapter that
/// is not of CPU type, else the CPU. The GPU backend's linear algebra is f32.
pub fn choose_backend(choice: scenario::BackendChoice) -> Result<Backend> {
    let cpu = || Backend::Cpu {
        threads: rayon::current_num_threads(),
    };
    let gpu = |candidate: solve::gpu::Candidate| Backend::Gpu {
        adapter: candidate.summary,
        precision: solve::gpu::Precision::F32,
    };
    match choice {
        scenario::BackendChoice::Cpu => Ok(cpu()),
        scenario::BackendChoice::Gpu => match solve::gpu::pick(solve::gpu::Choice::Gpu)? {
            Some(candidate) => Ok(gpu(candidate)),
            None => Err(Error::Solver(
                "--backend gpu: no GPU adapter found".to_string(),
            )),
        },
        scenario::BackendChoice::Auto => {
            Ok(solve::gpu::pick(solve::gpu::Choice::Auto)?.map_or_else(cpu, gpu))
        }
    }
}

/// What a run of `solve` produced.
pub struct Outcome {
    pub report: Report,
    /// Temperatures of every node at the end (the steady state, or the last step).
    pub temperatures_k: Vec<f64>,
    pub converged: bool,
    pub failure: Option<String>,
    /// A transient's time series (for `--csv`).
    pub series: Option<report::transient::TimeSeries>,
    /// A transient's temperature frames over the reported interval, when kept (for `--vtu`).
    pub frames: Vec<report::transient::Frame>,
}

/// The linear solver of a backend, for solves that drive Newton themselves (transients).
pub fn linear_solver(backend: &Backend) -> Result<Box<dyn solve::cpu::LinearSolver>> {
    Ok(match backend {
        Backend::Cpu { .. } => Box::new(solve::cpu::CpuPcg::default()),
        Backend::Gpu { adapter, .. } => Box::new(solve::gpu::solver::GpuPcg::new(
            solve::gpu::solver::open(adapter)?,
        )),
    })
}

/// What a steady solve of a loaded scenario does before Newton: the traced exchange with
/// `[radiation]`, the orbit-averaged loads with `[orbit]`; returns the solve options and the
/// report's orbit part. [`run`] and batched GPU sweeps share it.
pub fn prepare_steady(
    loaded: &LoadedScenario,
    model: &mut Model,
    backend: &Backend,
) -> Result<(SolveOptions, Option<report::OrbitReport>)> {
    let s = &loaded.scenario;
    let options = SolveOptions {
        tolerance_k: s.solve.tolerance_k,
        max_iterations: s.solve.max_iterations.max(1) as usize,
    };
    let geometry = s.orbit.as_ref().and_then(orbit::OrbitGeometry::new);
    if s.radiation.is_some() {
        attach_exchange(loaded, model, backend, geometry.as_ref())?;
    }
    if let Some(g) = &geometry {
        use solve::transient::Instants;
        orbit::ScenarioInstants::orbit(g, &s.environment, STEADY_ORBIT_POSITIONS)
            .with_exchange(model)?
            .apply_average(model);
    }
    let orbit = geometry.map(|g| report::OrbitReport {
        period_s: g.period_s,
        altitude_km: g.altitude_km,
        beta_deg: g.beta_deg,
        eclipse_fraction: g.eclipse_fraction(),
        time_step_s: None,
        steps_per_orbit: None,
        periodic_change_k: None,
    });
    Ok((options, orbit))
}

/// Without `periodic_tolerance_k`, a larger periodic change gets a warning (SCENARIO.md
/// section 4).
pub const PERIODIC_WARNING_K: f64 = 0.1;

/// Positions averaged for a steady solve with `[orbit]` (SCENARIO.md section 4).
pub const STEADY_ORBIT_POSITIONS: usize = 360;

/// Solve a loaded scenario as its `[solve]` section says: steady (with `[orbit]`: at
/// orbit-averaged loads) or transient; `model` ends at the last instant solved.
pub fn run(loaded: &LoadedScenario, model: &mut Model, backend: &Backend) -> Result<Outcome> {
    run_keeping_frames(loaded, model, backend, false)
}

/// [`run`]; a transient also keeps up to [`report::transient::MAX_FRAMES`] temperature frames
/// of its reported interval when `keep_frames` (for `--vtu`).
pub fn run_keeping_frames(
    loaded: &LoadedScenario,
    model: &mut Model,
    backend: &Backend,
    keep_frames: bool,
) -> Result<Outcome> {
    let s = &loaded.scenario;
    let options = SolveOptions {
        tolerance_k: s.solve.tolerance_k,
        max_iterations: s.solve.max_iterations.max(1) as usize,
    };
    if s.solve.mode == scenario::Mode::Steady {
        let (options, orbit) = prepare_steady(loaded, model, backend)?;
        let solution = solve(model, backend, options)?;
        let start = std::time::Instant::now();
        let mut report = Report::new(s, model, &solution, backend);
        trace::phase("report", start);
        report.orbit = orbit;
        return Ok(Outcome {
            report,
            converged: solution.converged,
            failure: solution.failure,
            temperatures_k: solution.temperatures_k,
            series: None,
            frames: Vec::new(),
        });
    }
    let geometry = s.orbit.as_ref().and_then(orbit::OrbitGeometry::new);
    if s.radiation.is_some() {
        attach_exchange(loaded, model, backend, geometry.as_ref())?;
    }
    let orbit_report = |time_step_s: Option<f64>, steps: Option<usize>, change: Option<f64>| {
        geometry.map(|g| report::OrbitReport {
            period_s: g.period_s,
            altitude_km: g.altitude_km,
            beta_deg: g.beta_deg,
            eclipse_fraction: g.eclipse_fraction(),
            time_step_s,
            steps_per_orbit: steps,
            periodic_change_k: change,
        })
    };
    let started = std::time::Instant::now();
    let horizon = transient_horizon(s, geometry.as_ref());
    check_transient_memory(loaded, model, &horizon)?;
    let instants = match &geometry {
        Some(g) => orbit::ScenarioInstants::orbit(g, &s.environment, horizon.positions()),
        None => orbit::ScenarioInstants::constant(&s.environment),
    }
    .with_exchange(model)?;
    let setup = solve::transient::TransientSetup {
        horizon,
        initial_k: s.solve.initial_k,
        options,
    };
    let mut linear = linear_solver(backend)?;
    let mut recorder = report::transient::TransientRecorder::new(s, backend, geometry.is_some());
    if keep_frames {
        recorder.keep_frames(horizon.frame_stride());
    }
    let outcome = solve::transient::run(model, &setup, &instants, linear.as_mut(), &mut |step| {
        recorder.record(step)
    })?;
    let steps_per_orbit = match horizon {
        solve::transient::Horizon::Orbits {
            steps_per_orbit, ..
        } => Some(steps_per_orbit),
        solve::transient::Horizon::Duration { .. } => None,
    };
    let orbit = orbit_report(
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
                p.over_interval = Some(report::JunctionExtremes {
                    junction_max_c: p.junction_c,
                    junction_min_c: p.junction_c,
                    time_of_max_s: 0.0,
                    time_of_min_s: 0.0,
                });
            }
            (report, report::transient::TimeSeries::default(), Vec::new())
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
fn transient_horizon(
    s: &scenario::Scenario,
    geometry: Option<&orbit::OrbitGeometry>,
) -> solve::transient::Horizon {
    let time_step_s = s.solve.time_step_s.unwrap_or(f64::NAN);
    match geometry {
        Some(g) => solve::transient::Horizon::orbits(
            g.period_s,
            time_step_s,
            s.solve.orbits.unwrap_or(3).max(2) as usize,
            s.solve.periodic_tolerance_k,
        ),
        None => {
            solve::transient::Horizon::duration(s.solve.duration_s.unwrap_or(f64::NAN), time_step_s)
        }
    }
}

/// Refuse, as `solve` would before solving, a run whose tables cannot fit in memory (exit 2):
/// for `check`, and for `solve` before it names its backend. (The mesh itself is checked by
/// [`build`].)
pub fn check_run_fits(loaded: &LoadedScenario, model: &Model) -> Result<()> {
    let s = &loaded.scenario;
    if s.solve.mode != scenario::Mode::Transient {
        return Ok(());
    }
    let geometry = s.orbit.as_ref().and_then(orbit::OrbitGeometry::new);
    check_transient_memory(loaded, model, &transient_horizon(s, geometry.as_ref()))
}

/// Refuse a transient whose tables cannot fit, before stepping (exit 2): the previous orbit's
/// states (f32 per node and step of an orbit), with `[radiation]` the absorbed loads per orbit
/// position (f32 per cell), and the time series (a row per step of the whole run).
fn check_transient_memory(
    loaded: &LoadedScenario,
    model: &Model,
    horizon: &solve::transient::Horizon,
) -> Result<()> {
    let positions = horizon.positions() as f64;
    // The steps asked for, which may be more than the horizon takes (it stops at 2^32 - 1).
    let s = &loaded.scenario.solve;
    let asked = match horizon {
        solve::transient::Horizon::Duration { .. } => s
            .duration_s
            .zip(s.time_step_s)
            .map_or(0.0, |(duration, step)| (duration / step).ceil()),
        solve::transient::Horizon::Orbits { .. } => 0.0,
    };
    let steps = (horizon.total_steps() as f64).max(asked);
    let ring_states = match horizon {
        solve::transient::Horizon::Orbits { .. } => positions,
        solve::transient::Horizon::Duration { .. } => 0.0,
    };
    let load_rows = if loaded.scenario.radiation.is_some() {
        positions
    } else {
        0.0
    };
    // A series row: the time, each junction, each panel's mean and maximum, the eclipse flag,
    // and the row's own vector (~64 bytes with the allocator's).
    let row_bytes = 8.0 * (2 + model.payloads.len() + 2 * model.panels.len()) as f64 + 64.0;
    // Per orbit position also an exposure (~100 bytes).
    let needed = 4.0 * (ring_states * model.n_nodes as f64 + load_rows * model.n_cells as f64)
        + 100.0 * positions
        + row_bytes * (steps + 1.0);
    let available = model::build::available_memory_bytes().map_or(f64::INFINITY, |b| b as f64);
    if needed > available {
        let what = match horizon {
            solve::transient::Horizon::Orbits { .. } => format!(
                "{positions} steps per orbit ({steps} in all) of a model with {} nodes",
                model.n_nodes
            ),
            solve::transient::Horizon::Duration { .. } => {
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
                solve::transient::Horizon::Orbits { .. } => ", fewer orbits or fewer cells",
                solve::transient::Horizon::Duration { .. } => " or a shorter duration",
            }
        )));
    }
    Ok(())
}

/// The radiation settings of a scenario's `[radiation]` (validated: both fit in u32).
pub fn radiation_settings(radiation: &scenario::Radiation) -> radiation::RadiationSettings {
    radiation::RadiationSettings {
        rays_per_side: u32::try_from(radiation.rays_per_side).unwrap_or(1),
        seed: u32::try_from(radiation.seed).unwrap_or(0),
    }
}

/// Traces the view factors of a scenario with `[radiation]` on `backend` (SCENARIO.md section
/// 5): the Earth direction is `environment.nadir_direction`, or with `[orbit]` the body nadir at
/// orbit noon.
pub fn trace_exchange(
    loaded: &LoadedScenario,
    model: &Model,
    backend: &Backend,
) -> Result<radiation::Exchange> {
    let s = &loaded.scenario;
    let settings = s
        .radiation
        .as_ref()
        .map(radiation_settings)
        .unwrap_or_default();
    let earth = match s.orbit.as_ref().and_then(orbit::OrbitGeometry::new) {
        Some(g) => Some(radiation::EarthView {
            nadir: g.at_time(0.0).nadir,
            altitude_km: g.altitude_km,
        }),
        None => radiation::ExternalLoads::from_environment(&s.environment).earth,
    };
    match backend {
        Backend::Cpu { .. } => {
            radiation::Exchange::trace(model, &settings, earth, &radiation::Tracer::Cpu)
        }
        Backend::Gpu { adapter, .. } => {
            let context = solve::gpu::solver::open(adapter)?;
            radiation::Exchange::trace(model, &settings, earth, &radiation::Tracer::Gpu(&context))
        }
    }
}

/// What a traced exchange depends on: every panel's position, edges and cells, the ray settings,
/// the Earth direction and the tracing backend; not coatings, powers or the environment's
/// fluxes. Points of a sweep (and load cases) that share it share one trace.
fn exchange_key(loaded: &LoadedScenario, model: &Model, backend: &Backend) -> Vec<u64> {
    let s = &loaded.scenario;
    let mut key: Vec<u64> = Vec::new();
    let mut push = |x: f64| key.push(x.to_bits());
    for p in &model.panels {
        for x in p
            .origin
            .iter()
            .chain(&p.u_dir)
            .chain(&p.v_dir)
            .chain(&p.length)
        {
            push(*x);
        }
        push(p.cells[0] as f64);
        push(p.cells[1] as f64);
    }
    if let Some(r) = &s.radiation {
        push(r.rays_per_side as f64);
        push(r.seed as f64);
    }
    match s.orbit.as_ref().and_then(orbit::OrbitGeometry::new) {
        Some(g) => {
            for x in g.at_time(0.0).nadir {
                push(x);
            }
            push(g.altitude_km);
        }
        None => {
            if let Some(e) = radiation::ExternalLoads::from_environment(&s.environment).earth {
                for x in e.nadir {
                    push(x);
                }
                push(e.altitude_km);
            }
        }
    }
    key.extend(backend.describe().bytes().map(u64::from));
    key
}

/// Traced exchanges kept for reuse, newest last.
static TRACED: std::sync::Mutex<Vec<(Vec<u64>, std::sync::Arc<radiation::Exchange>)>> =
    std::sync::Mutex::new(Vec::new());
/// How many traced geometries are kept (a sweep over a panel length has a new one per value).
const TRACED_KEPT: usize = 4;

/// The exchange of this geometry: traced, or reused from an earlier trace of the same geometry
/// in this process (set SKYSINK_REUSE_VIEW_FACTORS=0 to always trace).
fn shared_exchange(
    loaded: &LoadedScenario,
    model: &Model,
    backend: &Backend,
) -> Result<std::sync::Arc<radiation::Exchange>> {
    let reuse = std::env::var("SKYSINK_REUSE_VIEW_FACTORS").map_or(true, |v| v != "0");
    let key = exchange_key(loaded, model, backend);
    if reuse
        && let Ok(cache) = TRACED.lock()
        && let Some((_, exchange)) = cache.iter().find(|(k, _)| *k == key)
    {
        return Ok(exchange.clone());
    }
    let exchange = std::sync::Arc::new(trace_exchange(loaded, model, backend)?);
    if reuse && let Ok(mut cache) = TRACED.lock() {
        if cache.len() >= TRACED_KEPT {
            cache.remove(0);
        }
        cache.push((key, exchange.clone()));
    }
    Ok(exchange)
}

/// Traces the exchange (or reuses one of the same geometry) and makes the model use it: the
/// absorbed loads of the steady environment after shadows and reflections (an orbit tabulates
/// its own per position).
fn attach_exchange(
    loaded: &LoadedScenario,
    model: &mut Model,
    backend: &Backend,
    geometry: Option<&orbit::OrbitGeometry>,
) -> Result<()> {
    let exchange = shared_exchange(loaded, model, backend)?;
    if geometry.is_none() {
        let loads = radiation::ExternalLoads::from_environment(&loaded.scenario.environment);
        model.absorbed_w = exchange.external_absorbed(model, &loads)?;
    }
    model.exchange = Some(exchange);
    Ok(())
}

/// Solve a loaded scenario in steady state on `backend` and derive its report.
pub fn solve_steady(
    loaded: &LoadedScenario,
    model: &Model,
    backend: &Backend,
) -> Result<(Solution, Report)> {
    let options = SolveOptions {
        tolerance_k: loaded.scenario.solve.tolerance_k,
        max_iterations: loaded.scenario.solve.max_iterations.max(1) as usize,
    };
    let solution = solve(model, backend, options)?;
    let report = Report::new(&loaded.scenario, model, &solution, backend);
    Ok((solution, report))
}
