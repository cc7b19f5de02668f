//! Every load case of a variant solved, and which one governs the verdict (SCENARIO.md
//! section 6): the worst verdict, then the smallest margin.

use super::{Outcome, RunOptions, check_run_fits, run};
use crate::error::{Error, Result};
use crate::model::{Model, build};
use crate::report::{CaseSummary, Report, Verdict};
use crate::scenario::LoadedScenario;
use crate::scenario::variant::{Setting, base_document, case_settings, variant};
use crate::solve::Backend;
use crate::trace;

/// One solved variant: a case, or the scenario itself when it has no cases.
pub struct CaseRun {
    pub name: Option<String>,
    pub loaded: LoadedScenario,
    /// The model at the last instant solved.
    pub model: Model,
    /// End temperatures, convergence and, for a transient, the time series.
    pub outcome: Outcome,
    pub report: Report,
}

/// Every case of one variant solved, and which one governs.
pub struct Evaluation {
    pub runs: Vec<CaseRun>,
    pub governing: usize,
}

impl Evaluation {
    pub fn governing_run(&self) -> &CaseRun {
        &self.runs[self.governing]
    }

    /// The governing case's report, with `case` and `cases` filled in when there are cases.
    pub fn report(&self) -> Report {
        let run = self.governing_run();
        let mut report = run.report.clone();
        if run.name.is_some() {
            report.case = run.name.clone();
            report.cases = Some(
                self.runs
                    .iter()
                    .map(|r| CaseSummary::new(r.name.as_deref().unwrap_or(""), &r.report))
                    .collect(),
            );
        }
        report
    }
}

/// Rank of a verdict: a non-converged case first, then a failing one, then the smallest margin.
fn severity(report: &Report) -> (u8, f64) {
    let rank = match report.verdict {
        Verdict::NotConverged => 0,
        Verdict::Fail => 1,
        Verdict::Pass => 2,
    };
    (rank, report.min_margin_k())
}

/// Index of the governing report: the worst verdict, then the smallest margin; the first on ties.
pub fn governing(reports: &[&Report]) -> usize {
    let mut best = 0;
    for (i, r) in reports.iter().enumerate().skip(1) {
        let (a, b) = (severity(r), severity(reports[best]));
        if a.0 < b.0 || (a.0 == b.0 && a.1 < b.1) {
            best = i;
        }
    }
    best
}

fn solve_one(
    name: Option<String>,
    loaded: LoadedScenario,
    backend: &Backend,
    options: RunOptions,
) -> Result<CaseRun> {
    let start = std::time::Instant::now();
    let model = build(&loaded)?;
    trace::phase("build", start);
    run_built(name, loaded, model, backend, options)
}

fn run_built(
    name: Option<String>,
    loaded: LoadedScenario,
    mut model: Model,
    backend: &Backend,
    options: RunOptions,
) -> Result<CaseRun> {
    let outcome = run(&loaded, &mut model, backend, options)?;
    Ok(CaseRun {
        name,
        loaded,
        model,
        report: outcome.report.clone(),
        outcome,
    })
}

/// [`evaluate`] of a scenario without load cases and settings whose model
/// `model` is already built (`skysink solve` builds first so that mesh errors come before the
/// backend's).
pub fn evaluate_built(
    loaded: &LoadedScenario,
    model: Model,
    backend: &Backend,
    options: RunOptions,
) -> Result<Evaluation> {
    let run = run_built(None, loaded.clone(), model, backend, options)?;
    Ok(Evaluation {
        runs: vec![run],
        governing: 0,
    })
}

/// Builds every load case's model and checks that its run fits in memory, one case at a time,
/// as `solve` would before solving it (exit 2 with the case named); returns the first case's
/// model. For `check`, and for `solve` before it solves any case.
pub fn check_cases(loaded: &LoadedScenario) -> Result<Option<Model>> {
    let base = base_document(loaded)?;
    let mut first = None;
    for (i, case) in loaded.scenario.cases.iter().enumerate() {
        let in_case = |m: String| Error::Input(format!("case \"{}\": {m}", case.name));
        let variant = variant(&base, &case_settings(loaded, i), loaded.source.path.clone())
            .map_err(in_case)?;
        let built =
            build(&variant).and_then(|model| check_run_fits(&variant, &model).map(|()| model));
        let model = built.map_err(|e| match e {
            Error::Input(m) => in_case(m),
            other => other,
        })?;
        if first.is_none() {
            first = Some(model);
        }
    }
    Ok(first)
}

/// Solve `loaded` with `settings` applied, once per load case (once without cases). A path that
/// cannot be set or a changed scenario that breaks a rule is `Error::Input`; a solver failure is
/// `Error::Solver`. Without settings and cases the file itself is solved, so its messages keep
/// their line and column.
pub fn evaluate(
    loaded: &LoadedScenario,
    settings: &[Setting],
    backend: &Backend,
    options: RunOptions,
) -> Result<Evaluation> {
    let cases = &loaded.scenario.cases;
    if cases.is_empty() && settings.is_empty() {
        let run = solve_one(None, loaded.clone(), backend, options)?;
        return Ok(Evaluation {
            runs: vec![run],
            governing: 0,
        });
    }
    let base = base_document(loaded)?;
    let label = loaded.source.path.clone();
    let mut runs = Vec::new();
    if cases.is_empty() {
        let variant = variant(&base, settings, label).map_err(Error::Input)?;
        runs.push(solve_one(None, variant, backend, options)?);
    } else {
        for (i, case) in cases.iter().enumerate() {
            let mut all = settings.to_vec();
            all.extend(case_settings(loaded, i));
            let variant = variant(&base, &all, label.clone())
                .map_err(|m| Error::Input(format!("case \"{}\": {m}", case.name)))?;
            let run = solve_one(Some(case.name.clone()), variant, backend, options).map_err(
                |e| match e {
                    Error::Input(m) => Error::Input(format!("case \"{}\": {m}", case.name)),
                    Error::Solver(m) => Error::Solver(format!("case \"{}\": {m}", case.name)),
                },
            )?;
            runs.push(run);
        }
    }
    let reports: Vec<&Report> = runs.iter().map(|r| &r.report).collect();
    let governing = governing(&reports);
    Ok(Evaluation { runs, governing })
}
