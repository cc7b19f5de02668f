//! Load cases, design sweeps and sizing (SCENARIO.md sections 6 and 7).
//!
//! Every variant of a scenario (a case, a sweep point, a sizing trial) is made the same way: the
//! file's TOML document with some number-valued keys replaced ([`path`]), then the normal parse
//! and validation, so every rule of section 1 applies to it.

pub mod design;
pub mod hash;
pub mod path;
pub mod progress;
pub mod run;
pub mod size;
pub mod table;

use std::path::PathBuf;

use toml_edit::DocumentMut;

use crate::error::{Error, Num, Result, gib};
use crate::model::Model;
use crate::report::{CaseSummary, Report, Verdict};
use crate::scenario::place::{Invalid, Place};
use crate::scenario::{LoadedScenario, SweepMethod, parse_variant};
use crate::solve::Backend;

/// One key set to one number.
#[derive(Clone, Debug)]
pub struct Setting {
    pub path: String,
    pub value: f64,
}

/// The document of a scenario without its `[[cases]]` and `[sweep]`: what variants start from.
pub fn base_document(loaded: &LoadedScenario) -> Result<DocumentMut> {
    let mut doc: DocumentMut = loaded
        .source
        .text
        .parse()
        .map_err(|e: toml_edit::TomlError| {
            Error::Input(format!("{}: {e}", loaded.source.path.display()))
        })?;
    doc.remove("cases");
    doc.remove("sweep");
    Ok(doc)
}

fn toml_number(value: &toml::Value) -> Option<f64> {
    match value {
        toml::Value::Float(x) => Some(*x),
        toml::Value::Integer(i) => Some(*i as f64),
        _ => None,
    }
}

/// The settings of case `index` (its `set`, in file order).
pub fn case_settings(loaded: &LoadedScenario, index: usize) -> Vec<Setting> {
    loaded.scenario.cases[index]
        .set
        .iter()
        .filter_map(|(path, value)| {
            toml_number(value).map(|value| Setting {
                path: path.clone(),
                value,
            })
        })
        .collect()
}

/// Apply settings to a copy of `doc` and parse the result. `Err` carries the message of the
/// first path that cannot be set, or of the rule the changed scenario breaks.
pub fn variant(
    doc: &DocumentMut,
    settings: &[Setting],
    label: PathBuf,
) -> std::result::Result<LoadedScenario, String> {
    let mut doc = doc.clone();
    for s in settings {
        path::set(&mut doc, &s.path, s.value)?;
    }
    parse_variant(&label, doc.to_string())
}

/// Check what `scenario::parse` cannot check without applying paths: every case applied gives a
/// valid scenario, every sweep path names a number-valued key and takes each of its values.
pub fn check_scenario(loaded: &LoadedScenario) -> Result<()> {
    if loaded.scenario.cases.is_empty() && loaded.scenario.sweep.is_none() {
        return Ok(());
    }
    let spans = toml_edit::Document::parse(loaded.source.text.as_str()).ok();
    let refuse = |place: Place, message: String| {
        Error::Input(Invalid::new(place, message).render(&loaded.source, spans.as_ref()))
    };
    let base = base_document(loaded)?;
    for (i, case) in loaded.scenario.cases.iter().enumerate() {
        let place = Place::root().key("cases").index(i).key("set");
        let mut doc = base.clone();
        for setting in case_settings(loaded, i) {
            path::set(&mut doc, &setting.path, setting.value).map_err(|m| {
                // The place already names the path; do not repeat it.
                let m = m
                    .strip_prefix(&format!("{}: ", setting.path))
                    .map_or(m.clone(), str::to_string);
                refuse(place.key(&setting.path), m)
            })?;
        }
        parse_variant(&loaded.source.path, doc.to_string()).map_err(|m| {
            refuse(
                place.clone(),
                format!("case \"{}\" makes the scenario invalid: {m}", case.name),
            )
        })?;
    }
    if let Some(sweep) = &loaded.scenario.sweep {
        check_design_size(loaded, sweep).map_err(|(place, m)| refuse(place, m))?;
        for (i, param) in sweep.parameters.iter().enumerate() {
            let place = Place::root().key("sweep").key("parameters").index(i);
            path::check(&base, &param.path).map_err(|m| refuse(place.key("path"), m))?;
            if let Some((case, key)) = loaded.scenario.cases.iter().find_map(|c| {
                c.set
                    .keys()
                    .find(|key| path::overlap(key, &param.path))
                    .map(|key| (c, key))
            }) {
                let what = if *key == param.path {
                    String::new()
                } else {
                    format!(" (as {key}, which changes the same quantity)")
                };
                return Err(refuse(
                    place.key("path"),
                    format!(
                        "{} is both swept and set by case \"{}\"{what}; a key may be swept or set by cases, not both",
                        param.path, case.name
                    ),
                ));
            }
            let integer = path::is_integer_key(&base, &param.path).unwrap_or(false);
            let trial: Vec<(f64, Place)> = match (&param.values, &param.range) {
                (Some(values), _) => values
                    .iter()
                    .enumerate()
                    .map(|(k, &v)| (v, place.key("values").index(k)))
                    .collect(),
                (None, Some(range)) if sweep.method == SweepMethod::Grid => {
                    design::grid_values(range)
                        .into_iter()
                        .map(|v| (v, place.key("range")))
                        .collect()
                }
                (None, Some(range)) => range
                    .iter()
                    .map(|&v| (if integer { v.round() } else { v }, place.key("range")))
                    .collect(),
                (None, None) => Vec::new(),
            };
            let mut doc = base.clone();
            for (value, at) in trial {
                path::set(&mut doc, &param.path, value).map_err(|m| refuse(at, m))?;
            }
        }
    }
    Ok(())
}

