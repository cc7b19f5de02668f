//! `skysink size`: the smallest value of one parameter for which the scenario passes, by bisection
//! (SCENARIO.md section 7). Assumes a larger value never turns a pass into a fail.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::report::{PipeStatus, Report, SCHEMA_VERSION, Verdict, mass_line};
use crate::run::{Evaluation, ExchangeCache, RunOptions, evaluate};
use crate::scenario::variant::{Setting, base_document, path};
use crate::scenario::{LoadedScenario, parse_variant};
use crate::solve::Backend;

#[derive(Clone, Debug)]
pub struct SizeRequest {
    pub path: String,
    pub low: f64,
    pub high: f64,
    /// Default: (high - low) / 1000.
    pub tolerance: Option<f64>,
    /// Overrides `solve.required_margin_k`.
    pub margin_k: Option<f64>,
    /// Which limits decide the bisection (`--judge`).
    pub judge: Judge,
}

/// Which limits decide a sizing bisection (SCENARIO-2, "What changes in part 1"): a bigger
/// radiator can fail a cold case, so "a larger value never turns a pass into a fail" holds only
/// for one side of the limits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Judge {
    /// Upper limits, capacities, and the `hot` and `over` statuses.
    Upper,
    /// Lower limits and the `frozen` and `cold` statuses.
    Lower,
    /// The whole verdict (part 1).
    #[default]
    All,
}

