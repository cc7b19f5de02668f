//! Generated radiator scenarios for benchmarks: one square two-sided panel of about `cells`
//! cells with two heat pipes and four H100 SXM footprints, at 650 km with the Sun edge-on.

/// TOML text of the benchmark radiator with about `cells` cells (a square mesh).
pub fn radiator_scenario(cells: usize) -> String {
    let side = ((cells as f64).sqrt().round() as usize).max(4);
    format!(
        r#"name = "generated radiator, {side} x {side} cells, two heat pipes, four H100 SXM"

[environment]
sun_direction = [0.0, 0.0, 1.0]     # in the panel's plane: edge-on to the Sun
nadir_direction = [0.0, -1.0, 0.0]  # Earth below the panel's edge: both sides see it edge-on
altitude_km = 650.0

[materials.al6061]
conductivity_w_mk = 167.0
density_kg_m3 = 2700.0
specific_heat_j_kgk = 896.0

[coatings.white]
absorptivity = 0.20
emissivity = 0.85

[[panels]]
name = "radiator"
origin_m = [0.0, 0.0, 0.0]
u_m = [0.0, 2.0, 0.0]
v_m = [0.0, 0.0, 2.0]
cells = [{side}, {side}]
thickness_m = 0.003
material = "al6061"
front = "white"
back = "white"

[[heat_pipes]]
name = "hp-low"
panel = "radiator"
from_m = [0.1, 0.7]
to_m = [1.9, 0.7]
width_m = 0.05
film_coefficient_w_m2k = 15000.0
capacity_w_m = 1000.0

[[heat_pipes]]
name = "hp-high"
panel = "radiator"
from_m = [0.1, 1.3]
to_m = [1.9, 1.3]
width_m = 0.05
film_coefficient_w_m2k = 15000.0
capacity_w_m = 1000.0

[[payloads]]
name = "gpu0"
model = "h100-sxm"
panel = "radiator"
center_m = [0.6, 0.7]
size_m = [0.1, 0.1]
junction_to_panel_k_w = 0.03

[[payloads]]
name = "gpu1"
model = "h100-sxm"
panel = "radiator"
center_m = [1.4, 0.7]
size_m = [0.1, 0.1]
junction_to_panel_k_w = 0.03

[[payloads]]
name = "gpu2"
model = "h100-sxm"
panel = "radiator"
center_m = [0.6, 1.3]
size_m = [0.1, 0.1]
junction_to_panel_k_w = 0.03

[[payloads]]
name = "gpu3"
model = "h100-sxm"
panel = "radiator"
center_m = [1.4, 1.3]
size_m = [0.1, 0.1]
junction_to_panel_k_w = 0.03
"#
    )
}

use std::path::Path;
use std::time::Instant;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::solve::Backend;
use crate::solve::jacobian::Jacobian;
use crate::solve::linalg::sparse::CsrMatrix;

/// One row of `skysink bench`.
#[derive(Clone, Debug, Serialize)]
pub struct BenchRow {
    pub cells: usize,
    pub backend: String,
    pub adapter: Option<String>,
    pub precision: String,
    /// Build and solve, seconds (the scenario text is generated beforehand).
    pub wall_s: f64,
    pub converged: bool,
    pub newton_iterations: usize,
    pub linear_iterations: usize,
    /// wall_s / (cells x linear iterations), nanoseconds.
    pub ns_per_cell_per_linear_iteration: f64,
    /// What `main_kernel_gb_s` measures.
    pub main_kernel: String,
    pub main_kernel_gb_s: f64,
    /// A plain copy of as many values on the same processor: the roofline.
    pub copy_gb_s: f64,
    /// GPU only: the bare 5-point panel stencil product (stencil_matvec) on as many cells.
    pub stencil_gb_s: Option<f64>,
    /// How the bandwidths were timed: "timestamps" (GPU timestamp queries), "wall clock" (a GPU
    /// without them), "mixed", or "best of runs" (the CPU).
    pub bandwidth_timing: String,
}

