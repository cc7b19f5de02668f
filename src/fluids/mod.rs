//! The working-fluid catalog: heat-pipe fluids (SCENARIO-2 section 13) and pumped-loop fluids
//! (section 14), every value with the source string the report prints.
//!
//! The numbers live in `tables.rs`, generated from CoolProp 8.0.0 by `tools/fluid_tables.py` and
//! committed, so the build needs no Python; docs/fluids.md lists each value with its source and
//! label and says how to regenerate. Tables are spaced 5 K, read by linear interpolation, and hold
//! their end values outside their range (the contract's rule for every temperature table).
//!
//! This module imports nothing from the rest of the crate: scenario validation uses the names,
//! the model the values.

// Six-digit table values sometimes look like a truncated math constant (2/pi) to clippy.
#[allow(clippy::approx_constant)]
mod tables;
#[cfg(test)]
mod tests;

pub use tables::{HEAT_PIPE_FLUIDS, LOOP_FLUIDS};

/// A property against temperature: `t_k` strictly increasing, one `value` per temperature.
#[derive(Clone, Copy, Debug)]
pub struct Table {
    pub t_k: &'static [f64],
    pub value: &'static [f64],
}

impl Table {
    /// Linear interpolation, end values held outside the table; NaN for a NaN temperature.
    pub fn at(&self, t_k: f64) -> f64 {
        interpolate(self.t_k, self.value, t_k)
    }

    /// The lowest tabulated temperature, K.
    pub fn first_k(&self) -> f64 {
        self.t_k[0]
    }

    /// The highest tabulated temperature, K; above it the last value holds.
    pub fn last_k(&self) -> f64 {
        self.t_k[self.t_k.len() - 1]
    }
}

/// `value` against `t_k` (strictly increasing, as long as `value`, not empty) at `t`: linear
/// between points, the end values held outside them; NaN for a NaN `t`. Every temperature
/// table of the contract is read this way.
pub fn interpolate(t_k: &[f64], value: &[f64], t: f64) -> f64 {
    let last = t_k.len() - 1;
    if t.is_nan() {
        return f64::NAN;
    }
    if t <= t_k[0] {
        return value[0];
    }
    if t >= t_k[last] {
        return value[last];
    }
    let i = segment(t_k, t);
    value[i] + (t - t_k[i]) / (t_k[i + 1] - t_k[i]) * (value[i + 1] - value[i])
}

/// The index i with `xs[i] <= x < xs[i + 1]`, for `xs` strictly increasing and x strictly
/// between its first and last entries.
fn segment(xs: &[f64], x: f64) -> usize {
    xs.partition_point(|&v| v <= x) - 1
}

/// A heat-pipe working fluid (SCENARIO-2 section 13).
#[derive(Debug)]
pub struct HeatPipeFluid {
    pub name: &'static str,
    /// Triple point, K: below it the pipe is `frozen`.
    pub freeze_k: f64,
    pub freeze_source: &'static str,
    /// The usual working range, K: below `min_k` the pipe is `cold`, above `max_k` `hot`.
    pub min_k: f64,
    pub max_k: f64,
    pub range_source: &'static str,
    /// Liquid transport factor N = rho_l sigma h_fg / mu_l of the saturated liquid, W/m^2,
    /// every 5 K from `freeze_k` to at least `max_k` + 20 K (or to the critical point).
    pub transport: Table,
    pub transport_source: &'static str,
}

impl HeatPipeFluid {
    /// N(T), W/m^2, at vapour temperature `t_k`.
    pub fn transport_factor(&self, t_k: f64) -> f64 {
        self.transport.at(t_k)
    }

    /// N(`t_k`) / N(`reference_k`): for a fixed wick the capillary limit scales with N, so a
    /// capacity known at `reference_k` times this ratio is the capacity at `t_k`.
    pub fn capacity_ratio(&self, t_k: f64, reference_k: f64) -> f64 {
        self.transport_factor(t_k) / self.transport_factor(reference_k)
    }
}

