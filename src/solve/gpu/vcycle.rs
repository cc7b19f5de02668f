//! One V-cycle of the host's smoothed-aggregation hierarchy on the device, in f32: the same
//! cycle as `cycle` in src/solve/cpu/amg.rs (Chebyshev smoothing on `D^-1 A` before and after the
//! coarse correction, `R = P^T` down, `P` up), from [`Amg::export`]. The coarsest level is the
//! dense inverse of its matrix applied as a CSR product (what the CPU's dense Cholesky solve
//! computes), or smoothing sweeps where the CPU uses them.
//!
//! Buffers and patterns are uploaded once; [`DeviceAmg::refresh`] rewrites the values after an
//! `Amg::refresh` and rebuilds the dispatches (the smoothing coefficients follow the new
//! eigenvalue bounds). Between refreshes the solver writes only the finest level's values.
//!
//! [`Amg::export`]: crate::solve::cpu::amg::Amg::export

use super::context::{Dispatch, GpuContext};
use super::csr::GpuCsr;
use super::kernels::Coef;
use crate::error::{Error, Result};
use crate::solve::cpu::amg::{AmgExport, CoarseExport, CsrView};

struct DeviceLevel {
    n: u64,
    a: GpuCsr,
    inv_diag: wgpu::Buffer,
    /// `(P, R)` to the next coarser level.
    transfer: Option<(GpuCsr, GpuCsr)>,
    /// Right-hand side, iterate, residual and smoother correction of this level.
    b: wgpu::Buffer,
    x: wgpu::Buffer,
    r: wgpu::Buffer,
    d: wgpu::Buffer,
    lambda_max: f64,
    ratio: f64,
    degree: usize,
}

enum DeviceCoarse {
    /// The inverse of the coarsest matrix as a dense CSR matrix.
    Dense(GpuCsr),
    Sweeps(usize),
}

/// The hierarchy on the device and the dispatches of one V-cycle `output = M^-1 input`.
pub struct DeviceAmg {
    levels: Vec<DeviceLevel>,
    coarse: DeviceCoarse,
    /// Scalar buffer bound by the vector kernels (only constant coefficients are used here).
    scalars: wgpu::Buffer,
    cycle: Vec<Dispatch>,
}

/// One array of the device memory estimate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceArray {
    pub name: String,
    pub bytes: u64,
    /// Whether the upload splits it into row blocks (CSR arrays; csr.rs) rather than binding
    /// it whole (vectors).
    pub split: bool,
}

/// Every array the device hierarchy allocates, for the memory estimate.
pub fn array_bytes(export: &AmgExport<'_>) -> Vec<DeviceArray> {
    let mut arrays = Vec::new();
    let mut csr = |what: String, rows: usize, nnz: usize| {
        for (part, bytes) in [
            ("row pointers", 4 * (rows as u64 + 1)),
            ("column indices", 4 * nnz as u64),
            ("values", 4 * nnz as u64),
        ] {
            arrays.push(DeviceArray {
                name: format!("{what} {part}"),
                bytes,
                split: true,
            });
        }
    };
    for (l, level) in export.levels.iter().enumerate() {
        csr(
            format!("level {l} matrix"),
            level.a.n_rows,
            level.a.values.len(),
        );
        if let Some((p, r)) = &level.transfer {
            csr(format!("level {l} prolongation"), p.n_rows, p.values.len());
            csr(format!("level {l} restriction"), r.n_rows, r.values.len());
        }
    }
    if let (CoarseExport::DenseInverse(_), Some(last)) = (&export.coarse, export.levels.last()) {
        let n = last.a.n_rows;
        csr("coarsest inverse".to_string(), n, n * n);
    }
    for (l, level) in export.levels.iter().enumerate() {
        for name in ["inverse diagonal", "b", "x", "r", "d"] {
            arrays.push(DeviceArray {
                name: format!("level {l} {name}"),
                bytes: 4 * level.a.n_rows as u64,
                split: false,
            });
        }
    }
    arrays
}

/// `values` rounded to f32 (in parallel: the finest level of a 10^7-cell model has 5 * 10^7).
pub fn to_f32(values: &[f64]) -> Vec<f32> {
    use rayon::prelude::*;
    values
        .par_iter()
        .with_min_len(1 << 16)
        .map(|&v| v as f32)
        .collect()
}

pub fn upload_view(ctx: &GpuContext, view: &CsrView<'_>) -> Result<GpuCsr> {
    let row_ptr = row_ptr_u32(view.row_ptr)?;
    let n_cols = u32::try_from(view.n_cols)
        .map_err(|_| Error::Solver(format!("{} columns exceed u32 indexing", view.n_cols)))?;
    ctx.upload_csr(n_cols, &row_ptr, view.col_idx, &to_f32(view.values))
}

