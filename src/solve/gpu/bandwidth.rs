//! A small roofline measurement: the plain copy kernel against stencil_matvec, csr_matvec and
//! the grid form's product (grid_matvec) on the same adapter, in GB/s of compulsory traffic
//! (copy: 8 bytes per float; stencil: 12, reading x and d and writing y once; CSR: each entry's
//! value and column, the row pointers, x and y once; grid: see [`CsrBandwidth`]). Timed with timestamp queries when the device has them, else by the wall
//! clock over several runs after a warm-up.

use serde::Serialize;

use super::grid_split::GridSplit;
use super::vcycle::upload_view;
use crate::error::{Error, Result};
use crate::gpu::context::{Dispatch, Encode, GpuContext};
use crate::gpu::kernels::PanelStencil;
use crate::solve::linalg::amg::CsrView;
use crate::solve::linalg::sparse::CsrMatrix;

/// Bytes moved per float by the copy kernel and per cell by stencil_matvec.
pub const COPY_BYTES_PER_ITEM: f64 = 8.0;
pub const STENCIL_BYTES_PER_ITEM: f64 = 12.0;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Bandwidth {
    pub adapter: String,
    /// Floats copied; the stencil runs on a near-square panel of about as many cells.
    pub floats: u64,
    pub stencil_cells: u64,
    /// Kernel runs timed (after one warm-up run).
    pub iterations: u32,
    /// "timestamps" or "wall clock".
    pub method: String,
    /// Seconds per run.
    pub copy_s: f64,
    pub stencil_s: f64,
    pub copy_gb_s: f64,
    pub stencil_gb_s: f64,
}

impl Bandwidth {
    /// The stencil's effective bandwidth as a fraction of the copy kernel's.
    pub fn stencil_fraction_of_copy(&self) -> f64 {
        self.stencil_gb_s / self.copy_gb_s
    }
}

/// Measures copy and stencil bandwidth on `floats` floats over `iterations` runs each.
pub fn measure_bandwidth(ctx: &GpuContext, floats: u64, iterations: u32) -> Result<Bandwidth> {
    if floats == 0 || iterations == 0 {
        return Err(Error::Input(
            "bandwidth: the number of floats and of iterations must be positive".to_string(),
        ));
    }
    let n = usize::try_from(floats)
        .map_err(|_| Error::Input(format!("bandwidth: {floats} floats do not fit in memory")))?;
    let values: Vec<f32> = (0..n).map(|i| 250.0 + (i % 1000) as f32 * 0.1).collect();
    let src = ctx.upload("bandwidth src", &values)?;
    let dst = ctx.zeroed("bandwidth dst", floats * 4)?;
    let copy = ctx.copy_bandwidth(floats, &src, &dst)?;

    let nu = ((floats as f64).sqrt() as u32).max(1);
    let nv = u32::try_from(floats / u64::from(nu))
        .unwrap_or(u32::MAX)
        .max(1);
    let panel = PanelStencil {
        first: 0,
        nu,
        nv,
        g_u: 0.5,
        g_v: 0.25,
        sigma: 5.670_374e-8,
        ts4: 81.0,
    };
    let diagonal = vec![1.0e-3f32; n];
    let d = ctx.upload("bandwidth d", &diagonal)?;
    let y = ctx.zeroed("bandwidth y", floats * 4)?;
    let stencil = ctx.stencil_matvec(&panel, &src, &d, &y)?;

    let (copy_s, copy_method) = time_runs(ctx, &copy, iterations)?;
    let (stencil_s, stencil_method) = time_runs(ctx, &stencil, iterations)?;
    let method = if copy_method == stencil_method {
        copy_method
    } else {
        "mixed"
    };
    let cells = panel.cells();
    Ok(Bandwidth {
        adapter: ctx.summary().name.clone(),
        floats,
        stencil_cells: cells,
        iterations,
        method: method.to_string(),
        copy_s,
        stencil_s,
        copy_gb_s: COPY_BYTES_PER_ITEM * floats as f64 / copy_s / 1e9,
        stencil_gb_s: STENCIL_BYTES_PER_ITEM * cells as f64 / stencil_s / 1e9,
    })
}

/// Effective bandwidth of the finest operator's product (f32), the product that dominates the
/// GPU solve, on the matrix `a` (a model's Newton matrix). csr_matvec moves each entry's value
/// and column once, the row pointers, x once (neighbours' values are cache hits) and y; the grid
/// form (grid.rs) moves the diagonal, x and y once per row, the panel table, and the rest's
/// entries (value, column), row pointers, row indices and the update of its rows.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CsrBandwidth {
    /// "csr matvec (f32)" or "grid matvec (f32)".
    pub kernel: String,
    pub rows: u64,
    pub entries: u64,
    pub iterations: u32,
    pub method: String,
    pub seconds: f64,
    pub gb_s: f64,
}