/// Where a loop fluid boils.
#[derive(Debug)]
pub enum Boiling {
    /// Saturation curve from the triple point to the critical point (both included): the
    /// boiling point depends on the loop's pressure.
    Saturation {
        t_k: &'static [f64],
        pressure_pa: &'static [f64],
        source: &'static str,
    },
    /// A fixed normal boiling point, whatever the loop's pressure.
    Normal { k: f64, source: &'static str },
}

/// A pumped-loop fluid (SCENARIO-2 section 14). Property tables cover the liquid range the
/// catalog knows (see docs/fluids.md); outside it their end values hold.
#[derive(Debug)]
pub struct LoopFluid {
    pub name: &'static str,
    /// The CoolProp fluid the tables come from, e.g. "INCOMP::MPG[0.5]".
    pub coolprop_name: &'static str,
    /// Freezing point (triple point for pure fluids), K: below it the loop is `frozen`.
    pub freeze_k: f64,
    pub freeze_source: &'static str,
    /// Lowest usable temperature, K: `freeze_k`, or the end of a property fit that stops above
    /// freezing (the catalog `min_k` that narrows a loop's liquid range).
    pub min_k: f64,
    pub min_source: &'static str,
    pub density: Table,
    pub specific_heat: Table,
    pub viscosity: Table,
    pub conductivity: Table,
    pub properties_source: &'static str,
    pub boiling: Boiling,
}

impl LoopFluid {
    pub fn density_kg_m3(&self, t_k: f64) -> f64 {
        self.density.at(t_k)
    }

    pub fn specific_heat_j_kgk(&self, t_k: f64) -> f64 {
        self.specific_heat.at(t_k)
    }

    /// Dynamic viscosity, Pa s.
    pub fn viscosity_pa_s(&self, t_k: f64) -> f64 {
        self.viscosity.at(t_k)
    }

    pub fn conductivity_w_mk(&self, t_k: f64) -> f64 {
        self.conductivity.at(t_k)
    }

    /// Whether the boiling point depends on the loop's `pressure_pa` (which is then required).
    pub fn needs_pressure(&self) -> bool {
        matches!(self.boiling, Boiling::Saturation { .. })
    }

    /// Triple-point and critical pressures, Pa, for a fluid whose boiling point depends on
    /// pressure: a loop pressure outside them has no liquid-vapour boundary.
    pub fn pressure_range_pa(&self) -> Option<(f64, f64)> {
        match self.boiling {
            Boiling::Saturation { pressure_pa, .. } => {
                Some((pressure_pa[0], pressure_pa[pressure_pa.len() - 1]))
            }
            Boiling::Normal { .. } => None,
        }
    }

    /// Boiling point, K. With a saturation curve: the saturation temperature at `pressure_pa`,
    /// interpolated linearly in ln p (Clausius-Clapeyron makes ln p nearly linear in T; within
    /// 0.04 K of CoolProp between the 5 K points), None without a pressure or outside
    /// `pressure_range_pa`. Otherwise the fixed normal boiling point, the pressure ignored.
    pub fn boiling_k(&self, pressure_pa: Option<f64>) -> Option<f64> {
        match self.boiling {
            Boiling::Normal { k, .. } => Some(k),
            Boiling::Saturation {
                t_k,
                pressure_pa: p,
                ..
            } => {
                let pressure = pressure_pa?;
                let last = p.len() - 1;
                if !(p[0]..=p[last]).contains(&pressure) {
                    return None;
                }
                if pressure == p[last] {
                    return Some(t_k[last]);
                }
                let i = segment(p, pressure);
                let fraction = (pressure / p[i]).ln() / (p[i + 1] / p[i]).ln();
                Some(t_k[i] + fraction * (t_k[i + 1] - t_k[i]))
            }
        }
    }

    /// The source of the boiling point: saturation curve or a fixed normal boiling point.
    pub fn boiling_source(&self) -> &'static str {
        match self.boiling {
            Boiling::Saturation { source, .. } | Boiling::Normal { source, .. } => source,
        }
    }
}

/// The heat-pipe fluid called `name` (one of [`HEAT_PIPE_FLUIDS`]).
pub fn heat_pipe_fluid(name: &str) -> Option<&'static HeatPipeFluid> {
    tables::HEAT_PIPE_CATALOG
        .iter()
        .copied()
        .find(|fluid| fluid.name == name)
}

/// The loop fluid called `name` (one of [`LOOP_FLUIDS`]).
pub fn loop_fluid(name: &str) -> Option<&'static LoopFluid> {
    tables::LOOP_CATALOG
        .iter()
        .copied()
        .find(|fluid| fluid.name == name)
}
