//! Running a sweep: the plan (points, columns, id), one row per point, shards, and parallelism.

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::model::{Model, build};
use crate::report::sweep_table::{self, Row, Status};
use crate::report::{OrbitReport, Report, Verdict};
use crate::run::{ExchangeCache, RunOptions, evaluate, not_solved, prepare_steady};
use crate::scenario::variant::{Setting, base_document, design, hash, path, variant};
use crate::scenario::{LoadedScenario, Mode, SweepMethod};
use crate::solve::batch::{DEFAULT_BATCH, SteadyBatch};
use crate::solve::{Backend, Solution, SolveOptions};

/// How a sweep runs its points; none of it changes a row.
#[derive(Debug)]
pub struct SweepOptions {
    /// CPU points in parallel on rayon's threads (`--sequential` turns it off, to measure what
    /// parallelism buys).
    pub parallel: bool,
    /// GPU points solved together per batch (`--gpu-batch`; 1 solves them one at a time
    /// through the same code).
    pub gpu_batch: usize,
    /// Traced view factors shared between points of one geometry.
    pub exchanges: ExchangeCache,
}

impl Default for SweepOptions {
    fn default() -> Self {
        SweepOptions {
            parallel: true,
            gpu_batch: DEFAULT_BATCH,
            exchanges: ExchangeCache::default(),
        }
    }
}

/// What a sweep will run: its id, column names and every point's parameter values.
#[derive(Clone, Debug)]
pub struct Plan {
    pub sweep_id: String,
    pub parameters: Vec<String>,
    pub payloads: Vec<String>,
    pub points: Vec<Vec<f64>>,
    /// True for a grid (needed by `sweep --png`).
    pub grid: bool,
}

impl Plan {
    pub fn new(loaded: &LoadedScenario) -> Result<Plan> {
        let Some(sweep) = &loaded.scenario.sweep else {
            return Err(Error::Input(format!(
                "{}: the scenario has no [sweep]; add [sweep] with [[sweep.parameters]] (SCENARIO.md section 7)",
                loaded.source.path.display()
            )));
        };
        let base = base_document(loaded)?;
        let integer: Vec<bool> = sweep
            .parameters
            .iter()
            .map(|p| path::is_integer_key(&base, &p.path).unwrap_or(false))
            .collect();
        Ok(Plan {
            sweep_id: hash::sweep_id(&loaded.source.text),
            parameters: sweep.parameters.iter().map(|p| p.path.clone()).collect(),
            payloads: loaded
                .scenario
                .payloads
                .iter()
                .map(|p| p.name.clone())
                .collect(),
            points: design::points(sweep, &integer),
            grid: sweep.method == SweepMethod::Grid,
        })
    }

    pub fn header(&self) -> String {
        sweep_table::header(&self.parameters, &self.payloads)
    }

    /// The points a shard runs: point mod n = i - 1 (1 <= i <= n).
    pub fn shard(&self, shard: Option<(usize, usize)>) -> Vec<usize> {
        (0..self.points.len())
            .filter(|p| shard.is_none_or(|(i, n)| p % n == i - 1))
            .collect()
    }
}