/// Refuses a design whose points and result rows cannot fit in memory (a sweep holds both for
/// every point), before any of it is made: `range = [a, b, 1e12]` or `samples = 1e12` would
/// otherwise abort on allocation.
fn check_design_size(
    loaded: &LoadedScenario,
    sweep: &crate::scenario::Sweep,
) -> std::result::Result<(), (Place, String)> {
    let place = Place::root().key("sweep");
    let (points, place, fix) = match sweep.method {
        SweepMethod::Grid => (
            sweep
                .parameters
                .iter()
                .map(|p| match (&p.values, &p.range) {
                    (Some(values), _) => values.len() as f64,
                    (None, Some(range)) => range.get(2).copied().unwrap_or(1.0),
                    (None, None) => 1.0,
                })
                .product::<f64>(),
            place.key("parameters"),
            "fewer values or smaller counts",
        ),
        SweepMethod::LatinHypercube => (
            sweep.samples.unwrap_or(0) as f64,
            place.key("samples"),
            "fewer samples",
        ),
    };
    let parameters = sweep.parameters.len() as f64;
    let payloads = loaded.scenario.payloads.len() as f64;
    // A point's values (twice: the design and its row) and its row (status, verdict, payload
    // results, message), with the vectors' own headers.
    let point_bytes = 2.0 * (24.0 + 8.0 * parameters) + 24.0 * payloads + 200.0;
    let needed = points * point_bytes;
    let available =
        crate::model::build::available_memory_bytes().map_or(f64::INFINITY, |b| b as f64);
    if points > u32::MAX as f64 || needed > available {
        return Err((
            place,
            format!(
                "the design has {} points, whose values and results need about {} GiB, more than the {} GiB available (and at most {} points are allowed); use {fix}",
                Num(points),
                gib(needed),
                gib(available),
                u32::MAX
            ),
        ));
    }
    Ok(())
}

/// One solved variant: a case, or the scenario itself when it has no cases.
pub struct CaseRun {
    pub name: Option<String>,
    pub loaded: LoadedScenario,
    /// The model at the last instant solved.
    pub model: Model,
    /// End temperatures, convergence and, for a transient, the time series.
    pub outcome: crate::Outcome,
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
    keep_frames: bool,
) -> Result<CaseRun> {
    let start = std::time::Instant::now();
    let model = crate::build(&loaded)?;
    crate::trace::phase("build", start);
    run_built(name, loaded, model, backend, keep_frames)
}

fn run_built(
    name: Option<String>,
    loaded: LoadedScenario,
    mut model: Model,
    backend: &Backend,
    keep_frames: bool,
) -> Result<CaseRun> {
    let outcome = crate::run_keeping_frames(&loaded, &mut model, backend, keep_frames)?;
    Ok(CaseRun {
        name,
        loaded,
        model,
        report: outcome.report.clone(),
        outcome,
    })
}

/// Solve `loaded` with `settings` applied, once per load case (once without cases). A path that
/// cannot be set or a changed scenario that breaks a rule is `Error::Input`; a solver failure is
/// `Error::Solver`. Without settings and cases the file itself is solved, so its messages keep
/// their line and column.
pub fn evaluate(
    loaded: &LoadedScenario,
    settings: &[Setting],
    backend: &Backend,
) -> Result<Evaluation> {
    evaluate_keeping_frames(loaded, settings, backend, false)
}

/// [`evaluate_keeping_frames`] of a scenario without load cases and settings whose model
/// `model` is already built (`skysink solve` builds first so that mesh errors come before the
/// backend's).
pub fn evaluate_built(
    loaded: &LoadedScenario,
    model: Model,
    backend: &Backend,
    keep_frames: bool,
) -> Result<Evaluation> {
    let run = run_built(None, loaded.clone(), model, backend, keep_frames)?;
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
        let built = crate::build(&variant)
            .and_then(|model| crate::check_run_fits(&variant, &model).map(|()| model));
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

/// [`evaluate`], keeping a transient's temperature frames for a `.pvd` series when asked.
pub fn evaluate_keeping_frames(
    loaded: &LoadedScenario,
    settings: &[Setting],
    backend: &Backend,
    keep_frames: bool,
) -> Result<Evaluation> {
    let cases = &loaded.scenario.cases;
    if cases.is_empty() && settings.is_empty() {
        let run = solve_one(None, loaded.clone(), backend, keep_frames)?;
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
        runs.push(solve_one(None, variant, backend, keep_frames)?);
    } else {
        for (i, case) in cases.iter().enumerate() {
            let mut all = settings.to_vec();
            all.extend(case_settings(loaded, i));
            let variant = variant(&base, &all, label.clone())
                .map_err(|m| Error::Input(format!("case \"{}\": {m}", case.name)))?;
            let run =
                solve_one(Some(case.name.clone()), variant, backend, keep_frames).map_err(|e| {
                    match e {
                        Error::Input(m) => Error::Input(format!("case \"{}\": {m}", case.name)),
                        Error::Solver(m) => Error::Solver(format!("case \"{}\": {m}", case.name)),
                    }
                })?;
            runs.push(run);
        }
    }
    let reports: Vec<&Report> = runs.iter().map(|r| &r.report).collect();
    let governing = governing(&reports);
    Ok(Evaluation { runs, governing })
}
