//! The GPU backend's linear solver: each Newton step's system by PCG on the device in f32.
//!
//! - csr.rs: CSR matrices split into row blocks that fit one storage binding, their kernels.
//! - grid_split.rs, grid.rs: the finest operator as panel stencils plus a short CSR rest.
//! - twins.rs: the CPU twin of each solver kernel, the tests' oracle.
//! - vcycle/: the host's multigrid hierarchy on the device, one V-cycle as dispatches (mod.rs);
//!   its upload (upload.rs), in-place refreshes (refresh.rs) and memory estimate (memory.rs).
//! - solver/: the steady solve: Newton (solve/newton.rs) with device PCG in f32 (mod.rs); where
//!   each system is placed (placement.rs), the CG rounds (cg.rs), a stack's buffers (stack.rs).
//! - batch.rs: several steady solves (sweep points) in lockstep, their CG rounds in one submission.
//! - bandwidth.rs: the copy kernel against the solver's stencil and CSR products, in GB/s.

pub mod bandwidth;
pub mod batch;
pub mod csr;
pub mod grid;
pub mod grid_split;
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

pub use bandwidth::{
    Bandwidth, CsrBandwidth, measure_bandwidth, measure_csr_bandwidth, measure_grid_bandwidth,
};
pub use csr::GpuCsr;
