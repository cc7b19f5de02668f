//! The wgpu foundation shared by the GPU linear solver (solve/gpu) and the GPU ray tracer
//! (radiation/gpu.rs); wgpu 30, WGSL compute shaders in shaders/.
//!
//! - adapter.rs: find and rank adapters, `devices`, `pick`, the first line.
//! - context.rs: one headless device, its limits and errors, pipelines, folded dispatches.
//! - buffers.rs: storage and uniform buffers, the buffer pool, readback.
//! - shaders.rs: the embedded WGSL and how a module is composed (build.rs validates the same).
//! - kernels.rs: one typed constructor per kernel.
//! - profile.rs: a CG round timed kernel by kernel with timestamp queries.
//! - testing.rs: the one "GPU or skip" rule of every GPU test.
//!
//! Everything here works in f32; a device with SHADER_F64 can be opened with it enabled
//! (`ContextOptions::f64`) for f64 kernels to come.

pub mod adapter;
pub mod buffers;
pub mod context;
pub mod kernels;
pub mod profile;
pub mod shaders;
pub mod testing;

pub use adapter::{AdapterSummary, Candidate, Choice, devices, pick};
pub use context::{ContextOptions, Dispatch, Encode, GpuContext};
pub use kernels::{Coef, PanelStencil, Reduction};
pub use shaders::Kernel;
