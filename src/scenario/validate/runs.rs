//! `[solve]`, `[[cases]]` and `[sweep]`: how the scenario is solved, and the shape of the
//! variants run from it.

use std::collections::HashSet;

use super::Validator;
use crate::scenario::place::Place;
use crate::scenario::types::{Mode, Scenario, SweepMethod};

impl Validator {
    pub(super) fn solve(&mut self, s: &Scenario) {
        let p = Place::root().key("solve");
        let solve = &s.solve;
        self.non_negative(p.key("required_margin_k"), solve.required_margin_k);
        self.positive(p.key("tolerance_k"), solve.tolerance_k);
        if solve.max_iterations < 1 {
            self.fail(
                p.key("max_iterations"),
                format!(
                    "{} is not allowed; max_iterations must be >= 1",
                    solve.max_iterations
                ),
            );
        }
        if let Some(dt) = solve.time_step_s {
            self.positive(p.key("time_step_s"), dt);
        }
        if let Some(d) = solve.duration_s {
            self.positive(p.key("duration_s"), d);
        }
        if let Some(orbits) = solve.orbits
            && orbits < 2
        {
            self.fail(
                p.key("orbits"),
                format!("{orbits} is not allowed; orbits must be >= 2"),
            );
        }
        if let Some(t) = solve.initial_k {
            self.positive(p.key("initial_k"), t);
        }
        if let Some(t) = solve.periodic_tolerance_k {
            self.positive(p.key("periodic_tolerance_k"), t);
        }
        match solve.mode {
            Mode::Steady => {
                for (key, given) in [
                    ("initial_k", solve.initial_k.is_some()),
                    ("duration_s", solve.duration_s.is_some()),
                    ("orbits", solve.orbits.is_some()),
                ] {
                    if given {
                        self.fail(
                            p.key(key),
                            format!("{key} is allowed only with mode = \"transient\""),
                        );
                    }
                }
            }
            Mode::Transient => {
                if solve.time_step_s.is_none() {
                    self.fail(
                        p.key("mode"),
                        "mode = \"transient\" needs time_step_s (the time step, s)",
                    );
                }
                match (s.orbit.is_some(), solve.duration_s.is_some()) {
                    (true, true) => self.fail(
                        p.key("duration_s"),
                        "duration_s cannot be given with [orbit]: an orbit runs `orbits` orbits; remove one of the two",
                    ),
                    (false, false) => self.fail(
                        p.key("mode"),
                        "mode = \"transient\" needs either an [orbit] section or solve.duration_s",
                    ),
                    _ => {}
                }
                if s.orbit.is_none() {
                    for (key, given) in [
                        ("orbits", solve.orbits.is_some()),
                        ("periodic_tolerance_k", solve.periodic_tolerance_k.is_some()),
                    ] {
                        if given {
                            self.fail(
                                p.key(key),
                                format!("{key} is allowed only with an [orbit] section"),
                            );
                        }
                    }
                }
            }
        }
    }

    /// Case names and the shape of `set`; whether each path exists and each changed scenario is
    /// valid is checked on the document (`crate::run::check_cases`).
    pub(super) fn cases(&mut self, s: &Scenario) {
        let mut seen = HashSet::new();
        for (i, case) in s.cases.iter().enumerate() {
            let p = Place::root().key("cases").index(i);
            self.name(p.key("name"), "case", &case.name, &mut seen);
            if case.set.is_empty() && case.unset.is_empty() {
                self.fail(
                    p.key("set"),
                    format!(
                        "case \"{}\" sets nothing; give set = {{ \"path.to.key\" = value, ... }} or unset = [\"path.to.key\"]",
                        case.name
                    ),
                );
            }
        }
    }

    /// The shape of `[sweep]`: method, samples, seed and each parameter's values or range.
    pub(super) fn sweep(&mut self, s: &Scenario) {
        let Some(sweep) = &s.sweep else { return };
        let p = Place::root().key("sweep");
        let lhs = sweep.method == SweepMethod::LatinHypercube;
        if sweep.parameters.is_empty() {
            self.fail(
                p.clone(),
                "[sweep] has no parameters; add [[sweep.parameters]] with path and values or range",
            );
        }
        match (lhs, sweep.samples) {
            (true, None) => self.fail(
                p.key("method"),
                "method = \"latin-hypercube\" needs samples (the number of points, >= 1)",
            ),
            (true, Some(n)) if n < 1 => self.fail(
                p.key("samples"),
                format!("{n} is not allowed; samples must be >= 1"),
            ),
            (false, Some(_)) => self.fail(
                p.key("samples"),
                "samples is allowed only with method = \"latin-hypercube\"",
            ),
            _ => {}
        }
        if !lhs && sweep.seed.is_some() {
            self.fail(
                p.key("seed"),
                "seed is allowed only with method = \"latin-hypercube\"",
            );
        }
        let mut paths = HashSet::new();
        for (i, param) in sweep.parameters.iter().enumerate() {
            let pp = p.key("parameters").index(i);
            if !paths.insert(param.path.as_str()) {
                self.fail(
                    pp.key("path"),
                    format!(
                        "\"{}\" is swept twice; each path may appear once",
                        param.path
                    ),
                );
            }
            match (&param.values, &param.range, lhs) {
                (Some(_), Some(_), _) => {
                    self.fail(pp.clone(), "give values or range, not both")
                }
                (None, None, _) => self.fail(
                    pp.clone(),
                    "a parameter needs values = [...] or range = [first, last, count] ([low, high] for a Latin hypercube)",
                ),
                (Some(_), None, true) => self.fail(
                    pp.key("values"),
                    "a Latin hypercube samples ranges; give range = [low, high]",
                ),
                (Some(values), None, false) => {
                    if values.is_empty() {
                        self.fail(pp.key("values"), "values is empty; give at least one value");
                    }
                }
                (None, Some(range), false) => {
                    if range.len() != 3 {
                        self.fail(
                            pp.key("range"),
                            format!("a grid range has 3 numbers [first, last, count], not {}", range.len()),
                        );
                    } else if range[2] < 1.0 || range[2].fract() != 0.0 {
                        self.fail(
                            pp.key("range").index(2),
                            format!("{} is not allowed; the count must be a whole number >= 1", range[2]),
                        );
                    } else if range[2] == 1.0 && range[0] != range[1] {
                        self.fail(
                            pp.key("range"),
                            "a count of 1 needs first = last",
                        );
                    }
                }
                (None, Some(range), true) => {
                    if range.len() != 2 {
                        self.fail(
                            pp.key("range"),
                            format!("a Latin hypercube range has 2 numbers [low, high], not {}", range.len()),
                        );
                    } else if range[0] > range[1] {
                        self.fail(
                            pp.key("range"),
                            format!("low {} is above high {}; allowed: low <= high", range[0], range[1]),
                        );
                    }
                }
            }
        }
    }
}
