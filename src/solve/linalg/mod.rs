//! Backend-neutral linear algebra in f64: sparse matrices in CSR with the panels' grid rows
//! marked, preconditioned conjugate gradients, and the multigrid hierarchy that preconditions
//! them. The CPU backend runs it directly; the GPU backend uploads what it builds.

pub mod amg;
pub mod pcg;
pub mod sparse;

use serde::Serialize;

/// The floating-point precision of a backend's linear algebra (the GPU state is f32 unless the adapter has
/// SHADER_F64), for the first line, the report and the f32 convergence floor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    F32,
    F64,
}

impl Precision {
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::F64 => "f64",
        }
    }
}
