//! The loads of a scenario at each step of a transient, tabulated once per orbit position
//! (or once for a constant `[environment]`), and their orbit averages.

use super::OrbitGeometry;
use crate::error::Result;
use crate::model::loads::{EarthView, ExternalLoads};
use crate::model::{Exposure, Model};
use crate::scenario::Environment;
use crate::solve::transient::Instants;

/// Exposures at equally spaced instants of one orbit (t_k = k P / n), or one constant exposure.
pub struct ScenarioInstants {
    exposures: Vec<Exposure>,
    /// Times of the positions, s (the powers' schedules are sampled there for averages).
    times_s: Vec<f64>,
    /// With `[radiation]`: each position's absorbed power per cell after shadows and
    /// reflections, and per blanketed cell side its outer layer's (traced once per position;
    /// f32 halves the table).
    absorbed_w: Option<Vec<Absorbed>>,
}

/// One position's traced loads (see `ExternalAbsorbed`).
struct Absorbed {
    cells: Vec<f32>,
    outer_layers: Vec<[f32; 2]>,
}

/// The same instant as the radiation engine takes it.
pub fn external_loads(exposure: &Exposure) -> ExternalLoads {
    ExternalLoads {
        solar_flux_w_m2: exposure.solar_flux_w_m2,
        albedo: exposure.albedo,
        earth_ir_w_m2: exposure.earth_ir_w_m2,
        sun: exposure.sun,
        earth: exposure
            .earth
            .map(|(nadir, altitude_km)| EarthView { nadir, altitude_km }),
    }
}

impl ScenarioInstants {
    /// `positions` equally spaced instants of the orbit, from orbit noon.
    pub fn orbit(geometry: &OrbitGeometry, environment: &Environment, positions: usize) -> Self {
        let positions = positions.max(1);
        let times_s: Vec<f64> = (0..positions)
            .map(|k| geometry.period_s * k as f64 / positions as f64)
            .collect();
        let exposures = times_s
            .iter()
            .map(|&t| {
                let at = geometry.at_time(t);
                Exposure {
                    solar_flux_w_m2: environment.solar_flux_w_m2,
                    albedo: environment.albedo,
                    earth_ir_w_m2: environment.earth_ir_w_m2,
                    sun: (!at.in_eclipse).then_some(at.sun),
                    earth: Some((at.nadir, geometry.altitude_km)),
                }
            })
            .collect();
        ScenarioInstants {
            exposures,
            times_s,
            absorbed_w: None,
        }
    }

    /// Tabulates each position's absorbed power through the model's traced exchange, when it
    /// has one.
    pub fn with_exchange(mut self, model: &Model) -> Result<Self> {
        if let Some(exchange) = &model.exchange {
            let table = self
                .exposures
                .iter()
                .map(|e| {
                    let absorbed = exchange.external_absorbed(model, &external_loads(e))?;
                    Ok(Absorbed {
                        cells: absorbed.cells.iter().map(|&w| w as f32).collect(),
                        outer_layers: absorbed
                            .outer_layers
                            .iter()
                            .map(|s| s.map(|w| w as f32))
                            .collect(),
                    })
                })
                .collect::<Result<Vec<Absorbed>>>()?;
            self.absorbed_w = Some(table);
        }
        Ok(self)
    }

    fn set_loads(&self, model: &mut Model, position: usize) {
        let exposure = self.exposure(position);
        model.set_exposure(exposure);
        if let Some(table) = &self.absorbed_w {
            let row = &table[position % table.len()];
            for (a, &w) in model.absorbed_w.iter_mut().zip(&row.cells) {
                *a = f64::from(w);
            }
            model.outer_absorbed_w = row.outer_layers.iter().map(|s| s.map(f64::from)).collect();
        }
    }

    /// A constant `[environment]`.
    pub fn constant(environment: &Environment) -> Self {
        ScenarioInstants {
            exposures: vec![Exposure::from_environment(environment)],
            times_s: vec![0.0],
            absorbed_w: None,
        }
    }

    pub fn exposure(&self, step: usize) -> &Exposure {
        &self.exposures[step % self.exposures.len()]
    }
}

impl Instants for ScenarioInstants {
    fn apply(&self, model: &mut Model, step: usize, t_s: f64) {
        self.set_loads(model, step);
        model.set_time(t_s);
    }

    fn apply_average(&self, model: &mut Model) {
        let n = self.exposures.len() as f64;
        let mut fluxes = vec![[0.0; 2]; model.panels.len()];
        let mut powers = vec![0.0; model.payloads.len()];
        for (exposure, &t) in self.exposures.iter().zip(&self.times_s) {
            model.set_exposure(exposure);
            for (sum, panel) in fluxes.iter_mut().zip(&model.panels) {
                sum[0] += panel.front.absorbed_w_m2;
                sum[1] += panel.back.absorbed_w_m2;
            }
            for (sum, payload) in powers.iter_mut().zip(&model.payloads) {
                *sum += payload.power_at(t, exposure.in_eclipse());
            }
        }
        // Summed, then divided once: a constant 200 W averages to 200 W exactly.
        for flux in &mut fluxes {
            flux[0] /= n;
            flux[1] /= n;
        }
        for power in &mut powers {
            *power /= n;
        }
        model.set_time(0.0);
        model.set_side_fluxes(&fluxes);
        model.set_payload_powers(&powers);
        if let Some(table) = &self.absorbed_w {
            model.absorbed_w.fill(0.0);
            model.outer_absorbed_w = vec![[0.0; 2]; table[0].outer_layers.len()];
            for row in table {
                for (a, &w) in model.absorbed_w.iter_mut().zip(&row.cells) {
                    *a += f64::from(w) / n;
                }
                for (a, w) in model.outer_absorbed_w.iter_mut().zip(&row.outer_layers) {
                    a[0] += f64::from(w[0]) / n;
                    a[1] += f64::from(w[1]) / n;
                }
            }
        }
    }
}
