//! Shared helpers for the end-to-end tests: write a scenario into a temporary directory, run the
//! `skysink` binary on it, capture its exit status and streams, and read its JSON report.
//!
//! Every test crate uses a different subset of these helpers.
#![allow(dead_code)]

pub mod panels;

/// The one "GPU or skip" rule, shared with the library's unit tests.
#[allow(unused_imports)]
pub use skysink::gpu::testing::{adapter_or_skip, context_or_skip};

use serde_json::Value;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use tempfile::TempDir;

/// Stefan-Boltzmann constant, W/m^2/K^4 (SCENARIO.md section 1).
pub const SIGMA: f64 = 5.670374419e-8;
/// Earth radius, km (SCENARIO.md section 1).
pub const R_E_KM: f64 = 6378.137;
/// Kelvin at 0 C.
pub const C_TO_K: f64 = 273.15;

/// What one run of the binary produced.
#[derive(Debug)]
pub struct Run {
    /// Exit status; `None` when the process was killed by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Stdout parsed as exactly one JSON document (fails the test otherwise).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON document ({e})\n--- stdout:\n{}\n--- stderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// Fails the test unless the exit status is `code`; shows both streams.
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "unexpected exit status\n--- stdout:\n{}\n--- stderr:\n{}",
            self.stdout,
            self.stderr
        );
        assert!(
            !self.stderr.contains("panicked"),
            "the program panicked:\n{}",
            self.stderr
        );
        self
    }
}

/// Runs the binary with `args` and extra environment variables.
pub fn run_env<I, S>(args: I, env: &[(&str, &str)]) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_skysink"));
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("could not start the skysink binary");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs the binary with `args`.
pub fn run<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    run_env(args, &[])
}

/// A scenario file written into its own temporary directory (removed when dropped).
pub struct Scenario {
    pub dir: TempDir,
    pub path: PathBuf,
}

impl Scenario {
    /// Writes `text` to `<tempdir>/<file_name>`.
    pub fn new(file_name: &str, text: &str) -> Scenario {
        let dir = tempfile::Builder::new()
            .prefix("skysink-test-")
            .tempdir()
            .expect("temporary directory");
        let path = dir.path().join(file_name);
        std::fs::write(&path, text).expect("write scenario");
        Scenario { dir, path }
    }

    /// The scenario's path as a string (for arguments and for matching messages).
    pub fn path_str(&self) -> &str {
        self.path.to_str().expect("temporary paths are UTF-8")
    }

    /// A path next to the scenario (for output files).
    pub fn out(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `skysink solve <scenario> <extra...>`.
    pub fn solve(&self, extra: &[&str]) -> Run {
        let mut args: Vec<&OsStr> = vec![OsStr::new("solve"), self.path.as_os_str()];
        args.extend(extra.iter().map(OsStr::new));
        run(args)
    }

    /// `skysink check <scenario>`.
    pub fn check(&self) -> Run {
        run([OsStr::new("check"), self.path.as_os_str()])
    }

    /// `skysink solve <scenario> --backend cpu --json - --quiet`: the run and its JSON report.
    pub fn solve_json(&self) -> (Run, Value) {
        let r = self.solve(&["--backend", "cpu", "--json", "-", "--quiet"]);
        let v = r.json();
        (r, v)
    }
}

/// Solves `text` on the CPU backend, requires exit status `code`, returns the JSON report.
pub fn solve_expect(text: &str, code: i32) -> Value {
    let s = Scenario::new("scenario.toml", text);
    let (r, v) = s.solve_json();
    r.expect_code(code);
    v
}

/// Solves `text` on the CPU backend, requires exit status 0 and a converged solve.
pub fn solve_ok(text: &str) -> Value {
    let v = solve_expect(text, 0);
    assert_eq!(v["solver"]["converged"], Value::Bool(true), "not converged");
    v
}

/// The element of the array `report[list]` whose `name` is `name`.
pub fn named<'a>(report: &'a Value, list: &str, name: &str) -> &'a Value {
    let items = report[list]
        .as_array()
        .unwrap_or_else(|| panic!("report has no array {list:?}: {report:#}"));
    let found: Vec<&Value> = items.iter().filter(|x| x["name"] == name).collect();
    assert_eq!(
        found.len(),
        1,
        "expected exactly one {list} entry named {name:?} in {report:#}"
    );
    found[0]
}

