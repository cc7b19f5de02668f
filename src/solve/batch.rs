//! Several steady solves at once, for the points of a sweep. On the GPU they run in lockstep
//! batches that share dispatches (solve/gpu/batch.rs); on the CPU one after another (a sweep
//! runs its CPU points in parallel itself). Either way each model gets the bits of its lone
//! solve.

use super::gpu::batch as gpu_batch;
use super::gpu::solver::{GpuBatch, open};
use super::{Backend, Solution, SolveOptions, solve};
use crate::error::{Error, Result};
use crate::model::Model;

/// Points a GPU sweep solves together unless `--gpu-batch` says otherwise.
pub const DEFAULT_BATCH: usize = 8;

/// Steady solves of many models on one backend, keeping the device's systems open between
/// calls so that a sweep's batches reuse them.
pub struct SteadyBatch {
    backend: Backend,
    device: Option<GpuBatch>,
}

impl SteadyBatch {
    pub fn new(backend: &Backend) -> SteadyBatch {
        SteadyBatch {
            backend: backend.clone(),
            device: None,
        }
    }

    /// Solves every model, each from the first guess of a lone solve; one result per model, in
    /// order. On the GPU at most [`gpu_batch::MAX_BATCH_NODES`] nodes share the device at once; a
    /// failure of the device fails the models it held, not the others.
    pub fn solve(&mut self, models: &[(&Model, SolveOptions)]) -> Vec<Result<Solution>> {
        let Backend::Gpu { adapter, .. } = &self.backend else {
            return models
                .iter()
                .map(|(model, options)| solve(model, &self.backend, *options))
                .collect();
        };
        let nodes: Vec<usize> = models.iter().map(|(m, _)| m.n_nodes).collect();
        let mut results = Vec::with_capacity(models.len());
        for part in gpu_batch::split(&nodes, usize::MAX) {
            let part = &models[part];
            let opened = match self.device.take() {
                Some(device) => Ok(device),
                None => open(adapter).map(GpuBatch::new),
            };
            let solved = opened.and_then(|mut device| {
                let solved = gpu_batch::solve_with(part, &mut device);
                self.device = Some(device);
                solved
            });
            match solved {
                Ok(s) => results.extend(s),
                Err(e) => {
                    let message = e.to_string();
                    results.extend(part.iter().map(|_| Err(Error::Solver(message.clone()))));
                }
            }
        }
        results
    }
}
