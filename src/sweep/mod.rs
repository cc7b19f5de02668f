//! Design sweeps and sizing (SCENARIO.md sections 6 and 7): many variants of a scenario
//! solved, one CSV row each, and the search for the least or greatest value that passes.
//! Variants themselves (paths, cases, sweep points) are made by `scenario::variant`; each is
//! run by `run`.

pub mod progress;
pub mod run;
pub mod size;
