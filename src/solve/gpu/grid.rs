//! The finest level's operator on the device as stencils (grid.wgsl) plus a short CSR rest
//! (grid_rest.wgsl), from a [`GridSplit`]: what CG's product, the residual before restriction
//! and the finest Chebyshev smoothing read instead of the CSR matrix. Each operation is one
//! dispatch over every row and one or two over the rest's rows.

use std::ops::Range;

use bytemuck::{Pod, Zeroable};

use super::grid_split::GridSplit;
use crate::error::{Error, Result};
use crate::gpu::context::{Dispatch, GpuContext};
use crate::gpu::kernels::{ChebCoefs, count_u32, need, need_coefficients};
use crate::gpu::shaders::{Kernel, LONG_ROW};

/// `GridParams` in common.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct GridUniform {
    n_rows: u32,
    panels: u32,
    stride: u32,
    coef_index: u32,
}

/// `RestParams` in common.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct RestUniform {
    rows: u32,
    rows_first: u32,
    long_first: u32,
    long_rows: u32,
    mode: u32,
    stride: u32,
    coef_index: u32,
    pad0: u32,
}

/// What the rest pass does with each listed row's sum (RestParams.mode).
#[derive(Clone, Copy)]
enum RestMode {
    Add = 0,
    Subtract = 1,
    Chebyshev = 2,
}

/// E on the device: row pointers, listed rows and long rows in one u32 array.
struct GpuRest {
    rows: u32,
    long_rows: u32,
    index: wgpu::Buffer,
    col: wgpu::Buffer,
    val: wgpu::Buffer,
}

/// One lane's place in the stacked operator (see `LaneSplit`).
#[derive(Clone, Debug)]
struct GridLane {
    stencils: Vec<usize>,
    rows: Range<usize>,
    rest_entries: Range<usize>,
    pattern: u64,
}

/// The grid form of a (stacked) finest operator on the device.
pub struct GpuGrid {
    pub n_rows: u32,
    stride: u32,
    panel_count: u32,
    panels: wgpu::Buffer,
    /// D, one value per row; a Newton step rewrites it (`write_diagonal`).
    diag: wgpu::Buffer,
    rest: Option<GpuRest>,
    /// Bound where a pass reads no inverse diagonal or coefficients.
    unused: wgpu::Buffer,
    lanes: Vec<GridLane>,
}

impl GpuGrid {
    /// Entries of the rest E.
    pub fn rest_entries(&self) -> usize {
        self.lanes.iter().map(|l| l.rest_entries.len()).sum()
    }

    /// The stencils and rest pattern lane `lane` was uploaded with (see `lane_values`).
    pub fn lane_pattern(&self, lane: usize) -> Option<(&[usize], u64)> {
        self.lanes
            .get(lane)
            .map(|l| (l.stencils.as_slice(), l.pattern))
    }
}

impl GpuContext {
    /// Uploads `split`; an error when its rest exceeds one storage binding (the caller keeps the
    /// CSR matrix then).
    pub fn upload_grid(&self, split: &GridSplit) -> Result<GpuGrid> {
        let n_rows = count_u32("grid rows", split.n_rows as u64)?;
        let rest = &split.rest;
        let listed = rest.rows.len();
        let rest = if listed == 0 {
            None
        } else {
            let long: Vec<u32> = (0..listed)
                .filter(|&q| rest.row_ptr[q + 1] - rest.row_ptr[q] > LONG_ROW)
                .map(|q| q as u32)
                .collect();
            let mut index: Vec<u32> = Vec::with_capacity(2 * listed + 1 + long.len());
            index.extend(&rest.row_ptr);
            index.extend(&rest.rows);
            index.extend(&long);
            Some(GpuRest {
                rows: count_u32("grid rest rows", listed as u64)?,
                long_rows: long.len() as u32,
                index: self.upload("grid rest index", &index)?,
                col: self.upload("grid rest col", &rest.col)?,
                val: self.upload("grid rest val", &rest.val)?,
            })
        };
        Ok(GpuGrid {
            n_rows,
            stride: count_u32("grid stride", split.stride.max(1) as u64)?,
            panel_count: count_u32("grid panels", split.panels.len() as u64)?,
            panels: self.upload("grid panels", &split.panels)?,
            diag: self.upload("grid diagonal", &split.diag)?,
            rest,
            unused: self.zeroed("grid unused", 16)?,
            lanes: split
                .lanes
                .iter()
                .enumerate()
                .map(|(p, l)| GridLane {
                    stencils: l.stencils.clone(),
                    rows: p * split.stride..(p + 1) * split.stride,
                    rest_entries: l.rest_entries.clone(),
                    pattern: l.pattern,
                })
                .collect(),
        })
    }