pub fn panel<'a>(report: &'a Value, name: &str) -> &'a Value {
    named(report, "panels", name)
}

pub fn payload<'a>(report: &'a Value, name: &str) -> &'a Value {
    named(report, "payloads", name)
}

pub fn fixed<'a>(report: &'a Value, name: &str) -> &'a Value {
    named(report, "fixed", name)
}

pub fn link<'a>(report: &'a Value, name: &str) -> &'a Value {
    named(report, "links", name)
}

pub fn heat_pipe<'a>(report: &'a Value, name: &str) -> &'a Value {
    named(report, "heat_pipes", name)
}

/// The number at the dotted `path` under `v` (e.g. "energy.absorbed_w"); fails if absent or null.
pub fn num(v: &Value, path: &str) -> f64 {
    let mut cur = v;
    for key in path.split('.') {
        cur = &cur[key];
    }
    cur.as_f64()
        .unwrap_or_else(|| panic!("{path} is not a number ({cur}) in {v:#}"))
}

/// |actual - expected| <= tol (false for NaN).
pub fn within(actual: f64, expected: f64, tol: f64) -> bool {
    (actual - expected).abs() <= tol
}

/// |actual - expected| <= tol.
pub fn assert_abs(actual: f64, expected: f64, tol: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= tol,
        "{what}: got {actual}, expected {expected} +- {tol} (off by {:e})",
        actual - expected
    );
}

/// |actual - expected| <= rel |expected|.
pub fn assert_rel(actual: f64, expected: f64, rel: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= rel * expected.abs(),
        "{what}: got {actual}, expected {expected} within {rel:e} relative (off by {:e} relative)",
        (actual - expected) / expected
    );
}

/// A float as a TOML literal (Rust's shortest round-trip form, always with '.' or 'e').
pub fn tf(x: f64) -> String {
    assert!(x.is_finite());
    format!("{x:?}")
}

/// A vector as a TOML array of floats.
pub fn tv(xs: &[f64]) -> String {
    let parts: Vec<String> = xs.iter().map(|&x| tf(x)).collect();
    format!("[{}]", parts.join(", "))
}

/// A `[materials.<name>]` table of conductivity `conductivity_w_mk` with aluminium's density
/// (2700 kg/m^3) and specific heat (896 J/kg/K), as the suites' scenarios write it.
pub fn material(name: &str, conductivity_w_mk: f64) -> String {
    format!(
        "[materials.{name}]\nconductivity_w_mk = {}\ndensity_kg_m3 = 2700.0\n\
         specific_heat_j_kgk = 896.0\n",
        tf(conductivity_w_mk)
    )
}

