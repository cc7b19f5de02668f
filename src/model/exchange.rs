//! Radiation exchanged between surfaces, as the heat balance sees it. The model holds it as this
//! trait so that it needs nothing of the ray tracer that makes it (radiation::Exchange, traced
//! once per geometry and attached by run/).

use super::Model;
use super::loads::ExternalLoads;
use crate::error::Result;

pub trait SurfaceExchange: Send + Sync + std::fmt::Debug {
    /// W absorbed per cell (both sides) from sunlight, albedo and Earth IR after shadows and
    /// reflections, at the loads of one instant.
    fn external_absorbed(&self, model: &Model, loads: &ExternalLoads) -> Result<Vec<f64>>;

    /// Heat INTO each cell from infrared exchange at temperatures `t`: what it absorbs from
    /// other surfaces and the sink, less its emission.
    fn net_infrared(&self, model: &Model, t: &[f64], out: &mut [f64]) -> Result<()>;
}