/// Parse `--shard I/N`.
pub fn parse_shard(text: &str) -> Result<(usize, usize)> {
    let bad = || {
        Error::Input(format!(
            "--shard {text}: allowed: I/N with whole numbers 1 <= I <= N (as Slurm's --array=1-N)"
        ))
    };
    let (i, n) = text.split_once('/').ok_or_else(bad)?;
    let (i, n): (usize, usize) = (
        i.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if i < 1 || n < 1 || i > n {
        return Err(bad());
    }
    Ok((i, n))
}

fn settings_of(plan: &Plan, point: usize) -> Vec<Setting> {
    plan.parameters
        .iter()
        .zip(&plan.points[point])
        .map(|(path, &value)| Setting::number(path, value))
        .collect()
}

/// Refuses (exit 2) a sweep in which no point gives a scenario that builds: then the scenario
/// itself is broken (a fixed region that holds no cell, a mesh too large for the machine), not
/// one of its points, and `check` and `solve` refuse it too. Usually the scenario or the first
/// point builds and this is one build.
pub fn check_some_point_builds(loaded: &LoadedScenario, plan: &Plan) -> Result<()> {
    if build(loaded).is_ok() {
        return Ok(());
    }
    let base = base_document(loaded)?;
    let mut first = None;
    for point in 0..plan.points.len() {
        let settings = settings_of(plan, point);
        match variant(&base, &settings, loaded.source.path.clone()) {
            Ok(variant) => match build(&variant) {
                Ok(_) => return Ok(()),
                Err(e) => first = first.or(Some(e.to_string())),
            },
            Err(m) => first = first.or(Some(m)),
        }
    }
    Err(Error::Input(format!(
        "{}: no point of the sweep gives a valid scenario, so nothing was solved; point 0: {}",
        loaded.source.path.display(),
        first.unwrap_or_default()
    )))
}

/// Solve one point and turn the outcome into its row; never fails.
pub fn run_point(
    loaded: &LoadedScenario,
    plan: &Plan,
    point: usize,
    backend: &Backend,
    exchanges: &ExchangeCache,
) -> Row {
    let settings = settings_of(plan, point);
    let options = RunOptions {
        exchanges,
        keep_frames: false,
    };
    row(
        plan,
        point,
        evaluate(loaded, &settings, backend, options).map(|e| e.report()),
    )
}

/// The row of a point from its governing report, or from why it has none.
fn row(plan: &Plan, point: usize, outcome: Result<Report>) -> Row {
    let values = plan.points[point].clone();
    let empty = |status, message: String| Row {
        point,
        values: values.clone(),
        status,
        verdict: None,
        payloads: vec![None; plan.payloads.len()],
        t_max_k: None,
        mass_kg: None,
        heater_w: None,
        iterations: None,
        converged: false,
        message,
        case: None,
        limit_c: None,
    };
    match outcome {
        Err(Error::Input(m)) => empty(Status::Invalid, m),
        Err(Error::Solver(m)) => empty(Status::Failed, m),
        Ok(report) => {
            let converged = report.verdict != Verdict::NotConverged;
            let payloads = plan
                .payloads
                .iter()
                .map(|name| {
                    report
                        .payloads
                        .iter()
                        .find(|p| &p.name == name)
                        .map(|p| (p.junction_c, p.margin_k))
                })
                .collect();
            let t_max_k = report
                .panels
                .iter()
                .map(|p| p.t_max_k)
                .fold(f64::NEG_INFINITY, f64::max);
            let limit_c = report.payloads.iter().map(|p| p.limit_c).reduce(f64::min);
            Row {
                point,
                values,
                status: if converged {
                    Status::Ok
                } else {
                    Status::NotConverged
                },
                verdict: converged.then_some(report.verdict),
                payloads,
                t_max_k: Some(t_max_k),
                mass_kg: report.mass.known_total_kg(),
                // The scenarios this version reads have no heaters (SCENARIO-2 section 12).
                heater_w: Some(0.0),
                iterations: Some(report.solver.iterations),
                converged,
                message: report.solver.message.clone().unwrap_or_default(),
                case: report.case.clone(),
                limit_c,
            }
        }
    }
}

/// Solve `points` and return their rows in point order. On the CPU backend the points run in
/// parallel on rayon's threads (each solve is deterministic whatever the threads, so the rows are
/// too). On the GPU a steady scenario without load cases is solved in batches of
/// `options.gpu_batch` points (solve/batch.rs; a batch's numbers do not depend on its size),
/// other scenarios one point after another. `tick` is called once per finished point.
pub fn run(
    loaded: &LoadedScenario,
    plan: &Plan,
    points: &[usize],
    backend: &Backend,
    options: &SweepOptions,
    tick: &(dyn Fn() + Sync),
) -> Vec<Row> {
    let exchanges = &options.exchanges;
    let one = |&p: &usize| {
        let row = run_point(loaded, plan, p, backend, exchanges);
        tick();
        row
    };
    match backend {
        Backend::Cpu { .. } if options.parallel => points.par_iter().map(one).collect(),
        Backend::Gpu { .. } if batchable(loaded) => {
            let mut batch = SteadyBatch::new(backend);
            let mut rows = Vec::with_capacity(points.len());
            for chunk in points.chunks(options.gpu_batch.max(1)) {
                rows.extend(run_batch(
                    loaded, plan, chunk, backend, exchanges, &mut batch,
                ));
                for _ in chunk {
                    tick();
                }
            }
            rows
        }
        _ => points.iter().map(one).collect(),
    }
}

/// Whether a GPU sweep of `loaded` goes through the batched steady solve.
fn batchable(loaded: &LoadedScenario) -> bool {
    let s = &loaded.scenario;
    s.solve.mode == Mode::Steady && s.cases.is_empty()
}

/// One variant of a batch, ready to solve or already settled.
enum Prepared {
    Ready(Box<(LoadedScenario, Model, SolveOptions, Option<OrbitReport>)>),
    /// Judged without a solve (failed pipes that strand panels).
    Reported(Box<Report>),
    /// Refused before solving (an invalid variant, a model that cannot be built).
    Settled(Error),
}

fn prepare(
    loaded: &LoadedScenario,
    plan: &Plan,
    point: usize,
    backend: &Backend,
    exchanges: &ExchangeCache,
) -> Prepared {
    let settings = settings_of(plan, point);
    let variant = if settings.is_empty() {
        Ok(loaded.clone())
    } else {
        let base = match base_document(loaded) {
            Ok(base) => base,
            Err(e) => return Prepared::Settled(e),
        };
        variant(&base, &settings, loaded.source.path.clone()).map_err(Error::Input)
    };
    let ready = variant.and_then(|variant| {
        let mut model = build(&variant)?;
        if !model.stranded.is_empty() {
            let outcome = not_solved(&variant, &model, backend);
            return Ok(Prepared::Reported(Box::new(outcome.report)));
        }
        let (options, orbit) = prepare_steady(&variant, &mut model, backend, exchanges)?;
        Ok(Prepared::Ready(Box::new((variant, model, options, orbit))))
    });
    ready.unwrap_or_else(Prepared::Settled)
}

/// The rows of one batch of points (steady, no cases) solved together on the GPU.
fn run_batch(
    loaded: &LoadedScenario,
    plan: &Plan,
    chunk: &[usize],
    backend: &Backend,
    exchanges: &ExchangeCache,
    batch: &mut SteadyBatch,
) -> Vec<Row> {
    let prepared: Vec<Prepared> = chunk
        .iter()
        .map(|&p| prepare(loaded, plan, p, backend, exchanges))
        .collect();
    let ready: Vec<(&Model, SolveOptions)> = prepared
        .iter()
        .filter_map(|p| match p {
            Prepared::Ready(r) => Some((&r.1, r.2)),
            Prepared::Settled(_) | Prepared::Reported(_) => None,
        })
        .collect();
    let results: Vec<Result<Solution>> = batch.solve(&ready);
    let mut solved = results.into_iter();
    chunk
        .iter()
        .zip(prepared)
        .map(|(&point, p)| {
            let report = match p {
                Prepared::Settled(e) => Err(e),
                Prepared::Reported(report) => Ok(*report),
                Prepared::Ready(r) => {
                    let (variant, model, _, orbit) = *r;
                    match solved.next() {
                        Some(Ok(solution)) => {
                            let mut report =
                                Report::new(&variant.scenario, &model, &solution, backend);
                            report.orbit = orbit;
                            Ok(report)
                        }
                        Some(Err(e)) => Err(e),
                        None => Err(Error::Solver("a batched point was lost".to_string())),
                    }
                }
            };
            row(plan, point, report)
        })
        .collect()
}
