//! The lanes' hierarchies stacked and uploaded once: on every level each lane's matrix, transfer
//! operators and inverse diagonal placed block-diagonally at `lane * stride` (the finest matrix
//! in grid form when it pays), the coarsest inverses likewise, and every smoothing step's
//! coefficients per lane.

use std::borrow::Cow;

use super::super::csr::GpuCsr;
use super::super::grid_split::GridSplit;
use super::{
    DeviceAmg, DeviceCoarse, DeviceLevel, LaneLayout, LaneLevel, LevelMatrix, StackShape,
    smoothing_coefficients,
};
use crate::error::{Error, Result};
use crate::gpu::context::GpuContext;
use crate::solve::linalg::amg::{AmgExport, CoarseExport, CsrView, LevelExport};

/// Rows per lane of every level of the stacked `exports` (the most any lane has).
pub(super) fn strides(exports: &[&AmgExport<'_>]) -> Vec<usize> {
    let depth = exports.iter().map(|e| e.levels.len()).max().unwrap_or(0);
    (0..depth)
        .map(|l| {
            exports
                .iter()
                .filter_map(|e| e.levels.get(l))
                .map(|level| level.a.n_rows)
                .max()
                .unwrap_or(0)
        })
        .collect()
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
    let stacked = stack_csr(&[*view], view.n_rows, 0)?;
    ctx.upload_csr(
        u32_index(view.n_cols, "columns")?,
        &stacked.row_ptr,
        &stacked.col,
        &stacked.val,
    )
}

fn u32_index(n: usize, what: &str) -> Result<u32> {
    u32::try_from(n).map_err(|_| Error::Solver(format!("{n} {what} exceed u32 indexing")))
}

/// CSR arrays of several lanes' matrices placed block-diagonally.
struct StackedCsr<'a> {
    row_ptr: Vec<u32>,
    col: Cow<'a, [u32]>,
    val: Vec<f32>,
    /// Each lane's first entry and number of entries.
    entries: Vec<(usize, usize)>,
}

/// Lane `p`'s matrix `views[p]` with its rows from `p * row_stride` and its columns from
/// `p * col_stride`; rows past a lane's own are empty. One lane borrows its column indices.
fn stack_csr<'a>(
    views: &[CsrView<'a>],
    row_stride: usize,
    col_stride: usize,
) -> Result<StackedCsr<'a>> {
    let nnz: usize = views.iter().map(|v| v.values.len()).sum();
    u32_index(nnz, "matrix entries")?;
    u32_index(views.len() * row_stride.max(col_stride), "stacked rows")?;
    let mut row_ptr = Vec::with_capacity(views.len() * row_stride + 1);
    row_ptr.push(0u32);
    let mut entries = Vec::with_capacity(views.len());
    let mut first = 0usize;
    for view in views {
        row_ptr.extend(view.row_ptr[1..].iter().map(|&k| (first + k) as u32));
        row_ptr.extend(std::iter::repeat_n(
            (first + view.values.len()) as u32,
            row_stride - view.n_rows,
        ));
        entries.push((first, view.values.len()));
        first += view.values.len();
    }
    let col = match views {
        [one] => Cow::Borrowed(one.col_idx),
        _ => Cow::Owned(
            views
                .iter()
                .enumerate()
                .flat_map(|(p, v)| {
                    let offset = (p * col_stride) as u32;
                    v.col_idx.iter().map(move |&c| c + offset)
                })
                .collect(),
        ),
    };
    let val = match views {
        [one] => to_f32(one.values),
        _ => views.iter().flat_map(|v| to_f32(v.values)).collect(),
    };
    Ok(StackedCsr {
        row_ptr,
        col,
        val,
        entries,
    })
}

/// The lanes' dense coarsest inverses (row-major, `n_p x n_p`) as one block-diagonal CSR matrix
/// of `stride` rows per lane.
fn stack_dense(inverses: &[&[f64]], stride: usize) -> Result<StackedCsr<'static>> {
    let mut row_ptr = vec![0u32];
    let mut col = Vec::new();
    let mut val = Vec::new();
    let mut entries = Vec::new();
    for (p, inverse) in inverses.iter().enumerate() {
        let n = inverse.len().isqrt();
        entries.push((col.len(), inverse.len()));
        for i in 0..stride {
            if i < n {
                col.extend((0..n).map(|j| (p * stride + j) as u32));
                val.extend(inverse[i * n..(i + 1) * n].iter().map(|&v| v as f32));
            }
            row_ptr.push(u32_index(col.len(), "coarse inverse entries")?);
        }
    }
    Ok(StackedCsr {
        row_ptr,
        col: Cow::Owned(col),
        val,
        entries,
    })
}

/// Each lane's first entry and number of entries in a stacked matrix of lanes with `counts`
/// entries.
fn lane_entries(counts: impl Iterator<Item = usize>) -> Vec<(usize, usize)> {
    let mut first = 0;
    counts
        .map(|count| {
            first += count;
            (first - count, count)
        })
        .collect()
}

