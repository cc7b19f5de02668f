//! Running a sweep: the plan (points, columns, id), one row per point, shards, and parallelism.

use rayon::prelude::*;

use super::table::{Row, Status};
use super::{Setting, design, evaluate, hash, path};
use crate::error::{Error, Result};
use crate::report::Verdict;
use crate::scenario::LoadedScenario;
use crate::solve::Backend;

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
        let base = super::base_document(loaded)?;
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
            grid: sweep.method == crate::scenario::SweepMethod::Grid,
        })
    }

    pub fn header(&self) -> String {
        super::table::header(&self.parameters, &self.payloads)
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

/// Solve one point and turn the outcome into its row; never fails.
pub fn run_point(loaded: &LoadedScenario, plan: &Plan, point: usize, backend: &Backend) -> Row {
    let values = plan.points[point].clone();
    let settings: Vec<Setting> = plan
        .parameters
        .iter()
        .zip(&values)
        .map(|(path, &value)| Setting {
            path: path.clone(),
            value,
        })
        .collect();
    let empty = |status, message: String| Row {
        point,
        values: values.clone(),
        status,
        verdict: None,
        payloads: vec![None; plan.payloads.len()],
        t_max_k: None,
        iterations: None,
        converged: false,
        message,
        case: None,
        limit_c: None,
    };
    match evaluate(loaded, &settings, backend) {
        Err(Error::Input(m)) => empty(Status::Invalid, m),
        Err(Error::Solver(m)) => empty(Status::Failed, m),
        Ok(evaluation) => {
            let report = evaluation.report();
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
/// too); on the GPU one after another. `tick` is called once per finished point.
pub fn run(
    loaded: &LoadedScenario,
    plan: &Plan,
    points: &[usize],
    backend: &Backend,
    parallel: bool,
    tick: &(dyn Fn() + Sync),
) -> Vec<Row> {
    let one = |&p: &usize| {
        let row = run_point(loaded, plan, p, backend);
        tick();
        row
    };
    if parallel && matches!(backend, Backend::Cpu { .. }) {
        points.par_iter().map(one).collect()
    } else {
        points.iter().map(one).collect()
    }
}
