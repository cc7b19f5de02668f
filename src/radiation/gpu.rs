//! The hemisphere trace on the GPU (shaders/trace.wgsl).

use super::scene::Scene;
use super::trace::{Tally, TraceParams};
use crate::error::{Error, Result};
use crate::solve::gpu::GpuContext;

pub fn trace_gpu(
    _context: &GpuContext,
    _scene: &Scene,
    _params: &TraceParams,
    _n_cells: usize,
) -> Result<Tally> {
    Err(Error::Solver("GPU tracing is not implemented yet".to_string()))
}
