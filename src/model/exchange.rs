//! Radiation exchanged between surfaces, as the heat balance sees it. The model holds it as this
//! trait so that it needs nothing of the ray tracer that makes it (radiation::Exchange, traced
//! once per geometry and attached by run/).

use super::Model;
use super::loads::ExternalLoads;
use crate::error::Result;

/// External loads after shadows and reflections, as the heat balance and the reports need them.
#[derive(Clone, Debug, Default)]
pub struct ExternalAbsorbed {
    /// W reaching each cell (both sides; through a blanket, its share).
    pub cells: Vec<f64>,
    /// Per cell, [front, back]: W the outer layer of a blanket on that side absorbs (0 on a
    /// side without one); empty when no side has a blanket.
    pub outer_layers: Vec<[f64; 2]>,
}

pub trait SurfaceExchange: Send + Sync + std::fmt::Debug {
    /// What cells and blankets' outer layers absorb from sunlight, albedo and Earth IR after
    /// shadows and reflections, at the loads of one instant.
    fn external_absorbed(&self, model: &Model, loads: &ExternalLoads) -> Result<ExternalAbsorbed>;

    /// Heat INTO each cell from infrared exchange at temperatures `t`: what it absorbs from
    /// other surfaces and the sink, less its emission (through a blanket, the share of the
    /// outer layer's that reaches the cell).
    fn net_infrared(&self, model: &Model, t: &[f64], out: &mut [f64]) -> Result<()>;

    /// The part of `net_infrared` that passes through blanketed sides (0 for cells without one).
    fn blanket_net_infrared(&self, model: &Model, t: &[f64], out: &mut [f64]) -> Result<()>;
}
