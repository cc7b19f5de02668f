//! The GPU backend's foundation (wgpu 30, WGSL compute shaders in shaders/).
//!
//! - adapter.rs: find and rank adapters, `devices`, `pick`, the first line.
//! - context.rs: one headless device, its limits and errors, pipelines, folded dispatches.
//! - buffers.rs: storage and uniform buffers, the buffer pool, readback.
//! - shaders.rs: the embedded WGSL and how a module is composed (build.rs validates the same).
//! - csr.rs: CSR matrices split into row blocks that fit one storage binding, their kernels.
//! - grid_split.rs, grid.rs: the finest operator as panel stencils plus a short CSR rest.
//! - kernels.rs: one typed constructor per kernel; twins.rs: the CPU twin of each.
//! - bandwidth.rs: copy against stencil_matvec, in GB/s; profile.rs: a CG round kernel by kernel.
//! - vcycle.rs: the host's multigrid hierarchy on the device, one V-cycle as dispatches.
//! - solver.rs: the steady solve: host Newton (shared with the CPU) with device PCG in f32.
//! - batch.rs: several steady solves (sweep points) in lockstep, their CG rounds in one submission.
//!
//! Everything here works in f32; a device with SHADER_F64 can be opened with it enabled
//! (`ContextOptions::f64`) for f64 kernels to come.

pub mod adapter;
pub mod bandwidth;
pub mod batch;
pub mod buffers;
pub mod context;
pub mod csr;
pub mod grid;
pub mod grid_split;
pub mod kernels;
pub mod profile;
pub mod shaders;
pub mod solver;
pub mod twins;
pub mod vcycle;

#[cfg(test)]
mod grid_tests;
#[cfg(test)]
mod solver_tests;
#[cfg(test)]
mod split_tests;
#[cfg(test)]
mod tests;

pub use adapter::{AdapterSummary, Candidate, Choice, Precision, devices, pick};
pub use bandwidth::{
    Bandwidth, CsrBandwidth, measure_bandwidth, measure_csr_bandwidth, measure_grid_bandwidth,
};
pub use context::{ContextOptions, Dispatch, Encode, GpuContext};
pub use csr::GpuCsr;
pub use kernels::{Coef, PanelStencil, Reduction};
pub use shaders::Kernel;