impl Judge {
    /// Whether the limits this judge looks at hold in `report` (a failed pipe fails either
    /// side: nothing the bisection varies repairs it).
    pub fn holds(self, report: &Report) -> bool {
        if report.verdict == Verdict::NotConverged {
            return false;
        }
        let required = report.required_margin_k;
        let pipes_fail = |bad: &[PipeStatus]| {
            report.heat_pipes.iter().any(|h| {
                h.status
                    .is_some_and(|s| s == PipeStatus::Failed || bad.contains(&s))
            })
        };
        match self {
            Judge::All => report.verdict == Verdict::Pass,
            Judge::Upper => {
                report
                    .payloads
                    .iter()
                    .all(|p| p.limit_c - p.junction_c >= required)
                    && !pipes_fail(&[PipeStatus::Hot, PipeStatus::Over])
            }
            Judge::Lower => {
                report.payloads.iter().all(|p| {
                    let coldest = p
                        .over_interval
                        .as_ref()
                        .map_or(p.junction_c, |x| x.junction_min_c);
                    p.min_limit_c.is_none_or(|min| coldest - min >= required)
                }) && !pipes_fail(&[PipeStatus::Frozen, PipeStatus::Cold])
            }
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Trial {
    pub value: f64,
    pub verdict: Verdict,
    /// Whether the judged limits hold in every case (the whole verdict with `--judge all`).
    pub passes: bool,
    pub min_margin_k: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case: Option<String>,
}

/// The answer and the report at the value it stands on (the answer, or HIGH when none passes).
#[derive(Clone, Debug, Serialize)]
pub struct SizeOutcome {
    pub schema_version: u32,
    pub scenario: String,
    pub path: String,
    pub low: f64,
    pub high: f64,
    pub tolerance: f64,
    pub required_margin_k: f64,
    /// Which limits decided the bisection.
    pub judge: Judge,
    /// The smallest passing value found (the upper end of the final bracket); null when HIGH fails.
    pub answer: Option<f64>,
    /// Verdict at the answer, or at HIGH when none passes.
    pub verdict: Verdict,
    /// Lower end of the final bracket (fails), when the answer is not LOW.
    pub bracket_low: Option<f64>,
    pub trials: Vec<Trial>,
    /// The full report at the answer (or at HIGH).
    pub report: Report,
}

impl SizeOutcome {
    /// Exit status (SCENARIO.md section 8): 0 answer found and its full verdict passes; 1 when
    /// no value in range passes, or when the answer fails on limits the judge did not look at.
    pub fn exit_code(&self) -> u8 {
        if self.answer.is_some() && self.verdict == Verdict::Pass {
            0
        } else {
            1
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    pub fn human(&self) -> String {
        let mut out = String::new();
        use std::fmt::Write;
        let _ = writeln!(
            out,
            "{}\nsizing {} over [{}, {}], tolerance {}",
            self.scenario, self.path, self.low, self.high, self.tolerance
        );
        if self.required_margin_k > 0.0 {
            let _ = writeln!(
                out,
                "(every payload needs {} K of margin)",
                self.required_margin_k
            );
        }
        let _ = writeln!(
            out,
            "\n  {:>16} {:<8} {:>14}",
            "value", "verdict", "min margin K"
        );
        for t in &self.trials {
            let verdict = match (t.verdict, t.passes) {
                (Verdict::NotConverged, _) => "not-conv",
                (_, true) => "pass",
                (_, false) => "fail",
            };
            let case = t
                .case
                .as_deref()
                .map(|c| format!("  (case {c})"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {:>16} {:<8} {:>14.3}{case}",
                format!("{}", t.value),
                verdict,
                t.min_margin_k
            );
        }
        match self.answer {
            Some(answer) if self.verdict != Verdict::Pass => {
                let _ = writeln!(
                    out,
                    "\nanswer: {} = {answer} holds the {} limits, but the full verdict there is FAIL on limits --judge {} does not look at:",
                    self.path,
                    judge_name(self.judge),
                    judge_name(self.judge)
                );
                for v in self.report.violations() {
                    let _ = writeln!(out, "  {v}");
                }
            }
            Some(answer) => {
                let _ = writeln!(
                    out,
                    "\nanswer: {} = {answer} (PASS, smallest payload margin {:.2} K){}",
                    self.path,
                    self.report.min_margin_k(),
                    self.bracket_low
                        .map(|l| format!("; {l} fails"))
                        .unwrap_or_else(|| " : the low end of the range already passes".into())
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "\nno value in [{}, {}] passes: at {} = {} the verdict is FAIL",
                    self.low, self.high, self.path, self.high
                );
            }
        }
        for p in &self.report.payloads {
            let _ = writeln!(
                out,
                "  {:<16} junction {:.2} C, margin {:.2} K{}",
                p.name,
                p.junction_c,
                p.margin_k,
                p.violation
                    .as_deref()
                    .map(|v| format!(" ({v})"))
                    .unwrap_or_default()
            );
        }
        let _ = writeln!(out, "  {}", mass_line(&self.report.mass));
        out
    }
}

fn judge_name(judge: Judge) -> &'static str {
    match judge {
        Judge::Upper => "upper",
        Judge::Lower => "lower",
        Judge::All => "all",
    }
}

fn trial_of(value: f64, e: &Evaluation, judge: Judge) -> Trial {
    let report = e.report();
    Trial {
        value,
        verdict: report.verdict,
        passes: e.runs.iter().all(|run| judge.holds(&run.report)),
        min_margin_k: report.min_margin_k(),
        case: report.case.clone(),
    }
}

/// Check the request against the scenario before any solving (exit 2 when wrong).
pub fn check(loaded: &LoadedScenario, request: &SizeRequest) -> Result<bool> {
    let base = base_document(loaded)?;
    let refuse = |m: String| Error::Input(format!("--vary {}: {m}", request.path));
    path::check(&base, &request.path).map_err(refuse)?;
    if !(request.low.is_finite() && request.high.is_finite()) || request.low >= request.high {
        return Err(Error::Input(format!(
            "--between {} {}: allowed: two finite numbers with LOW < HIGH",
            request.low, request.high
        )));
    }
    if let Some(t) = request.tolerance
        && !(t.is_finite() && t > 0.0)
    {
        return Err(Error::Input(format!("--tol {t}: allowed: a number > 0")));
    }
    if let Some(m) = request.margin_k
        && !(m.is_finite() && m >= 0.0)
    {
        return Err(Error::Input(format!(
            "--margin-k {m}: allowed: a number >= 0"
        )));
    }
    if loaded.scenario.cases.iter().any(|c| {
        c.set
            .keys()
            .chain(&c.unset)
            .any(|key| path::overlap(key, &request.path))
    }) {
        return Err(refuse(
            "a load case sets this key; vary a key that no case sets".into(),
        ));
    }
    let integer = path::is_integer_key(&base, &request.path).unwrap_or(false);
    for (end, v) in [("LOW", request.low), ("HIGH", request.high)] {
        let mut doc = base.clone();
        path::set(&mut doc, &request.path, v).map_err(refuse)?;
        // Both ends must give a valid scenario, even when LOW already passes.
        parse_variant(&loaded.source.path, doc.to_string()).map_err(|m| {
            Error::Input(format!(
                "{}: --between {} {}: at {end} = {v} the scenario is invalid: {m}",
                loaded.source.path.display(),
                request.low,
                request.high
            ))
        })?;
    }
    Ok(integer)
}

/// Run the bisection. A value at which the scenario is invalid is exit 2, one that does not
/// converge exit 3 (`Error::Solver`).
pub fn size(
    loaded: &LoadedScenario,
    request: &SizeRequest,
    backend: &Backend,
    exchanges: &ExchangeCache,
    mut progress: impl FnMut(&Trial),
) -> Result<SizeOutcome> {
    let integer = check(loaded, request)?;
    let mut tolerance = request
        .tolerance
        .unwrap_or((request.high - request.low) / 1000.0);
    if integer {
        tolerance = tolerance.max(1.0);
    }
    let mut trials = Vec::new();
    let options = RunOptions {
        exchanges,
        keep_frames: false,
    };
    let mut solve_at = |value: f64| -> Result<(Evaluation, Trial)> {
        let mut settings = Vec::new();
        if let Some(m) = request.margin_k {
            settings.push(Setting::number("solve.required_margin_k", m));
        }
        settings.push(Setting::number(&request.path, value));
        let file = loaded.source.path.display();
        let e = evaluate(loaded, &settings, backend, options).map_err(|err| match err {
            Error::Input(m) => Error::Input(format!("{file}: at {} = {value}: {m}", request.path)),
            Error::Solver(m) => {
                Error::Solver(format!("{file}: at {} = {value}: {m}", request.path))
            }
        })?;
        let trial = trial_of(value, &e, request.judge);
        progress(&trial);
        if trial.verdict == Verdict::NotConverged {
            return Err(Error::Solver(format!(
                "at {} = {value} the solve did not converge: {}",
                request.path,
                e.report().solver.message.unwrap_or_default()
            )));
        }
        Ok((e, trial))
    };
    let finish = |answer: Option<f64>, bracket_low, e: &Evaluation, trials: Vec<Trial>| {
        let report = e.report();
        SizeOutcome {
            schema_version: SCHEMA_VERSION,
            scenario: loaded.scenario.name.clone(),
            path: request.path.clone(),
            low: request.low,
            high: request.high,
            tolerance,
            required_margin_k: report.required_margin_k,
            judge: request.judge,
            answer,
            verdict: report.verdict,
            bracket_low,
            trials,
            report,
        }
    };
    let (e, t) = solve_at(request.low)?;
    let passes = t.passes;
    trials.push(t);
    if passes {
        return Ok(finish(Some(request.low), None, &e, trials));
    }
    let (mut best, t) = solve_at(request.high)?;
    let passes = t.passes;
    trials.push(t);
    if !passes {
        return Ok(finish(None, None, &best, trials));
    }
    let (mut lo, mut hi) = (request.low, request.high);
    while hi - lo >= tolerance {
        let mut mid = 0.5 * (lo + hi);
        if integer {
            mid = mid.floor();
            if mid <= lo || mid >= hi {
                break;
            }
        }
        let (e, t) = solve_at(mid)?;
        let passes = t.passes;
        trials.push(t);
        if passes {
            hi = mid;
            best = e;
        } else {
            lo = mid;
        }
    }
    Ok(finish(Some(hi), Some(lo), &best, trials))
}