/// Generate, build and solve the benchmark radiator at each size on `backend`.
pub fn run(
    cells: &[usize],
    backend: &Backend,
    mut progress: impl FnMut(&BenchRow),
) -> Result<Vec<BenchRow>> {
    let mut rows = Vec::new();
    for &n in cells {
        let text = radiator_scenario(n);
        let loaded = crate::scenario::parse(Path::new("generated radiator"), text)?;
        let start = Instant::now();
        let model = crate::build(&loaded)?;
        let (solution, _report) = crate::run::solve_steady(&loaded, &model, backend)?;
        let wall_s = start.elapsed().as_secs_f64();
        let newton_matrix = || -> Result<CsrMatrix> {
            let mut jacobian = Jacobian::new(&model)?;
            jacobian.update_diagonal(&model, &solution.temperatures_k, 0.0);
            Ok(jacobian.matrix)
        };
        let (main_kernel, main_kernel_gb_s, copy_gb_s, stencil_gb_s, timing) = match backend {
            Backend::Cpu { .. } => {
                let (matvec, copy) = cpu_bandwidth(&newton_matrix()?)?;
                let timing = "best of runs".to_string();
                ("csr matvec (f64)".to_string(), matvec, copy, None, timing)
            }
            Backend::Gpu { adapter, .. } => {
                // Timestamp queries where the adapter has them: the wall clock adds a
                // submission's latency to every measurement.
                let options = crate::gpu::ContextOptions {
                    timestamps: true,
                    ..Default::default()
                };
                let ctx = crate::solve::gpu::solver::open_with(adapter, options)?;
                let b = crate::solve::gpu::measure_bandwidth(&ctx, model.n_cells as u64, 5)?;
                // The finest operator as the solve stores it: the grid form when it pays.
                let a = newton_matrix()?;
                let main = match crate::solve::gpu::measure_grid_bandwidth(&ctx, &a, 5)? {
                    Some(grid) => grid,
                    None => crate::solve::gpu::measure_csr_bandwidth(&ctx, &a, 5)?,
                };
                let timing = if main.method == b.method {
                    main.method
                } else {
                    "mixed".to_string()
                };
                (
                    main.kernel,
                    main.gb_s,
                    b.copy_gb_s,
                    Some(b.stencil_gb_s),
                    timing,
                )
            }
        };
        let row = BenchRow {
            cells: model.n_cells,
            backend: backend.kind().to_string(),
            adapter: backend.adapter(),
            precision: backend.precision().to_string(),
            wall_s,
            converged: solution.converged,
            newton_iterations: solution.iterations,
            linear_iterations: solution.linear_iterations,
            ns_per_cell_per_linear_iteration: wall_s * 1e9
                / (model.n_cells as f64 * solution.linear_iterations.max(1) as f64),
            main_kernel,
            main_kernel_gb_s,
            copy_gb_s,
            stencil_gb_s,
            bandwidth_timing: timing,
        };
        progress(&row);
        rows.push(row);
    }
    Ok(rows)
}

/// Effective bandwidth (GB/s) of the Newton matrix's product and of a plain copy of as many
/// f64 values, best of several runs. The product moves the matrix once (8-byte value, 4-byte
/// column per entry, row pointers) plus x and y.
fn cpu_bandwidth(a: &CsrMatrix) -> Result<(f64, f64)> {
    let n = a.n;
    let x: Vec<f64> = (0..n).map(|i| 1.0 + (i % 7) as f64).collect();
    let mut y = vec![0.0; n];
    let runs = (20_000_000 / n.max(1)).clamp(3, 50);
    let best = |f: &mut dyn FnMut()| {
        f();
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                f();
                start.elapsed().as_secs_f64()
            })
            .fold(f64::INFINITY, f64::min)
    };
    let matvec_s = best(&mut || a.matvec(&x, &mut y));
    let matvec_bytes = (a.nnz() * 12 + (n + 1) * 8 + 2 * n * 8) as f64;
    let copy_s = best(&mut || {
        use rayon::prelude::*;
        y.par_chunks_mut(65536)
            .zip(x.par_chunks(65536))
            .for_each(|(dst, src)| dst.copy_from_slice(src));
    });
    let copy_bytes = (2 * n * 8) as f64;
    if !(matvec_s > 0.0 && copy_s > 0.0) {
        return Err(Error::Solver(
            "bench: the timer did not advance".to_string(),
        ));
    }
    Ok((matvec_bytes / matvec_s / 1e9, copy_bytes / copy_s / 1e9))
}

pub fn table(rows: &[BenchRow]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>9} {:<8} {:<28} {:>9} {:>7} {:>7} {:>12} {:<18} {:>9} {:>9}",
        "cells",
        "backend",
        "adapter",
        "wall s",
        "newton",
        "linear",
        "ns/cell/it",
        "main kernel",
        "GB/s",
        "copy GB/s"
    );
    for r in rows {
        let _ = writeln!(
            out,
            "{:>9} {:<8} {:<28} {:>9.3} {:>7} {:>7} {:>12.2} {:<18} {:>9.2} {:>9.2}{}",
            r.cells,
            format!("{} {}", r.backend, r.precision),
            r.adapter.as_deref().unwrap_or("-"),
            r.wall_s,
            r.newton_iterations,
            r.linear_iterations,
            r.ns_per_cell_per_linear_iteration,
            r.main_kernel,
            r.main_kernel_gb_s,
            r.copy_gb_s,
            if r.converged { "" } else { "  NOT CONVERGED" }
        );
    }
    out
}