/// Checks the report's heat balance (SCENARIO.md section 10):
/// - the identity imbalance_w = dissipated_w + absorbed_w + fixed_in_w - emitted_w - stored_w
///   (to rounding);
/// - the totals are the sums of the per-payload, per-panel and per-fixture numbers;
/// - a converged f64 solve closes the balance to 1e-6 of dissipated + absorbed + |fixed_in|
///   (SCENARIO.md section 3, convergence).
///
/// Returns a list of violations (empty when all hold), so callers can gather them.
pub fn energy_problems(report: &Value) -> Vec<String> {
    let mut bad = Vec::new();
    let e = &report["energy"];
    let get = |k: &str| e[k].as_f64();
    let (Some(dis), Some(abs), Some(fix), Some(emi), Some(sto), Some(imb)) = (
        get("dissipated_w"),
        get("absorbed_w"),
        get("fixed_in_w"),
        get("emitted_w"),
        get("stored_w"),
        get("imbalance_w"),
    ) else {
        return vec![format!("energy block incomplete or null: {e}")];
    };
    let scale = dis.abs() + abs.abs() + fix.abs() + emi.abs() + sto.abs();
    let identity = dis + abs + fix - emi - sto;
    if !within(imb, identity, 1e-9 * scale.max(1e-300)) {
        bad.push(format!(
            "imbalance_w {imb} != dissipated + absorbed + fixed_in - emitted - stored = {identity}"
        ));
    }
    let budget = dis + abs + fix.abs();
    if !within(imb, 0.0, 1e-6 * budget) {
        bad.push(format!(
            "|imbalance_w| = {:e} exceeds 1e-6 of dissipated + absorbed + |fixed_in| = {budget}",
            imb.abs()
        ));
    }
    let sum = |list: &str, key: &str| -> Option<f64> {
        report[list]
            .as_array()
            .map(|xs| xs.iter().map(|x| x[key].as_f64().unwrap_or(f64::NAN)).sum())
    };
    // In a transient, payloads report their power at the hottest instant while the energy
    // block holds averages over the reported interval.
    let transient = report["payloads"]
        .as_array()
        .is_some_and(|ps| ps.iter().any(|p| p.get("junction_max_c").is_some()));
    for (total, list, key, name) in [
        (
            if transient { f64::NAN } else { dis },
            "payloads",
            "total_power_w",
            "dissipated_w",
        ),
        (abs, "panels", "absorbed_w", "absorbed_w"),
        (emi, "panels", "emitted_w", "emitted_w"),
        (fix, "fixed", "heat_in_w", "fixed_in_w"),
    ] {
        if total.is_nan() {
            continue;
        }
        // A report may omit an empty list; then the total must be zero.
        let s = sum(list, key).unwrap_or(0.0);
        if !within(s, total, 1e-9 * scale.max(1e-300)) {
            bad.push(format!(
                "energy.{name} = {total} but the {list}[].{key} add up to {s}"
            ));
        }
    }
    bad
}

/// Fails the test if `energy_problems` finds anything.
pub fn assert_energy_closes(report: &Value) {
    let bad = energy_problems(report);
    assert!(bad.is_empty(), "{}\nreport: {report:#}", bad.join("\n"));
}

/// Solves f(T) = 0 for T in [lo, hi] by bisection (f monotone, with a sign change in the bracket).
pub fn bisect(mut lo: f64, mut hi: f64, f: impl Fn(f64) -> f64) -> f64 {
    let flo = f(lo);
    assert!(flo * f(hi) <= 0.0, "bisection bracket does not change sign");
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if (f(mid) > 0.0) == (flo > 0.0) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Reads a file written by the binary.
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// A valid scenario using every steady-state feature without `[radiation]`: Sun, Earth, two
/// panels, a heat pipe, a line link, a fixed region and a payload. The error tests edit it one
/// key at a time; the contract tests solve it.
pub const FULL: &str = r#"name = "valid base"
description = "two panels, a pipe, a hinge, a loop and a chip"

[environment]
solar_flux_w_m2 = 1361.0
albedo = 0.30
earth_ir_w_m2 = 237.0
sink_k = 2.725
sun_direction = [0.0, 0.6, 0.8]
nadir_direction = [0.0, 0.0, -1.0]
altitude_km = 650.0

[materials.al6061]
conductivity_w_mk = 167.0
density_kg_m3 = 2700.0
specific_heat_j_kgk = 896.0
source = "Al 6061-T6 typical values"

[coatings.osr]
absorptivity = 0.07
emissivity = 0.80

[coatings.white]
absorptivity = 0.20
emissivity = 0.85
source = "assumed"

[[panels]]
name = "radiator"
origin_m = [0.0, 0.0, 0.0]
u_m = [1.0, 0.0, 0.0]
v_m = [0.0, 0.8, 0.0]
cells = [10, 8]
thickness_m = 0.002
material = "al6061"
front = "osr"
back = "white"

[[panels]]
name = "bus"
origin_m = [0.0, 0.0, -0.5]
u_m = [1.0, 0.0, 0.0]
v_m = [0.0, 0.0, 0.5]
cells = [4, 4]
thickness_m = 0.003
material = "al6061"
front = "white"
back = "none"

[[heat_pipes]]
name = "hp1"
panel = "radiator"
from_m = [0.05, 0.4]
to_m = [0.95, 0.4]
width_m = 0.02
film_coefficient_w_m2k = 5000.0
capacity_w_m = 400.0

[[links]]
name = "hinge"
a = { panel = "bus", from_m = [0.0, 0.5], to_m = [1.0, 0.5] }
b = { panel = "radiator", from_m = [0.0, 0.0], to_m = [1.0, 0.0] }
conductance_w_k = 2.0

[[fixed_temperatures]]
name = "loop"
panel = "bus"
center_m = [0.5, 0.0625]
size_m = [1.0, 0.125]
temperature_k = 290.0

[[payloads]]
name = "gpu0"
model = "custom"
count = 2
panel = "radiator"
center_m = [0.2, 0.4]
size_m = [0.1, 0.1]
junction_to_panel_k_w = 0.03
power_w = 150.0
limit_c = 120.0

[solve]
mode = "steady"
required_margin_k = 0.0
tolerance_k = 1.0e-6
max_iterations = 200
"#;

/// `text` with the first occurrence of `from` replaced by `to`; fails if `from` is absent, so an
/// edit can never silently leave the scenario unchanged.
pub fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(
        text.contains(from),
        "edit: {from:?} not found in the scenario"
    );
    text.replacen(from, to, 1)
}