/// The grid form of the stacked finest matrices of `exports` (grid_split.rs), when every lane's
/// matrix names its panels, the split pays (`GridSplit::of`) and each of its arrays fits one
/// storage binding of `binding_limit` bytes; `None` keeps the CSR matrix.
pub fn finest_grid(exports: &[&AmgExport<'_>], binding_limit: u64) -> Option<GridSplit> {
    let finest: Vec<&LevelExport<'_>> = exports
        .iter()
        .map(|e| e.levels.first())
        .collect::<Option<_>>()?;
    if finest.iter().any(|v| v.grids.is_empty()) {
        return None;
    }
    let stride = strides(exports).first().copied()?;
    let lanes: Vec<(CsrView<'_>, &[_])> = finest.iter().map(|v| (v.a, v.grids)).collect();
    let split = GridSplit::of(&lanes, stride)?;
    let rest = &split.rest;
    let largest = [
        4 * split.diag.len(),
        4 * (rest.row_ptr.len() + 2 * rest.rows.len()),
        4 * rest.col.len(),
        32 * split.panels.len(),
    ]
    .into_iter()
    .max()
    .unwrap_or(0);
    (largest as u64 <= binding_limit).then_some(split)
}

fn upload_stacked(ctx: &GpuContext, n_cols: usize, m: &StackedCsr<'_>) -> Result<GpuCsr> {
    ctx.upload_csr(u32_index(n_cols, "columns")?, &m.row_ptr, &m.col, &m.val)
}

/// `values` in f32 written into `buffer` from item `first`.
pub(super) fn write_f32_at(ctx: &GpuContext, buffer: &wgpu::Buffer, first: u64, values: &[f64]) {
    if !values.is_empty() {
        ctx.queue()
            .write_buffer(buffer, 4 * first, bytemuck::cast_slice(&to_f32(values)));
    }
}

impl DeviceAmg {
    /// Uploads the hierarchies of `exports`, one lane each (they must share a [`StackShape`]);
    /// the cycle reads `input` and writes `output` (the stacked finest vectors).
    pub fn new(
        ctx: &GpuContext,
        exports: &[&AmgExport<'_>],
        input: &wgpu::Buffer,
        output: &wgpu::Buffer,
        scalars: &wgpu::Buffer,
    ) -> Result<DeviceAmg> {
        let grid = finest_grid(exports, ctx.binding_limit());
        DeviceAmg::with_finest(ctx, exports, grid.as_ref(), [input, output, scalars])
    }

    /// [`DeviceAmg::new`] with the finest level in the grid form `finest_grid` (from
    /// [`finest_grid`]) or, with `None`, as a CSR matrix.
    pub fn with_finest(
        ctx: &GpuContext,
        exports: &[&AmgExport<'_>],
        finest_grid: Option<&GridSplit>,
        [input, output, scalars]: [&wgpu::Buffer; 3],
    ) -> Result<DeviceAmg> {
        let Some(first) = exports.first() else {
            return Err(Error::Solver("no hierarchy to upload".to_string()));
        };
        let shape = StackShape::of(first);
        if exports.iter().any(|e| StackShape::of(e) != shape) {
            return Err(Error::Solver(
                "hierarchies of different shapes cannot share one stack".to_string(),
            ));
        }
        let lanes = exports.len();
        let strides = strides(exports);
        let mut layouts: Vec<LaneLayout> = exports
            .iter()
            .map(|e| LaneLayout {
                pattern: e.pattern,
                levels: Vec::new(),
                coarse: None,
            })
            .collect();
        let mut levels = Vec::with_capacity(strides.len());
        let mut coef_count = 0usize;
        for (l, &stride) in strides.iter().enumerate() {
            let n = (lanes * stride) as u64;
            let vector = |name: &str| ctx.zeroed(name, 4 * n);
            let (b, x) = if l == 0 {
                (input.clone(), output.clone())
            } else {
                (vector("amg b")?, vector("amg x")?)
            };
            let views: Vec<&_> = exports.iter().map(|e| &e.levels[l]).collect();
            let a = upload_matrix(ctx, &views, stride, finest_grid.filter(|_| l == 0))?;
            let a_entries = lane_entries(views.iter().map(|v| v.a.values.len()));
            let transfer = match strides.get(l + 1) {
                Some(&next) => {
                    let (p, r) = stack_transfer(&views, stride, next)?;
                    Some((p, r, next))
                }
                None => None,
            };
            for (lane, layout) in layouts.iter_mut().enumerate() {
                layout.levels.push(LaneLevel {
                    rows: views[lane].a.n_rows,
                    a: a_entries[lane],
                    transfer: transfer
                        .as_ref()
                        .map(|(p, r, _)| (p.entries[lane], r.entries[lane])),
                });
            }
            let mut inv_diag = Vec::with_capacity(lanes * stride);
            for (lane, v) in views.iter().enumerate() {
                inv_diag.extend(to_f32(&v.inv_diag));
                inv_diag.resize((lane + 1) * stride, 0.0);
            }
            // A degree-0 smoother still takes one step, as `Chebyshev::smooth` does.
            let degree = views[0].degree.max(1);
            levels.push(DeviceLevel {
                stride: stride as u64,
                n,
                a,
                inv_diag: ctx.upload("amg inverse diagonal", &inv_diag)?,
                transfer: match &transfer {
                    Some((p, r, next)) => Some((
                        upload_stacked(ctx, lanes * next, p)?,
                        upload_stacked(ctx, lanes * stride, r)?,
                    )),
                    None => None,
                },
                b,
                x,
                r: vector("amg r")?,
                d: vector("amg d")?,
                degree,
                first_coef: u32_index(coef_count, "smoothing coefficients")?,
            });
            coef_count += degree * lanes;
        }
        let coarse = upload_coarse(ctx, first, exports, strides.last(), &mut layouts)?;
        let pairs = coefficient_pairs(exports, &levels, coef_count);
        let mut amg = DeviceAmg {
            lanes: layouts,
            levels,
            coarse,
            scalars: scalars.clone(),
            coefs: ctx.cheb_coefficients(&pairs)?,
            cycle: Vec::new(),
        };
        amg.cycle = amg.build_cycle(ctx)?;
        Ok(amg)
    }
}

/// A level's stacked matrix uploaded: in the grid form `grid` when given (the finest level),
/// otherwise block-diagonal CSR of `stride` rows per lane.
fn upload_matrix(
    ctx: &GpuContext,
    views: &[&LevelExport<'_>],
    stride: usize,
    grid: Option<&GridSplit>,
) -> Result<LevelMatrix> {
    let lanes = views.len();
    Ok(match grid {
        Some(split) => LevelMatrix::Grid(ctx.upload_grid(split)?),
        None => LevelMatrix::Csr(upload_stacked(
            ctx,
            lanes * stride,
            &stack_csr(
                &views.iter().map(|v| v.a).collect::<Vec<_>>(),
                stride,
                stride,
            )?,
        )?),
    })
}

/// The lanes' `P` (`stride` rows per lane, `next` columns) and `R` (the other way) from a level
/// to the next coarser one, stacked.
fn stack_transfer<'a>(
    views: &[&LevelExport<'a>],
    stride: usize,
    next: usize,
) -> Result<(StackedCsr<'a>, StackedCsr<'a>)> {
    let pr: Vec<(CsrView<'_>, CsrView<'_>)> = views
        .iter()
        .map(|v| {
            v.transfer
                .ok_or_else(|| Error::Solver("a level without transfer operators".to_string()))
        })
        .collect::<Result<_>>()?;
    let p = stack_csr(&pr.iter().map(|t| t.0).collect::<Vec<_>>(), stride, next)?;
    let r = stack_csr(&pr.iter().map(|t| t.1).collect::<Vec<_>>(), next, stride)?;
    Ok((p, r))
}

/// The coarsest level's solver as `first` (whose shape every lane shares) says: the lanes' dense
/// inverses stacked at `coarsest` rows per lane and uploaded (each lane's entries noted in
/// `layouts`), or smoothing sweeps.
fn upload_coarse(
    ctx: &GpuContext,
    first: &AmgExport<'_>,
    exports: &[&AmgExport<'_>],
    coarsest: Option<&usize>,
    layouts: &mut [LaneLayout],
) -> Result<DeviceCoarse> {
    let lanes = exports.len();
    Ok(match (&first.coarse, coarsest) {
        (CoarseExport::DenseInverse(_), Some(&stride)) => {
            let inverses: Vec<&[f64]> = exports
                .iter()
                .map(|e| match &e.coarse {
                    CoarseExport::DenseInverse(v) => v.as_slice(),
                    CoarseExport::Sweeps(_) => &[],
                })
                .collect();
            let dense = stack_dense(&inverses, stride)?;
            for (layout, &entries) in layouts.iter_mut().zip(&dense.entries) {
                layout.coarse = Some(entries);
            }
            DeviceCoarse::Dense(upload_stacked(ctx, lanes * stride, &dense)?)
        }
        (CoarseExport::Sweeps(sweeps), _) => DeviceCoarse::Sweeps(*sweeps),
        (CoarseExport::DenseInverse(_), None) => DeviceCoarse::Sweeps(0),
    })
}

/// Every smoothing step's `(c_prev, c_new)` for every lane, `coef_count` pairs placed as
/// `DeviceLevel::first_coef` says.
fn coefficient_pairs(
    exports: &[&AmgExport<'_>],
    levels: &[DeviceLevel],
    coef_count: usize,
) -> Vec<[f32; 2]> {
    let lanes = exports.len();
    let mut pairs = vec![[0f32; 2]; coef_count];
    for (lane, export) in exports.iter().enumerate() {
        for (level, device) in export.levels.iter().zip(levels) {
            let steps = smoothing_coefficients(level.lambda_max, level.ratio, level.degree);
            for (s, pair) in steps.into_iter().enumerate() {
                pairs[device.first_coef as usize + s * lanes + lane] = pair;
            }
        }
    }
    pairs
}