    /// Overwrites lane `lane`'s diagonal (one value per row of the lane, from its first row).
    pub fn write_grid_diagonal(&self, grid: &GpuGrid, lane: usize, diag: &[f32]) -> Result<()> {
        let place = grid
            .lanes
            .get(lane)
            .ok_or_else(|| Error::Solver("no such lane in the grid operator".to_string()))?;
        if diag.len() > place.rows.len() {
            return Err(Error::Solver(format!(
                "grid operator: {} diagonal values for a lane of {} rows",
                diag.len(),
                place.rows.len()
            )));
        }
        self.queue().write_buffer(
            &grid.diag,
            4 * place.rows.start as u64,
            bytemuck::cast_slice(diag),
        );
        Ok(())
    }

    /// Overwrites lane `lane`'s diagonal and rest values (`GridSplit::lane_values`).
    pub fn write_grid_values(
        &self,
        grid: &GpuGrid,
        lane: usize,
        diag: &[f32],
        rest: &[f32],
    ) -> Result<()> {
        self.write_grid_diagonal(grid, lane, diag)?;
        let place = &grid.lanes[lane];
        if rest.len() != place.rest_entries.len() {
            return Err(Error::Solver(format!(
                "grid operator: {} rest values for {} entries",
                rest.len(),
                place.rest_entries.len()
            )));
        }
        if let Some(r) = &grid.rest
            && !rest.is_empty()
        {
            self.queue().write_buffer(
                &r.val,
                4 * place.rest_entries.start as u64,
                bytemuck::cast_slice(rest),
            );
        }
        Ok(())
    }

    /// y = A x.
    pub fn grid_matvec(
        &self,
        grid: &GpuGrid,
        x: &wgpu::Buffer,
        y: &wgpu::Buffer,
    ) -> Result<Dispatch> {
        self.need_rows("grid_matvec", grid, &[("x", x), ("y", y)])?;
        let params = self.grid_uniform(grid, 0)?;
        let main = self.dispatch(
            Kernel::GridMatvec,
            &[
                (0, &params),
                (1, &grid.panels),
                (2, &grid.diag),
                (3, x),
                (4, y),
            ],
            self.groups_per_item(u64::from(grid.n_rows))?,
        )?;
        self.then_rest(
            grid,
            main,
            RestMode::Add,
            x,
            y,
            (&grid.unused, &grid.unused),
            0,
        )
    }

    /// r = b - A x.
    pub fn grid_residual(
        &self,
        grid: &GpuGrid,
        b: &wgpu::Buffer,
        x: &wgpu::Buffer,
        r: &wgpu::Buffer,
    ) -> Result<Dispatch> {
        self.need_rows("grid_residual", grid, &[("b", b), ("x", x), ("r", r)])?;
        let params = self.grid_uniform(grid, 0)?;
        let main = self.dispatch(
            Kernel::GridResidual,
            &[
                (0, &params),
                (1, &grid.panels),
                (2, &grid.diag),
                (3, x),
                (4, r),
                (5, b),
            ],
            self.groups_per_item(u64::from(grid.n_rows))?,
        )?;
        self.then_rest(
            grid,
            main,
            RestMode::Subtract,
            x,
            r,
            (&grid.unused, &grid.unused),
            0,
        )
    }

