//! A lane's hierarchy rewritten in place after a refresh of its `Amg` (same patterns, new
//! values and smoothing coefficients), and the finest operator that CG multiplies by, written
//! whole or, between refreshes, only its diagonal.

use super::super::grid_split::lane_values;
use super::upload::{to_f32, write_f32_at};
use super::{
    DeviceAmg, DeviceCoarse, DeviceLevel, Finest, LaneLayout, LaneLevel, LevelMatrix,
    smoothing_coefficients,
};
use crate::error::{Error, Result};
use crate::gpu::context::GpuContext;
use crate::solve::linalg::amg::{AmgExport, CoarseExport, CsrView};
use crate::solve::linalg::sparse::CsrMatrix;

impl DeviceAmg {
    /// The layout `export` would have in lane `lane` (the first entries of that lane).
    fn layout_of(&self, lane: usize, export: &AmgExport<'_>) -> LaneLayout {
        let here = &self.lanes[lane];
        LaneLayout {
            pattern: export.pattern,
            levels: export
                .levels
                .iter()
                .zip(&here.levels)
                .map(|(e, h)| LaneLevel {
                    rows: e.a.n_rows,
                    a: (h.a.0, e.a.values.len()),
                    transfer: match (&e.transfer, h.transfer) {
                        (Some((p, r)), Some((hp, hr))) => {
                            Some(((hp.0, p.values.len()), (hr.0, r.values.len())))
                        }
                        _ => None,
                    },
                })
                .collect(),
            coarse: match (&export.coarse, here.coarse) {
                (CoarseExport::DenseInverse(v), Some(c)) => Some((c.0, v.len())),
                _ => None,
            },
        }
    }

    /// Whether lane `lane` holds a hierarchy with `export`'s patterns (the same `Amg`, maybe
    /// refreshed since), so that [`DeviceAmg::refresh_lane`] can rewrite its values in place
    /// (with `finest`, which may keep the finest matrix that the lane holds).
    pub fn lane_matches(&self, lane: usize, export: &AmgExport<'_>, finest: Finest) -> bool {
        let Some(here) = self.lanes.get(lane) else {
            return false;
        };
        let coarse_matches = match (&self.coarse, &export.coarse) {
            (DeviceCoarse::Dense(_), CoarseExport::DenseInverse(_)) => true,
            (DeviceCoarse::Sweeps(a), CoarseExport::Sweeps(b)) => a == b,
            _ => false,
        };
        here.pattern == export.pattern
            && coarse_matches
            && export.levels.len() == here.levels.len()
            && here.same_sizes(&self.layout_of(lane, export))
            && (finest == Finest::KeepOffDiagonal || self.finest_values(lane, export).is_some())
    }

    /// Lane `lane`'s finest diagonal and rest values from `export` when the finest level is in
    /// grid form (`Some(None)` for a CSR level); `None` when they no longer fit its pattern.
    #[allow(clippy::type_complexity)]
    fn finest_values(
        &self,
        lane: usize,
        export: &AmgExport<'_>,
    ) -> Option<Option<(Vec<f32>, Vec<f32>)>> {
        let (level, finest) = (self.levels.first()?, export.levels.first()?);
        match &level.a {
            LevelMatrix::Csr(_) => Some(None),
            LevelMatrix::Grid(grid) => {
                let (stencils, pattern) = grid.lane_pattern(lane)?;
                let stride = level.stride as usize;
                lane_values(&finest.a, finest.grids, stencils, pattern, stride).map(Some)
            }
        }
    }