fn row_ptr_u32(row_ptr: &[usize]) -> Result<Vec<u32>> {
    row_ptr
        .iter()
        .map(|&k| {
            u32::try_from(k)
                .map_err(|_| Error::Solver(format!("{k} matrix entries exceed u32 indexing")))
        })
        .collect()
}

/// The dense inverse as CSR parts: every row holds every column.
fn dense_csr(n: usize) -> Result<(Vec<u32>, Vec<u32>)> {
    let row_ptr = row_ptr_u32(&(0..=n).map(|i| i * n).collect::<Vec<_>>())?;
    let col = (0..n).flat_map(|_| 0..n as u32).collect::<Vec<u32>>();
    Ok((row_ptr, col))
}

fn write_f32(ctx: &GpuContext, buffer: &wgpu::Buffer, values: &[f64]) {
    if !values.is_empty() {
        ctx.queue()
            .write_buffer(buffer, 0, bytemuck::cast_slice(&to_f32(values)));
    }
}

impl DeviceAmg {
    /// Uploads the hierarchy; the cycle reads `input` and writes `output` (finest length).
    pub fn new(
        ctx: &GpuContext,
        export: &AmgExport<'_>,
        input: &wgpu::Buffer,
        output: &wgpu::Buffer,
        scalars: &wgpu::Buffer,
    ) -> Result<DeviceAmg> {
        let mut levels = Vec::with_capacity(export.levels.len());
        for (l, level) in export.levels.iter().enumerate() {
            let n = level.a.n_rows as u64;
            let vector = |name: &str| ctx.zeroed(name, 4 * n);
            let (b, x) = if l == 0 {
                (input.clone(), output.clone())
            } else {
                (vector("amg b")?, vector("amg x")?)
            };
            let transfer = match &level.transfer {
                Some((p, r)) => Some((upload_view(ctx, p)?, upload_view(ctx, r)?)),
                None => None,
            };
            levels.push(DeviceLevel {
                n,
                a: upload_view(ctx, &level.a)?,
                inv_diag: ctx.upload("amg inverse diagonal", &to_f32(&level.inv_diag))?,
                transfer,
                b,
                x,
                r: vector("amg r")?,
                d: vector("amg d")?,
                lambda_max: level.lambda_max,
                ratio: level.ratio,
                degree: level.degree,
            });
        }
        let coarse = match (&export.coarse, export.levels.last()) {
            (CoarseExport::DenseInverse(inverse), Some(last)) => {
                let n = last.a.n_rows;
                let (row_ptr, col) = dense_csr(n)?;
                let n_cols = u32::try_from(n)
                    .map_err(|_| Error::Solver(format!("{n} coarse rows exceed u32")))?;
                DeviceCoarse::Dense(ctx.upload_csr(n_cols, &row_ptr, &col, &to_f32(inverse))?)
            }
            (CoarseExport::Sweeps(sweeps), _) => DeviceCoarse::Sweeps(*sweeps),
            (CoarseExport::DenseInverse(_), None) => DeviceCoarse::Sweeps(0),
        };
        let mut amg = DeviceAmg {
            levels,
            coarse,
            scalars: scalars.clone(),
            cycle: Vec::new(),
        };
        amg.cycle = amg.build_cycle(ctx)?;
        Ok(amg)
    }

    /// Whether `export` has the shape this hierarchy was uploaded with (levels, rows, entries,
    /// coarsest solver), so that `refresh` can rewrite values in place.
    pub fn matches(&self, export: &AmgExport<'_>) -> bool {
        let coarse_matches = match (&self.coarse, &export.coarse) {
            (DeviceCoarse::Dense(inv), CoarseExport::DenseInverse(values)) => {
                inv.nnz as usize == values.len()
            }
            (DeviceCoarse::Sweeps(a), CoarseExport::Sweeps(b)) => a == b,
            _ => false,
        };
        coarse_matches
            && self.levels.len() == export.levels.len()
            && self.levels.iter().zip(&export.levels).all(|(d, e)| {
                let transfer = match (&d.transfer, &e.transfer) {
                    (Some((p, r)), Some((ep, er))) => {
                        p.nnz as usize == ep.values.len() && r.nnz as usize == er.values.len()
                    }
                    (None, None) => true,
                    _ => false,
                };
                d.n == e.a.n_rows as u64 && d.a.nnz as usize == e.a.values.len() && transfer
            })
    }

