//! skysink: steady thermal solutions of spacecraft radiators carrying AI accelerators.
//!
//! The flow is four stages (DESIGN.md):
//! ```text
//! scenario::load -> model::build -> solve::solve(backend) -> report::Report::new
//! ```

pub mod bench;
pub mod error;
pub mod model;
pub mod output;
pub mod report;
pub mod scenario;
pub mod solve;
pub mod sweep;

pub use error::{Error, Result};
pub use model::{Model, build};
pub use report::{Report, Verdict};
pub use scenario::{LoadedScenario, load};
pub use solve::{Backend, Solution, SolveOptions, solve};

/// Pick the backend for a `--backend`/`solve.backend` choice (SCENARIO.md section 8): `cpu`
/// is the CPU; `gpu` the best adapter of any type (none: exit 3); `auto` the best adapter that
/// is not of CPU type, else the CPU. The GPU backend's linear algebra is f32.
pub fn choose_backend(choice: scenario::BackendChoice) -> Result<Backend> {
    let cpu = || Backend::Cpu {
        threads: rayon::current_num_threads(),
    };
    let gpu = |candidate: solve::gpu::Candidate| Backend::Gpu {
        adapter: candidate.summary,
        precision: solve::gpu::Precision::F32,
    };
    match choice {
        scenario::BackendChoice::Cpu => Ok(cpu()),
        scenario::BackendChoice::Gpu => match solve::gpu::pick(solve::gpu::Choice::Gpu)? {
            Some(candidate) => Ok(gpu(candidate)),
            None => Err(Error::Solver(
                "--backend gpu: no GPU adapter found".to_string(),
            )),
        },
        scenario::BackendChoice::Auto => {
            Ok(solve::gpu::pick(solve::gpu::Choice::Auto)?.map_or_else(cpu, gpu))
        }
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
