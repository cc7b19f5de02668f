//! Report: everything a user reads, derived from Model + Solution. Writers only format.

mod canvas;
mod csv;
mod devices;
pub mod files;
mod heat_pipe;
mod instant;
pub mod maps;
pub mod mass;
pub mod plot;
pub mod sweep_table;
mod text;
pub mod transient;
pub mod vtu;

pub use csv::{write_cell_csv, write_series_csv};
pub use devices::{devices_json, devices_table};
pub use heat_pipe::{PipeStatus, heat_pipe_report, near_bound_warnings};
pub use mass::MassReport;
pub use text::{human_report, mass_line};

use serde::Serialize;

use crate::model::{Model, ZERO_CELSIUS_K};
use crate::scenario::Scenario;
use crate::solve::{Backend, Solution};
use instant::{
    coating_reports, fixed_reports, link_report, material_reports, residual_less_storage,
};

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Pass,
    Fail,
    NotConverged,
}

impl Verdict {
    /// Exit status of `solve` for this verdict (SCENARIO.md section 8).
    pub fn exit_code(self) -> i32 {
        match self {
            Verdict::Pass => 0,
            Verdict::Fail => 1,
            Verdict::NotConverged => 3,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct BackendInfo {
    pub kind: String,
    pub adapter: Option<String>,
    pub precision: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct SolverInfo {
    pub converged: bool,
    pub iterations: usize,
    pub linear_iterations: usize,
    pub max_change_k: f64,
    pub tolerance_k: f64,
    pub wall_s: f64,
    /// Why the solve stopped without converging (extension; null when converged).
    pub message: Option<String>,
    /// A `duration_s` transient's step, s (SCENARIO.md section 4).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_step_s: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Energy {
    pub dissipated_w: f64,
    pub absorbed_w: f64,
    pub fixed_in_w: f64,
    pub emitted_w: f64,
    pub stored_w: f64,
    pub imbalance_w: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct PayloadReport {
    pub name: String,
    pub model: String,
    pub count: usize,
    pub power_w: f64,
    pub total_power_w: f64,
    pub junction_c: f64,
    pub limit_c: f64,
    pub min_limit_c: Option<f64>,
    pub margin_k: f64,
    pub within_limit: Option<bool>,
    pub violation: Option<String>,
    pub limit_source: Option<String>,
    pub power_source: Option<String>,
    /// Transients: extremes over the reported interval and their times from its start.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub over_interval: Option<JunctionExtremes>,
}

#[derive(Clone, Debug, Serialize)]
pub struct JunctionExtremes {
    pub junction_max_c: f64,
    pub junction_min_c: f64,
    pub time_of_max_s: f64,
    pub time_of_min_s: f64,
}

/// The orbit block (SCENARIO.md section 4); the stepping fields are null in a steady solve.
#[derive(Clone, Debug, Serialize)]
pub struct OrbitReport {
    pub period_s: f64,
    pub altitude_km: f64,
    pub beta_deg: f64,
    pub eclipse_fraction: f64,
    pub time_step_s: Option<f64>,
    pub steps_per_orbit: Option<usize>,
    pub periodic_change_k: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PanelReport {
    pub name: String,
    pub cells: usize,
    pub area_m2: f64,
    pub radiating_area_m2: f64,
    pub t_min_k: f64,
    pub t_mean_k: f64,
    pub t_max_k: f64,
    pub absorbed_w: f64,
    pub emitted_w: f64,
    /// Heat from the panel into its MLI blankets' outer layers, W (0 without a blanket).
    pub mli_leak_w: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct HeatPipeReport {
    pub name: String,
    /// The vapour temperature; null for a failed pipe.
    pub vapour_k: f64,
    pub load_w: f64,
    pub transport_w_m: f64,
    pub effective_length_m: f64,
    /// The capacity at this vapour temperature (SCENARIO-2 section 13).
    pub capacity_w_m: f64,
    pub capacity_w: f64,
    pub within_capacity: Option<bool>,
    /// The working fluid, or null.
    pub fluid: Option<String>,
    /// `file:line: heat_pipes[i]`, for warnings (not in the JSON).
    #[serde(skip)]
    pub location: String,
    /// `failed`, `frozen`, `cold`, `hot`, `over` or `ok`; null where nothing was judged (a
    /// solve that did not converge).
    pub status: Option<PipeStatus>,
    pub violation: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct LinkReport {
    pub name: String,
    pub heat_w: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct FixedReport {
    pub name: String,
    pub heat_in_w: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct MaterialReport {
    pub name: String,
    pub conductivity_w_mk: f64,
    pub density_kg_m3: Option<f64>,
    pub specific_heat_j_kgk: Option<f64>,
    pub source: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CoatingReport {
    pub name: String,
    pub absorptivity: f64,
    pub emissivity: f64,
    pub source: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub scenario: String,
    pub verdict: Verdict,
    pub backend: BackendInfo,
    pub solver: SolverInfo,
    pub energy: Energy,
    pub payloads: Vec<PayloadReport>,
    pub panels: Vec<PanelReport>,
    pub heat_pipes: Vec<HeatPipeReport>,
    pub links: Vec<LinkReport>,
    pub fixed: Vec<FixedReport>,
    pub materials: Vec<MaterialReport>,
    pub coatings: Vec<CoatingReport>,
    /// Extension: the required margin the verdict applied, K.
    pub required_margin_k: f64,
    /// What the radiator weighs, and W/kg and W/m^2 (SCENARIO-2 section 17).
    pub mass: MassReport,
    /// Extension: things worth knowing that did not stop the solve.
    pub warnings: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orbit: Option<OrbitReport>,
    /// Load cases (SCENARIO.md section 6): the governing case, whose numbers fill this report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case: Option<String>,
    /// Every case's verdict and per-payload junction and margin, in file order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cases: Option<Vec<CaseSummary>>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CaseSummary {
    pub name: String,
    pub verdict: Verdict,
    pub payloads: Vec<CasePayload>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CasePayload {
    pub name: String,
    pub junction_c: f64,
    pub margin_k: f64,
}

impl CaseSummary {
    pub fn new(name: &str, report: &Report) -> CaseSummary {
        CaseSummary {
            name: name.to_string(),
            verdict: report.verdict,
            payloads: report
                .payloads
                .iter()
                .map(|p| CasePayload {
                    name: p.name.clone(),
                    junction_c: p.junction_c,
                    margin_k: p.margin_k,
                })
                .collect(),
        }
    }
}

impl Report {
    pub fn new(
        scenario: &Scenario,
        model: &Model,
        solution: &Solution,
        backend: &Backend,
    ) -> Report {
        Report::at_instant(scenario, model, solution, backend, None)
    }

    /// The report of one instant; `storage_w` is the heat going into storage at each node in a
    /// transient (it counts in the fixtures' heat and in `stored_w`).
    pub fn at_instant(
        scenario: &Scenario,
        model: &Model,
        solution: &Solution,
        backend: &Backend,
        storage_w: Option<&[f64]>,
    ) -> Report {
        let t = &solution.temperatures_k;
        let residual = residual_less_storage(model, t, storage_w);
        let converged = solution.converged;
        let required_margin_k = scenario.solve.required_margin_k;

        let payloads: Vec<PayloadReport> = model
            .payloads
            .iter()
            .map(|p| payload_report(p, t, required_margin_k, converged))
            .collect();
        let emitted = crate::model::balance::emitted_w(model, t);
        let absorbed = crate::model::balance::absorbed_w(model);
        let leaks = crate::model::balance::mli_leak_w(model, t);
        let panels: Vec<PanelReport> = model
            .panels
            .iter()
            .zip(leaks)
            .map(|(p, leak)| panel_report(p, t, &absorbed, &emitted, leak))
            .collect();
        let heat_pipes: Vec<HeatPipeReport> = model
            .heat_pipes
            .iter()
            .map(|pipe| heat_pipe_report(pipe, t, converged))
            .collect();
        let links = model
            .links
            .iter()
            .map(|link| link_report(link, t))
            .collect();
        let fixed = fixed_reports(model, &residual);
        let energy = Energy::of(model, &panels, &fixed, storage_w);
        let verdict = Verdict::of(converged, &payloads, &heat_pipes);
        let mut warnings = model.warnings.clone();
        warnings.extend(near_bound_warnings(&heat_pipes));
        let radiating_area_m2: f64 = panels.iter().map(|p| p.radiating_area_m2).sum();
        let mass = MassReport::of(scenario, energy.dissipated_w, radiating_area_m2);

        Report {
            schema_version: SCHEMA_VERSION,
            scenario: scenario.name.clone(),
            verdict,
            backend: BackendInfo::of(backend),
            solver: SolverInfo::of(solution),
            energy,
            payloads,
            panels,
            heat_pipes,
            links,
            fixed,
            materials: material_reports(scenario),
            coatings: coating_reports(scenario),
            required_margin_k,
            mass,
            warnings,
            orbit: None,
            case: None,
            cases: None,
        }
    }

    /// The smallest margin over payloads (infinite without payloads): how close this is to failing.
    pub fn min_margin_k(&self) -> f64 {
        self.payloads
            .iter()
            .map(|p| p.margin_k)
            .fold(f64::INFINITY, f64::min)
    }

    /// Every violation, each naming its payload or heat pipe.
    pub fn violations(&self) -> Vec<String> {
        let payloads = self.payloads.iter().filter_map(|p| {
            p.violation
                .as_ref()
                .map(|v| format!("payload \"{}\": {v}", p.name))
        });
        let pipes = self.heat_pipes.iter().filter_map(|h| {
            h.violation
                .as_ref()
                .map(|v| format!("heat pipe \"{}\": {v}", h.name))
        });
        payloads.chain(pipes).collect()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}

fn panel_report(
    panel: &crate::model::PanelMesh,
    t: &[f64],
    absorbed: &[f64],
    emitted: &[f64],
    mli_leak_w: f64,
) -> PanelReport {
    let cells = panel.cells_range();
    let temps = &t[cells.clone()];
    let t_min = temps.iter().copied().fold(f64::INFINITY, f64::min);
    let t_max = temps.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let t_mean = temps.iter().sum::<f64>() / temps.len() as f64;
    PanelReport {
        name: panel.name.clone(),
        cells: panel.cell_count(),
        area_m2: panel.area(),
        radiating_area_m2: panel.radiating_area(),
        t_min_k: t_min,
        t_mean_k: t_mean,
        t_max_k: t_max,
        absorbed_w: absorbed[cells.clone()].iter().sum(),
        emitted_w: emitted[cells].iter().sum(),
        mli_leak_w,
    }
}

fn payload_report(
    p: &crate::model::PayloadModel,
    t: &[f64],
    required_margin_k: f64,
    converged: bool,
) -> PayloadReport {
    let junction_c = junction_c(p, t);
    let judged = judge(
        p.limit_c,
        p.min_limit_c,
        junction_c,
        junction_c,
        required_margin_k,
    );
    PayloadReport {
        name: p.name.clone(),
        model: p.model.clone(),
        count: p.count,
        power_w: p.power_w,
        total_power_w: p.total_power_w(),
        junction_c,
        limit_c: p.limit_c,
        min_limit_c: p.min_limit_c,
        margin_k: judged.margin_k,
        within_limit: converged.then_some(judged.violation.is_none()),
        violation: judged.violation,
        limit_source: p.limit_source.clone(),
        power_source: p.power_source.clone(),
        over_interval: None,
    }
}

/// A payload's junction temperature (C) at temperatures `t` and its power at that instant.
pub fn junction_c(p: &crate::model::PayloadModel, t: &[f64]) -> f64 {
    let covered: f64 = p.cells.iter().map(|&(_, a)| a).sum();
    let mean_k = p.cells.iter().map(|&(c, a)| a * t[c]).sum::<f64>() / covered;
    mean_k + p.power_w * p.junction_to_panel_k_w - ZERO_CELSIUS_K
}

pub(crate) struct Judged {
    pub margin_k: f64,
    pub violation: Option<String>,
}

/// The margin and the violation sentence of a payload whose junction ranged over
/// [`lowest_c`, `highest_c`] (equal in a steady solve): the highest is judged against the limit,
/// the lowest against the lower limit (SCENARIO.md sections 3 and 4).
pub(crate) fn judge(
    limit_c: f64,
    min_limit_c: Option<f64>,
    highest_c: f64,
    lowest_c: f64,
    required_margin_k: f64,
) -> Judged {
    let upper = limit_c - highest_c;
    let lower = min_limit_c.map(|min| lowest_c - min);
    let margin_k = lower.map_or(upper, |l| upper.min(l));
    let over = upper < required_margin_k;
    let under = lower.is_some_and(|l| l < required_margin_k);
    let required = if required_margin_k > 0.0 {
        format!(" the {required_margin_k} K required margin")
    } else {
        String::new()
    };
    // A junction that is not a number fails: no comparison with NaN would.
    let violation = if !highest_c.is_finite() || !lowest_c.is_finite() {
        Some("the junction temperature is not a finite number".to_string())
    } else if over {
        Some(if required.is_empty() {
            format!("junction {highest_c:.1} C exceeds the {limit_c:.1} C limit")
        } else {
            format!("junction {highest_c:.1} C exceeds the {limit_c:.1} C limit less{required}")
        })
    } else if under {
        let min = min_limit_c.unwrap_or(f64::NAN);
        Some(if required.is_empty() {
            format!("junction {lowest_c:.1} C is below the {min:.1} C lower limit")
        } else {
            format!("junction {lowest_c:.1} C is below the {min:.1} C lower limit plus{required}")
        })
    } else {
        None
    };
    Judged {
        margin_k,
        violation,
    }
}

#[cfg(test)]
mod tests;