/// Measures [`CsrBandwidth`] of `a` over `iterations` runs (after one warm-up run).
pub fn measure_csr_bandwidth(
    ctx: &GpuContext,
    a: &CsrMatrix,
    iterations: u32,
) -> Result<CsrBandwidth> {
    if a.n == 0 || iterations == 0 {
        return Err(Error::Input(
            "bandwidth: the matrix and the number of iterations must not be empty".to_string(),
        ));
    }
    let view = CsrView::of(a);
    let matrix = upload_view(ctx, &view)?;
    let values: Vec<f32> = (0..a.n).map(|i| 250.0 + (i % 1000) as f32 * 0.1).collect();
    let x = ctx.upload("bandwidth x", &values)?;
    let y = ctx.zeroed("bandwidth y", 4 * a.n as u64)?;
    let product = ctx.csr_matvec(&matrix, &x, &y, false)?;
    let (seconds, method) = time_runs(ctx, &product, iterations)?;
    let bytes = 8 * a.nnz() + 4 * (a.n + 1) + 8 * a.n;
    Ok(CsrBandwidth {
        kernel: "csr matvec (f32)".to_string(),
        rows: a.n as u64,
        entries: a.nnz() as u64,
        iterations,
        method: method.to_string(),
        seconds,
        gb_s: bytes as f64 / seconds / 1e9,
    })
}

/// [`CsrBandwidth`] of the grid form of `a` (grid_matvec and its rest pass), as the solver
/// uses it; `None` when `a` names no panels or its split does not pay (`GridSplit::of`).
pub fn measure_grid_bandwidth(
    ctx: &GpuContext,
    a: &CsrMatrix,
    iterations: u32,
) -> Result<Option<CsrBandwidth>> {
    let view = CsrView::of(a);
    let Some(split) = GridSplit::of(&[(view, a.grids.as_slice())], a.n) else {
        return Ok(None);
    };
    if a.n == 0 || iterations == 0 {
        return Err(Error::Input(
            "bandwidth: the matrix and the number of iterations must not be empty".to_string(),
        ));
    }
    let grid = ctx.upload_grid(&split)?;
    let values: Vec<f32> = (0..a.n).map(|i| 250.0 + (i % 1000) as f32 * 0.1).collect();
    let x = ctx.upload("bandwidth x", &values)?;
    let y = ctx.zeroed("bandwidth y", 4 * a.n as u64)?;
    let product = ctx.grid_matvec(&grid, &x, &y)?;
    let (seconds, method) = time_runs(ctx, &product, iterations)?;
    let rest = &split.rest;
    let bytes = 12 * a.n
        + 32 * split.panels.len()
        + 8 * rest.entries()
        + 4 * rest.row_ptr.len()
        + 12 * rest.rows.len();
    Ok(Some(CsrBandwidth {
        kernel: "grid matvec (f32)".to_string(),
        rows: a.n as u64,
        entries: (rest.entries() + a.n) as u64,
        iterations,
        method: method.to_string(),
        seconds,
        gb_s: bytes as f64 / seconds / 1e9,
    }))
}

/// Seconds per run of `dispatch`: GPU timestamps around `iterations` runs in one pass where the
/// device has them; else the wall clock over one submission of as many runs, doubled until it
/// takes at least `WALL_CLOCK_MIN_S` (a submission and its wait cost tens of microseconds,
/// as much as one run of a large kernel on a fast GPU).
fn time_runs(
    ctx: &GpuContext,
    dispatch: &Dispatch,
    iterations: u32,
) -> Result<(f64, &'static str)> {
    ctx.run(&[dispatch])?;
    if ctx.has_timestamps()
        && let Some(seconds) = timestamped(ctx, dispatch, iterations)?
    {
        return Ok((seconds / f64::from(iterations), "timestamps"));
    }
    let mut runs = iterations.max(1);
    loop {
        let start = std::time::Instant::now();
        let work: Vec<&dyn Encode> = (0..runs).map(|_| dispatch as &dyn Encode).collect();
        ctx.run(&work)?;
        let elapsed = start.elapsed().as_secs_f64();
        if elapsed >= WALL_CLOCK_MIN_S || runs >= WALL_CLOCK_MAX_RUNS {
            return Ok((elapsed / f64::from(runs), "wall clock"));
        }
        runs *= 2;
    }
}

/// The shortest wall-clock measurement, seconds, and the most runs it doubles to.
const WALL_CLOCK_MIN_S: f64 = 0.05;
const WALL_CLOCK_MAX_RUNS: u32 = 1 << 12;

/// GPU time of `iterations` runs in one pass, or None if the timestamps make no sense.
fn timestamped(ctx: &GpuContext, dispatch: &Dispatch, iterations: u32) -> Result<Option<f64>> {
    let device = ctx.device();
    let queries = device.create_query_set(&wgpu::QuerySetDescriptor {
        label: Some("bandwidth timestamps"),
        ty: wgpu::QueryType::Timestamp,
        count: 2,
    });
    let resolved = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("bandwidth timestamps"),
        size: 16,
        usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
        mapped_at_creation: false,
    });
    let mut encoder = ctx.encoder();
    {
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("bandwidth"),
            timestamp_writes: Some(wgpu::ComputePassTimestampWrites {
                query_set: &queries,
                beginning_of_pass_write_index: Some(0),
                end_of_pass_write_index: Some(1),
            }),
        });
        for _ in 0..iterations {
            dispatch.encode(&mut pass);
        }
    }
    encoder.resolve_query_set(&queries, 0..2, &resolved, 0);
    ctx.queue().submit([encoder.finish()]);
    ctx.wait()?;
    let ticks: Vec<u64> = ctx.read(&resolved, 0, 2)?;
    let period_ns = f64::from(ctx.queue().get_timestamp_period());
    match ticks.as_slice() {
        [start, end] if end > start && period_ns > 0.0 => {
            Ok(Some((end - start) as f64 * period_ns * 1e-9))
        }
        _ => Ok(None),
    }
}
