//! Mass and figures of merit (SCENARIO-2 section 17): what the radiator weighs and what it
//! rejects per kilogram and per square metre, the figures of merit of orbital compute.

use serde::Serialize;

use crate::scenario::Scenario;
use crate::vec3::norm;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MassReport {
    pub panels_kg: f64,
    pub heat_pipes_kg: f64,
    pub loops_kg: f64,
    /// The sum of the known items.
    pub total_kg: f64,
    /// The items without a mass, named.
    pub missing: Vec<String>,
    /// Dissipated power per total mass, W/kg; null without a known mass.
    pub specific_power_w_kg: Option<f64>,
    /// Dissipated power per radiating area, W/m^2; null without a radiating side.
    pub power_per_area_w_m2: Option<f64>,
}

impl MassReport {
    /// The mass of `s`'s panels and heat pipes (failed ones too), and `dissipated_w` per kg
    /// and per m^2 of `radiating_area_m2`.
    pub fn of(s: &Scenario, dissipated_w: f64, radiating_area_m2: f64) -> MassReport {
        let mut missing = Vec::new();
        let mut panels_kg = 0.0;
        for panel in &s.panels {
            let area = norm(panel.u_m) * norm(panel.v_m);
            let density = s
                .materials
                .get(&panel.material)
                .and_then(|m| m.density_kg_m3);
            if density.is_none() && panel.areal_mass_kg_m2.is_none() {
                missing.push(format!(
                    "panel \"{}\" (material \"{}\" has no density_kg_m3 and the panel no areal_mass_kg_m2)",
                    panel.name, panel.material
                ));
            }
            panels_kg += density.map_or(0.0, |d| d * panel.thickness_m * area)
                + panel.areal_mass_kg_m2.map_or(0.0, |m| m * area);
        }
        let mut heat_pipes_kg = 0.0;
        for pipe in &s.heat_pipes {
            match pipe.mass_kg_m {
                Some(m) => heat_pipes_kg += m * pipe_length_m(pipe),
                None => missing.push(format!("heat pipe \"{}\" (no mass_kg_m)", pipe.name)),
            }
        }
        let loops_kg = 0.0;
        let total_kg = panels_kg + heat_pipes_kg + loops_kg;
        MassReport {
            panels_kg,
            heat_pipes_kg,
            loops_kg,
            total_kg,
            missing,
            specific_power_w_kg: (total_kg > 0.0).then(|| dissipated_w / total_kg),
            power_per_area_w_m2: (radiating_area_m2 > 0.0)
                .then(|| dissipated_w / radiating_area_m2),
        }
    }

    /// The total where every item's mass is known (for the sweep CSV and `size`).
    pub fn known_total_kg(&self) -> Option<f64> {
        self.missing.is_empty().then_some(self.total_kg)
    }
}

/// A pipe's length over all its segments, m.
fn pipe_length_m(pipe: &crate::scenario::HeatPipe) -> f64 {
    let length = |from: [f64; 2], to: [f64; 2]| (to[0] - from[0]).hypot(to[1] - from[1]);
    match (&pipe.segments, pipe.from_m, pipe.to_m) {
        (Some(segments), _, _) => segments.iter().map(|g| length(g.from_m, g.to_m)).sum(),
        (None, Some(from), Some(to)) => length(from, to),
        _ => 0.0,
    }
}
