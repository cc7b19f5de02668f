//! skysink: steady thermal solutions of spacecraft radiators carrying AI accelerators.
//!
//! The flow is four stages (DESIGN.md):
//! ```text
//! scenario::load -> model::build -> solve::solve(backend) -> report::Report::new
//! ```

pub mod bench;
pub mod error;
pub mod model;
pub mod report;
pub mod scenario;
pub mod solve;

pub use error::{Error, Result};
pub use model::{Model, build};
pub use report::{Report, Verdict};
pub use scenario::{LoadedScenario, load};
pub use solve::{Backend, Solution, SolveOptions, solve};

/// Pick the backend for a `--backend`/`solve.backend` choice. This version has only the CPU
/// backend: `auto` resolves to it, `gpu` is refused as a missing adapter (exit 3).
pub fn choose_backend(choice: scenario::BackendChoice) -> Result<Backend> {
    match choice {
        scenario::BackendChoice::Auto | scenario::BackendChoice::Cpu => Ok(Backend::Cpu {
            threads: rayon::current_num_threads(),
        }),
        scenario::BackendChoice::Gpu => Err(Error::Solver(
            "no GPU adapter: this build of skysink has no GPU backend yet; use --backend cpu (or auto)".to_string(),
        )),
    }
}

/// Solve a loaded scenario in steady state on `backend` and derive its report.
pub fn solve_steady(
    loaded: &LoadedScenario,
    model: &Model,
    backend: &Backend,
) -> Result<(Solution, Report)> {
    let options = SolveOptions {
        tolerance_k: loaded.scenario.solve.tolerance_k,
        max_iterations: loaded.scenario.solve.max_iterations.max(1) as usize,
    };
    let solution = solve(model, backend, options)?;
    let report = Report::new(&loaded.scenario, model, &solution, backend);
    Ok((solution, report))
}