/// REFERENCE_CASES.md C2 as a scenario: a strip of `n` x 1 cells of width `w` held at `tb` over
/// its first column. The base sits at the centre of that column, so the strip is L + dx/2 long:
/// 2 n L / (2n - 1). `solve` is the scenario's [solve] section. Returns the text and dx.
#[allow(clippy::too_many_arguments)]
pub fn c2_fin_scenario(
    k: f64,
    t: f64,
    eps: f64,
    tb: f64,
    l: f64,
    n: usize,
    w: f64,
    solve: &str,
) -> (String, f64) {
    let length = 2.0 * n as f64 * l / (2.0 * n as f64 - 1.0);
    let dx = length / n as f64;
    let text = format!(
        r#"name = "C2 fin"
[environment]
sink_k = 0.0

{fin}
[coatings.paint]
absorptivity = 0.5
emissivity = {eps}

{panel}
[[fixed_temperatures]]
name = "base"
panel = "fin"
center_m = {center}
size_m = {size}
temperature_k = {tb}
{solve}"#,
        fin = material("fin", k),
        eps = tf(eps),
        panel = panels::Panel::plate("fin", [length, w], [n, 1], "paint", "paint").toml("fin", t),
        center = tv(&[dx / 2.0, w / 2.0]),
        size = tv(&[dx, w]),
        tb = tf(tb),
    );
    (text, dx)
}

/// The fin's heat per metre of base (W/m) from the fixture's `heat_in_w`: the fixture also
/// feeds the emission of the half held cell behind the base centre (dx/2 on both faces), which
/// is not part of the fin [0, L] and is taken off exactly.
pub fn c2_fin_heat_per_metre(heat_in_w: f64, eps: f64, tb: f64, dx: f64, w: f64) -> f64 {
    let behind_base = 2.0 * eps * SIGMA * tb.powi(4) * (dx / 2.0) * w;
    (heat_in_w - behind_base) / w
}

/// A 1 x 0.2 m aluminium radiator (white both sides) carrying a chip of `power_w` at one end and
/// a heat pipe "hp" along its length; `environment` is the lines of `[environment]`, `pipe`
/// extra keys of the pipe (tests of heat-pipe fluids and of load cases).
pub fn pipe_radiator(environment: &str, pipe: &str, power_w: f64) -> String {
    format!(
        r#"name = "pipe radiator"
[environment]
{environment}
[materials.al]
conductivity_w_mk = 167.0
[coatings.white]
absorptivity = 0.2
emissivity = 0.85
[[panels]]
name = "rad"
origin_m = [0.0, 0.0, 0.0]
u_m = [1.0, 0.0, 0.0]
v_m = [0.0, 0.2, 0.0]
cells = [40, 8]
thickness_m = 0.001
material = "al"
front = "white"
back = "white"
[[heat_pipes]]
name = "hp"
panel = "rad"
from_m = [0.02, 0.1]
to_m = [0.98, 0.1]
width_m = 0.02
film_coefficient_w_m2k = 5000.0
capacity_w_m = 143.0
{pipe}
[[payloads]]
name = "chip"
model = "custom"
power_w = {power_w:?}
limit_c = 150.0
panel = "rad"
center_m = [0.06, 0.1]
size_m = [0.08, 0.08]
junction_to_panel_k_w = 0.05
"#
    )
}