    /// Rewrites lane `lane`'s values and smoothing coefficients for a refreshed hierarchy with
    /// the same patterns (see `lane_matches`). The cycle's dispatches stay as they are. With
    /// `Finest::KeepOffDiagonal` the finest matrix and its inverse diagonal are left as they are:
    /// the caller writes the new diagonal (`write_finest_diagonal`).
    pub fn refresh_lane(
        &mut self,
        ctx: &GpuContext,
        lane: usize,
        export: &AmgExport<'_>,
        finest: Finest,
    ) -> Result<()> {
        if !self.lane_matches(lane, export, Finest::KeepOffDiagonal) {
            return Err(Error::Solver(
                "the multigrid hierarchy changed shape; upload it anew".to_string(),
            ));
        }
        let lanes = self.lanes.len();
        let grid_values = match finest {
            Finest::Rewrite => self.finest_values(lane, export).flatten(),
            Finest::KeepOffDiagonal => None,
        };
        let layout = &self.lanes[lane];
        for (l, ((device, level), place)) in self
            .levels
            .iter()
            .zip(&export.levels)
            .zip(&layout.levels)
            .enumerate()
        {
            let kept = l == 0 && finest == Finest::KeepOffDiagonal;
            match (&device.a, &grid_values) {
                _ if kept => {}
                (LevelMatrix::Csr(a), _) => {
                    ctx.write_csr_values_at(a, place.a.0, &to_f32(level.a.values))?
                }
                (LevelMatrix::Grid(grid), Some((diag, rest))) => {
                    ctx.write_grid_values(grid, lane, diag, rest)?
                }
                (LevelMatrix::Grid(_), None) => {
                    return Err(Error::Solver(
                        "the finest matrix no longer fits its grid form; upload it anew".into(),
                    ));
                }
            }
            if !kept {
                write_f32_at(
                    ctx,
                    &device.inv_diag,
                    lane as u64 * device.stride,
                    &level.inv_diag,
                );
            }
            if let (Some((p, r)), Some((ep, er)), Some((at_p, at_r))) =
                (&device.transfer, &level.transfer, place.transfer)
            {
                ctx.write_csr_values_at(p, at_p.0, &to_f32(ep.values))?;
                ctx.write_csr_values_at(r, at_r.0, &to_f32(er.values))?;
            }
            let steps = smoothing_coefficients(level.lambda_max, level.ratio, level.degree);
            for (s, pair) in steps.iter().enumerate() {
                let index = device.first_coef as usize + s * lanes + lane;
                ctx.queue()
                    .write_buffer(&self.coefs, 8 * index as u64, bytemuck::cast_slice(pair));
            }
        }
        if let (DeviceCoarse::Dense(inv), CoarseExport::DenseInverse(values), Some(at)) =
            (&self.coarse, &export.coarse, layout.coarse)
        {
            ctx.write_csr_values_at(inv, at.0, &to_f32(values))?;
        }
        Ok(())
    }

    /// The finest level and lane `lane`'s place in it.
    fn finest_of(&self, lane: usize) -> Result<(&DeviceLevel, &LaneLevel)> {
        match (
            self.levels.first(),
            self.lanes.get(lane).and_then(|l| l.levels.first()),
        ) {
            (Some(level), Some(place)) => Ok((level, place)),
            _ => Err(Error::Solver("no such lane on the device".to_string())),
        }
    }

    /// Overwrites lane `lane`'s finest matrix with `matrix` (same pattern): the CG operator.
    pub fn write_finest(&self, ctx: &GpuContext, lane: usize, matrix: &CsrMatrix) -> Result<()> {
        let (level, place) = self.finest_of(lane)?;
        if matrix.nnz() != place.a.1 || matrix.n != place.rows {
            return Err(Error::Solver(format!(
                "the GPU hierarchy has {} rows and {} entries on its finest level, the Newton \
                 matrix {} and {}",
                place.rows,
                place.a.1,
                matrix.n,
                matrix.nnz()
            )));
        }
        match &level.a {
            LevelMatrix::Csr(a) => ctx.write_csr_values_at(a, place.a.0, &to_f32(&matrix.values)),
            LevelMatrix::Grid(grid) => {
                let view = CsrView::of(matrix);
                let stride = level.stride as usize;
                let values = grid.lane_pattern(lane).and_then(|(stencils, pattern)| {
                    lane_values(&view, &matrix.grids, stencils, pattern, stride)
                });
                let Some((diag, rest)) = values else {
                    return Err(Error::Solver(
                        "the Newton matrix does not fit the grid form of the GPU hierarchy"
                            .to_string(),
                    ));
                };
                ctx.write_grid_values(grid, lane, &diag, &rest)
            }
        }
    }

    /// Overwrites the diagonal of lane `lane`'s finest matrix with `diagonal`, one value per
    /// row, leaving its other entries, and its smoother's inverse diagonal with `inv_diagonal`:
    /// what a Newton step changes between refreshes.
    pub fn write_finest_diagonal(
        &self,
        ctx: &GpuContext,
        lane: usize,
        diagonal: &[f32],
        inv_diagonal: &[f32],
    ) -> Result<()> {
        let (level, place) = self.finest_of(lane)?;
        if diagonal.len() != place.rows || inv_diagonal.len() != place.rows {
            return Err(Error::Solver(format!(
                "the GPU hierarchy has {} rows on its finest level, the diagonal {} and its \
                 inverse {}",
                place.rows,
                diagonal.len(),
                inv_diagonal.len()
            )));
        }
        let first = lane * level.stride as usize;
        ctx.queue().write_buffer(
            &level.inv_diag,
            4 * first as u64,
            bytemuck::cast_slice(inv_diagonal),
        );
        match &level.a {
            LevelMatrix::Csr(a) => {
                // The level's residual vector is scratch between cycles: it carries the new
                // diagonal.
                ctx.queue().write_buffer(
                    &level.r,
                    4 * first as u64,
                    bytemuck::cast_slice(diagonal),
                );
                let set = ctx.set_csr_diagonal(a, first..first + place.rows, &level.r)?;
                ctx.submit(&[&set]);
                Ok(())
            }
            LevelMatrix::Grid(grid) => ctx.write_grid_diagonal(grid, lane, diagonal),
        }
    }
}
