//! What changes with time: the external loads (an [`Exposure`]), payload powers (eclipse power,
//! schedules) and scheduled fixed temperatures. A transient moves one Model from instant to
//! instant with [`Model::set_instant`]; everything else in the Model stays as built.

use super::build::schedule_value;
use super::loads::Exposure;
use super::{Model, PayloadModel};

/// A piecewise-linear schedule that holds its end values outside its times (SCENARIO.md
/// section 3).
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    pub time_s: Vec<f64>,
    pub values: Vec<f64>,
}

impl Schedule {
    pub fn new(time_s: &[f64], values: &[f64]) -> Schedule {
        Schedule {
            time_s: time_s.to_vec(),
            values: values.to_vec(),
        }
    }

    pub fn at(&self, t_s: f64) -> f64 {
        schedule_value(&self.time_s, &self.values, t_s)
    }
}

impl PayloadModel {
    /// Power per chip at time t: the schedule when there is one, else the eclipse power in
    /// eclipse when given, else the nominal power.
    pub fn power_of(
        nominal: f64,
        eclipse: Option<f64>,
        schedule: Option<&Schedule>,
        t_s: f64,
        in_eclipse: bool,
    ) -> f64 {
        match (schedule, in_eclipse, eclipse) {
            (Some(schedule), _, _) => schedule.at(t_s),
            (None, true, Some(eclipse)) => eclipse,
            _ => nominal,
        }
    }

    pub fn power_at(&self, t_s: f64, in_eclipse: bool) -> f64 {
        PayloadModel::power_of(
            self.nominal_power_w,
            self.eclipse_power_w,
            self.schedule.as_ref(),
            t_s,
            in_eclipse,
        )
    }
}

impl Model {
    /// Set the external loads of every side from `exposure`.
    pub fn set_exposure(&mut self, exposure: &Exposure) {
        for panel in &mut self.panels {
            let back_normal = panel.normal.map(|x| -x);
            for (side, normal) in [
                (&mut panel.front, panel.normal),
                (&mut panel.back, back_normal),
            ] {
                side.absorbed_w_m2 = if side.coating.is_some() {
                    exposure.absorbed_w_m2(normal, side.absorptivity, side.emissivity)
                } else {
                    0.0
                };
            }
            let range = panel.cells_range();
            self.absorbed_w[range].fill(panel.absorbed_per_cell());
        }
        self.in_eclipse = exposure.in_eclipse();
    }

    /// Set payload powers (and the cells' dissipation) and fixed temperatures for time t.
    pub fn set_time(&mut self, t_s: f64) {
        let in_eclipse = self.in_eclipse;
        let powers: Vec<f64> = self
            .payloads
            .iter()
            .map(|p| p.power_at(t_s, in_eclipse))
            .collect();
        self.set_payload_powers(&powers);
        for region in &mut self.fixed_regions {
            if let Some(schedule) = &region.schedule {
                region.temperature_k = schedule.at(t_s);
                for &cell in &region.cells {
                    self.fixed_k[cell] = Some(region.temperature_k);
                }
            }
        }
    }

    /// Set each panel's absorbed flux per side, W/m^2 ([front, back]).
    pub fn set_side_fluxes(&mut self, fluxes: &[[f64; 2]]) {
        for (panel, &[front, back]) in self.panels.iter_mut().zip(fluxes) {
            panel.front.absorbed_w_m2 = front;
            panel.back.absorbed_w_m2 = back;
            let range = panel.cells_range();
            self.absorbed_w[range].fill(panel.absorbed_per_cell());
        }
    }

    /// Set each payload's power per chip, W, and the cells' dissipation.
    pub fn set_payload_powers(&mut self, powers: &[f64]) {
        self.dissipated_w.fill(0.0);
        for (payload, &power) in self.payloads.iter_mut().zip(powers) {
            payload.power_w = power;
            let covered: f64 = payload.cells.iter().map(|&(_, a)| a).sum();
            if covered > 0.0 {
                for &(cell, a) in &payload.cells {
                    self.dissipated_w[cell] += payload.total_power_w() * a / covered;
                }
            }
        }
    }

    /// Stored heat sum(rho c t A T), J, of temperatures `t`.
    pub fn stored_heat_j(&self, t: &[f64]) -> f64 {
        self.capacitance_j_k.iter().zip(t).map(|(c, t)| c * t).sum()
    }
}
