//! The parts of [`Report::at_instant`](super::Report::at_instant): the verdict, the heat
//! balance and the tables that are not per payload, panel or heat pipe.

use super::{
    BackendInfo, CoatingReport, Energy, FixedReport, HeatPipeReport, LinkReport, MaterialReport,
    PanelReport, PayloadReport, PipeStatus, SolverInfo, Verdict,
};
use crate::model::Model;
use crate::model::balance::heat_residual;
use crate::scenario::Scenario;
use crate::solve::{Backend, Solution};

impl Verdict {
    /// Pass when the solve converged with every payload within its limits and every heat pipe
    /// `ok` (within its capacity and its fluid's range, not failed).
    pub(super) fn of(
        converged: bool,
        payloads: &[PayloadReport],
        heat_pipes: &[HeatPipeReport],
    ) -> Verdict {
        if !converged {
            Verdict::NotConverged
        } else if payloads.iter().all(|p| p.within_limit == Some(true))
            && heat_pipes.iter().all(|h| h.status == Some(PipeStatus::Ok))
        {
            Verdict::Pass
        } else {
            Verdict::Fail
        }
    }
}

impl BackendInfo {
    pub(super) fn of(backend: &Backend) -> BackendInfo {
        BackendInfo {
            kind: backend.kind().to_string(),
            adapter: backend.adapter(),
            precision: backend.precision().to_string(),
        }
    }
}

impl SolverInfo {
    pub(super) fn of(solution: &Solution) -> SolverInfo {
        SolverInfo {
            converged: solution.converged,
            iterations: solution.iterations,
            linear_iterations: solution.linear_iterations,
            max_change_k: solution.max_change_k,
            tolerance_k: solution.tolerance_k,
            wall_s: solution.wall_s,
            message: solution.failure.clone(),
            time_step_s: None,
        }
    }
}

impl Energy {
    /// The heat balance of one instant; `storage_w` as in
    /// [`Report::at_instant`](super::Report::at_instant).
    pub(super) fn of(
        model: &Model,
        panels: &[PanelReport],
        fixed: &[FixedReport],
        storage_w: Option<&[f64]>,
    ) -> Energy {
        let dissipated_w: f64 = model.payloads.iter().map(|p| p.total_power_w()).sum();
        let absorbed_w: f64 = panels.iter().map(|p| p.absorbed_w).sum();
        let emitted_w: f64 = panels.iter().map(|p| p.emitted_w).sum();
        let fixed_in_w: f64 = fixed.iter().map(|f| f.heat_in_w).sum();
        let stored_w = storage_w.map_or(0.0, |s| s.iter().sum::<f64>());
        // `+ 0.0` turns the -0.0 of an empty float sum into 0.0.
        Energy {
            dissipated_w: dissipated_w + 0.0,
            absorbed_w: absorbed_w + 0.0,
            fixed_in_w: fixed_in_w + 0.0,
            emitted_w: emitted_w + 0.0,
            stored_w,
            imbalance_w: dissipated_w + absorbed_w + fixed_in_w - emitted_w - stored_w + 0.0,
        }
    }
}

/// The heat balance residual of each node at temperatures `t`, less the heat going into
/// storage in a transient.
pub(super) fn residual_less_storage(
    model: &Model,
    t: &[f64],
    storage_w: Option<&[f64]>,
) -> Vec<f64> {
    let mut residual = vec![0.0; model.n_nodes];
    heat_residual(model, t, &mut residual);
    if let Some(storage) = storage_w {
        for (r, s) in residual.iter_mut().zip(storage) {
            *r -= s;
        }
    }
    residual
}

pub(super) fn link_report(link: &crate::model::LinkModel, t: &[f64]) -> LinkReport {
    LinkReport {
        name: link.name.clone(),
        heat_w: link
            .couplings
            .iter()
            .map(|c| c.conductance * (t[c.a] - t[c.b]))
            .sum(),
    }
}

/// The heat each fixed region supplies to hold its cells; a cell held by several regions counts
/// in the first one only.
pub(super) fn fixed_reports(model: &Model, residual: &[f64]) -> Vec<FixedReport> {
    let mut owner_seen = vec![false; model.n_nodes];
    model
        .fixed_regions
        .iter()
        .map(|region| {
            let mut heat_in = 0.0;
            for &cell in &region.cells {
                if !owner_seen[cell] {
                    owner_seen[cell] = true;
                    heat_in -= residual[cell];
                }
            }
            FixedReport {
                name: region.name.clone(),
                heat_in_w: heat_in,
            }
        })
        .collect()
}

pub(super) fn material_reports(scenario: &Scenario) -> Vec<MaterialReport> {
    scenario
        .materials
        .iter()
        .map(|(name, m)| MaterialReport {
            name: name.clone(),
            conductivity_w_mk: m.conductivity_w_mk,
            density_kg_m3: m.density_kg_m3,
            specific_heat_j_kgk: m.specific_heat_j_kgk,
            source: m.source.clone(),
        })
        .collect()
}

pub(super) fn coating_reports(scenario: &Scenario) -> Vec<CoatingReport> {
    scenario
        .coatings
        .iter()
        .map(|(name, c)| CoatingReport {
            name: name.clone(),
            absorptivity: c.absorptivity,
            emissivity: c.emissivity,
            source: c.source.clone(),
        })
        .collect()
}