    /// Rewrites every value for a refreshed hierarchy of the same shape (see `matches`) and
    /// rebuilds the cycle.
    pub fn refresh(&mut self, ctx: &GpuContext, export: &AmgExport<'_>) -> Result<()> {
        if !self.matches(export) {
            return Err(Error::Solver(
                "the multigrid hierarchy changed shape; upload it anew".to_string(),
            ));
        }
        for (device, level) in self.levels.iter_mut().zip(&export.levels) {
            ctx.write_csr_values(&device.a, &to_f32(level.a.values))?;
            write_f32(ctx, &device.inv_diag, &level.inv_diag);
            if let (Some((p, r)), Some((ep, er))) = (&device.transfer, &level.transfer) {
                ctx.write_csr_values(p, &to_f32(ep.values))?;
                ctx.write_csr_values(r, &to_f32(er.values))?;
            }
            device.lambda_max = level.lambda_max;
            device.ratio = level.ratio;
            device.degree = level.degree;
        }
        if let (DeviceCoarse::Dense(inv), CoarseExport::DenseInverse(values)) =
            (&self.coarse, &export.coarse)
        {
            ctx.write_csr_values(inv, &to_f32(values))?;
        }
        self.cycle = self.build_cycle(ctx)?;
        Ok(())
    }

    /// The finest level's matrix (the system matrix the hierarchy was built for).
    pub fn finest(&self) -> Option<&GpuCsr> {
        self.levels.first().map(|l| &l.a)
    }

    /// Row blocks of the finest level's A, P and R (tests check that a low binding limit split
    /// them).
    pub fn finest_blocks(&self) -> Option<[usize; 3]> {
        let level = self.levels.first()?;
        let (p, r) = level.transfer.as_ref()?;
        Some([level.a.blocks(), p.blocks(), r.blocks()])
    }

    /// The dispatches of one V-cycle, in order.
    pub fn cycle(&self) -> &[Dispatch] {
        &self.cycle
    }

    fn build_cycle(&self, ctx: &GpuContext) -> Result<Vec<Dispatch>> {
        let mut out = Vec::new();
        self.cycle_level(ctx, 0, &mut out)?;
        Ok(out)
    }

    fn cycle_level(&self, ctx: &GpuContext, l: usize, out: &mut Vec<Dispatch>) -> Result<()> {
        let Some(level) = self.levels.get(l) else {
            return Ok(());
        };
        let (Some((p, r)), Some(next)) = (&level.transfer, self.levels.get(l + 1)) else {
            match &self.coarse {
                DeviceCoarse::Dense(inverse) => {
                    out.push(ctx.csr_matvec(inverse, &level.b, &level.x, false)?)
                }
                DeviceCoarse::Sweeps(sweeps) => {
                    self.smooth(ctx, level, true, out)?;
                    for _ in 1..*sweeps {
                        self.smooth(ctx, level, false, out)?;
                    }
                }
            }
            return Ok(());
        };
        self.smooth(ctx, level, true, out)?;
        // r = b - A x
        out.push(ctx.csr_matvec(&level.a, &level.x, &level.r, false)?);
        out.push(ctx.xpay(
            level.n,
            Coef::constant(-1.0),
            &level.b,
            &level.r,
            &self.scalars,
        )?);
        out.push(ctx.csr_matvec(r, &level.r, &next.b, false)?);
        self.cycle_level(ctx, l + 1, out)?;
        out.push(ctx.csr_matvec(p, &next.x, &level.x, true)?);
        self.smooth(ctx, level, false, out)
    }

    /// Chebyshev smoothing as `Chebyshev::smooth` in amg/smoother.rs.
    fn smooth(
        &self,
        ctx: &GpuContext,
        level: &DeviceLevel,
        zero_start: bool,
        out: &mut Vec<Dispatch>,
    ) -> Result<()> {
        let lambda_min = level.lambda_max / level.ratio;
        let theta = 0.5 * (level.lambda_max + lambda_min);
        let delta = 0.5 * (level.lambda_max - lambda_min);
        let sigma = theta / delta;
        let buffers = [&level.inv_diag, &level.b, &level.x, &level.d];
        let correction = |c_prev: f64, c_new: f64, out: &mut Vec<Dispatch>| -> Result<()> {
            out.push(ctx.cheb_correction(&level.a, [c_prev as f32, c_new as f32], buffers)?);
            out.push(ctx.axpy(
                level.n,
                Coef::constant(1.0),
                &level.d,
                &level.x,
                &self.scalars,
            )?);
            Ok(())
        };
        if zero_start {
            out.push(ctx.cheb_start(level.n, (1.0 / theta) as f32, buffers)?);
        } else {
            correction(0.0, 1.0 / theta, out)?;
        }
        let mut rho = 1.0 / sigma;
        for _ in 1..level.degree {
            let rho_next = 1.0 / (2.0 * sigma - rho);
            correction(rho_next * rho, 2.0 * rho_next / delta, out)?;
            rho = rho_next;
        }
        Ok(())
    }
}
