//! skysink: steady and transient thermal solutions of spacecraft radiators carrying AI
//! accelerators.
//!
//! The flow is four stages (DESIGN.md; docs/architecture.md maps every module):
//! ```text
//! load(path) -> Scenario --build--> Model --solve(backend)--> Solution --Report::new--> Report
//! ```
//! [`run::run`] does the last three for a scenario as its `[solve]` section says (steady or
//! transient, with traced view factors and orbit loads), [`run::evaluate`] once per load case.

pub mod bench;
pub mod error;
pub mod fluids;
pub mod gpu;
pub mod huge_pages;
pub mod memory;
pub mod model;
pub mod orbit;
pub mod radiation;
pub mod report;
pub mod run;
pub mod scenario;
pub mod solve;
pub mod sweep;
pub mod trace;
pub mod vec3;

pub use error::{Error, Result};
pub use model::{Model, build};
pub use report::{Report, Verdict};
pub use run::{Outcome, RunOptions, run};
pub use scenario::{LoadedScenario, load};
pub use solve::{Backend, Solution, SolveOptions, choose_backend, solve};