    /// One Chebyshev correction d = c_prev d + c_new inv_diag (b - A x), each lane with its own
    /// coefficients (as `cheb_correction` for a CSR matrix); follow it with x += d.
    pub fn grid_cheb_correction(
        &self,
        grid: &GpuGrid,
        coefs: ChebCoefs<'_>,
        [inv_diag, b, x, d]: [&wgpu::Buffer; 4],
    ) -> Result<Dispatch> {
        self.need_rows(
            "grid_cheb_correction",
            grid,
            &[("inv_diag", inv_diag), ("b", b), ("x", x), ("d", d)],
        )?;
        if coefs.stride != u64::from(grid.stride) {
            return Err(Error::Solver(format!(
                "grid_cheb_correction: coefficients for lanes of {} rows, the operator's are {}",
                coefs.stride, grid.stride
            )));
        }
        need_coefficients("grid_cheb_correction", coefs, u64::from(grid.n_rows))?;
        let params = self.grid_uniform(grid, coefs.first)?;
        let main = self.dispatch(
            Kernel::GridChebCorrection,
            &[
                (0, &params),
                (1, &grid.panels),
                (2, &grid.diag),
                (3, x),
                (4, d),
                (5, b),
                (6, inv_diag),
                (7, coefs.buffer),
            ],
            self.groups_per_item(u64::from(grid.n_rows))?,
        )?;
        self.then_rest(
            grid,
            main,
            RestMode::Chebyshev,
            x,
            d,
            (inv_diag, coefs.buffer),
            coefs.first,
        )
    }

    fn need_rows(
        &self,
        what: &str,
        grid: &GpuGrid,
        buffers: &[(&str, &wgpu::Buffer)],
    ) -> Result<()> {
        for (name, buffer) in buffers {
            need(&format!("{what}: {name}"), buffer, u64::from(grid.n_rows))?;
        }
        Ok(())
    }

    fn grid_uniform(&self, grid: &GpuGrid, coef_index: u32) -> Result<wgpu::Buffer> {
        self.uniform(
            "grid",
            &GridUniform {
                n_rows: grid.n_rows,
                panels: grid.panel_count,
                stride: grid.stride,
                coef_index,
            },
        )
    }

    /// `main` followed by the rest pass in `mode` (nothing when E is empty).
    #[allow(clippy::too_many_arguments)]
    fn then_rest(
        &self,
        grid: &GpuGrid,
        main: Dispatch,
        mode: RestMode,
        x: &wgpu::Buffer,
        y: &wgpu::Buffer,
        (inv_diag, coefs): (&wgpu::Buffer, &wgpu::Buffer),
        coef_index: u32,
    ) -> Result<Dispatch> {
        let Some(rest) = &grid.rest else {
            return Ok(main);
        };
        let params = self.uniform(
            "grid rest",
            &RestUniform {
                rows: rest.rows,
                rows_first: rest.rows + 1,
                long_first: 2 * rest.rows + 1,
                long_rows: rest.long_rows,
                mode: mode as u32,
                stride: grid.stride,
                coef_index,
                pad0: 0,
            },
        )?;
        let bindings = [
            (0, &params),
            (1, &rest.index),
            (2, &rest.col),
            (3, &rest.val),
            (4, x),
            (5, y),
            (6, inv_diag),
            (7, coefs),
        ];
        let mut out = main.followed_by(self.dispatch(
            Kernel::GridRest,
            &bindings,
            self.groups_per_item(u64::from(rest.rows))?,
        )?);
        if rest.long_rows > 0 {
            out = out.followed_by(self.dispatch(
                Kernel::GridRestLong,
                &bindings,
                self.groups_for(u64::from(rest.long_rows), 1)?,
            )?);
        }
        Ok(out)
    }
}
