//! One V-cycle of the host's smoothed-aggregation hierarchy on the device, in f32: the same
//! cycle as `cycle` in src/solve/cpu/amg.rs (Chebyshev smoothing on `D^-1 A` before and after the
//! coarse correction, `R = P^T` down, `P` up), from [`Amg::export`]. The coarsest level is the
//! dense inverse of its matrix applied as a CSR product (what the CPU's dense Cholesky solve
//! computes), or smoothing sweeps where the CPU uses them.
//!
//! One `DeviceAmg` holds the hierarchies of one or more systems stacked in lanes (the points of
//! a batched sweep; a lone solve is one lane): on every level lane `p` owns rows
//! `p * stride .. p * stride + rows_p`, each matrix is the block-diagonal of the lanes' matrices
//! and each smoothing step reads its lane's own coefficients, so one dispatch serves every lane
//! and a lane's arithmetic is exactly what it would be alone. Lanes stack when their hierarchies
//! have the same finest size, depth, smoothing degrees and coarsest solver ([`StackShape`]).
//!
//! Buffers and patterns are uploaded once; [`DeviceAmg::refresh_lane`] rewrites one lane's values
//! and smoothing coefficients after an `Amg::refresh` of its hierarchy. Between refreshes the
//! solver writes only the finest level's values.
//!
//! [`Amg::export`]: crate::solve::linalg::amg::Amg::export

use std::borrow::Cow;

use super::csr::GpuCsr;
use super::grid::GpuGrid;
use super::grid_split::{GridSplit, lane_values};
use crate::error::{Error, Result};
use crate::gpu::context::{Dispatch, GpuContext};
use crate::gpu::kernels::{ChebCoefs, Coef};
use crate::solve::linalg::amg::{AmgExport, CoarseExport, CsrView, LevelExport};
use crate::solve::linalg::sparse::CsrMatrix;

struct DeviceLevel {
    /// Rows per lane (the most any lane has on this level); the stacked vectors hold
    /// `n = lanes * stride`.
    stride: u64,
    n: u64,
    a: LevelMatrix,
    inv_diag: wgpu::Buffer,
    /// `(P, R)` to the next coarser level.
    transfer: Option<(GpuCsr, GpuCsr)>,
    /// Right-hand side, iterate, residual and smoother correction of this level.
    b: wgpu::Buffer,
    x: wgpu::Buffer,
    r: wgpu::Buffer,
    d: wgpu::Buffer,
    degree: usize,
    /// Index of this level's first coefficient pair: step `s` of lane `p` is pair
    /// `first_coef + s * lanes + p`.
    first_coef: u32,
}

/// A level's matrix on the device: CSR, or on the finest level, when the matrix names its
/// panels and they are stencils, the grid form (grid.rs), which moves a third of the bytes.
enum LevelMatrix {
    Csr(GpuCsr),
    Grid(GpuGrid),
}

enum DeviceCoarse {
    /// The inverse of the coarsest matrix as a dense CSR matrix.
    Dense(GpuCsr),
    Sweeps(usize),
}

/// What a lane's refresh does with the finest level's matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Finest {
    /// Rewrite every value (and, in grid form, check that they fit its pattern).
    Rewrite,
    /// The lane holds this matrix's off-diagonal entries already: leave the level, the caller
    /// writes the new diagonal.
    KeepOffDiagonal,
}

/// What lanes must share to be stacked.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StackShape {
    finest_rows: usize,
    degrees: Vec<usize>,
    /// `None`: a dense coarsest inverse; `Some(s)`: `s` smoothing sweeps.
    coarse_sweeps: Option<usize>,
}

impl StackShape {
    pub fn of(export: &AmgExport<'_>) -> StackShape {
        StackShape {
            finest_rows: export.levels.first().map_or(0, |l| l.a.n_rows),
            degrees: export.levels.iter().map(|l| l.degree).collect(),
            coarse_sweeps: match export.coarse {
                CoarseExport::DenseInverse(_) => None,
                CoarseExport::Sweeps(s) => Some(s),
            },
        }
    }
}

/// One lane's part of one level: its rows, and the first entry and number of entries it owns in
/// the stacked A, P and R.
#[derive(Clone, Debug, PartialEq, Eq)]
struct LaneLevel {
    rows: usize,
    a: (usize, usize),
    transfer: Option<((usize, usize), (usize, usize))>,
}

/// Where one lane's hierarchy lies in the stacked buffers.
#[derive(Clone, Debug, PartialEq, Eq)]
struct LaneLayout {
    /// `AmgExport::pattern` of the hierarchy uploaded: refreshes keep its patterns.
    pattern: u64,
    levels: Vec<LaneLevel>,
    /// First entry and entries of the lane's dense coarsest inverse.
    coarse: Option<(usize, usize)>,
}

impl LaneLayout {
    /// Whether `other` has the same rows and entries everywhere (the first entries aside).
    fn same_sizes(&self, other: &LaneLayout) -> bool {
        let len = |l: &LaneLevel| (l.rows, l.a.1, l.transfer.map(|(p, r)| (p.1, r.1)));
        self.levels.len() == other.levels.len()
            && self
                .levels
                .iter()
                .zip(&other.levels)
                .all(|(a, b)| len(a) == len(b))
            && self.coarse.map(|c| c.1) == other.coarse.map(|c| c.1)
    }
}

/// The stacked hierarchies on the device and the dispatches of one V-cycle
/// `output = M^-1 input` for every lane at once.
pub struct DeviceAmg {
    lanes: Vec<LaneLayout>,
    levels: Vec<DeviceLevel>,
    coarse: DeviceCoarse,
    /// Scalar buffer bound by the vector kernels (only constant coefficients are used here).
    scalars: wgpu::Buffer,
    /// Every smoothing step's `(c_prev, c_new)` per lane (see `DeviceLevel::first_coef`).
    coefs: wgpu::Buffer,
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

/// Rows per lane of every level of the stacked `exports` (the most any lane has).
fn strides(exports: &[&AmgExport<'_>]) -> Vec<usize> {
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

/// Every array the device hierarchy allocates, for the memory estimate (the finest level as
/// CSR).
pub fn array_bytes(export: &AmgExport<'_>) -> Vec<DeviceArray> {
    stack_array_bytes(&[export], None)
}

/// Every array the stacked hierarchy of `exports` allocates, its finest level in the grid form
/// `finest_grid` or, with `None`, as CSR.
pub fn stack_array_bytes(
    exports: &[&AmgExport<'_>],
    finest_grid: Option<&GridSplit>,
) -> Vec<DeviceArray> {
    let lanes = exports.len() as u64;
    let strides = strides(exports);
    let mut arrays = Vec::new();
    let mut grid_arrays = Vec::new();
    let mut csr = |what: String, rows: u64, nnz: u64| {
        for (part, bytes) in [
            ("row pointers", 4 * (rows + 1)),
            ("column indices", 4 * nnz),
            ("values", 4 * nnz),
        ] {
            arrays.push(DeviceArray {
                name: format!("{what} {part}"),
                bytes,
                split: true,
            });
        }
    };
    let total =
        |f: &dyn Fn(&AmgExport<'_>) -> usize| -> u64 { exports.iter().map(|e| f(e) as u64).sum() };
    for (l, &stride) in strides.iter().enumerate() {
        let rows = lanes * stride as u64;
        match finest_grid.filter(|_| l == 0) {
            Some(split) => {
                let rest = &split.rest;
                for (part, bytes) in [
                    ("diagonal", 4 * split.diag.len()),
                    ("panels", 32 * split.panels.len()),
                    ("rest rows", 4 * (rest.row_ptr.len() + 2 * rest.rows.len())),
                    ("rest entries", 8 * rest.col.len()),
                ] {
                    grid_arrays.push(DeviceArray {
                        name: format!("level 0 grid {part}"),
                        bytes: bytes as u64,
                        split: false,
                    });
                }
            }
            None => csr(
                format!("level {l} matrix"),
                rows,
                total(&|e| e.levels.get(l).map_or(0, |x| x.a.values.len())),
            ),
        }
        let transfer = |e: &AmgExport<'_>, which: usize| {
            e.levels
                .get(l)
                .and_then(|x| x.transfer.as_ref())
                .map_or(0, |(p, r)| [p, r][which].values.len())
        };
        if let Some(&next) = strides.get(l + 1) {
            csr(
                format!("level {l} prolongation"),
                rows,
                total(&|e| transfer(e, 0)),
            );
            csr(
                format!("level {l} restriction"),
                lanes * next as u64,
                total(&|e| transfer(e, 1)),
            );
        }
    }
    if let Some(&coarsest) = strides.last() {
        let dense = |e: &AmgExport<'_>| match &e.coarse {
            CoarseExport::DenseInverse(values) => values.len(),
            CoarseExport::Sweeps(_) => 0,
        };
        let entries = total(&dense);
        if entries > 0 {
            csr(
                "coarsest inverse".to_string(),
                lanes * coarsest as u64,
                entries,
            );
        }
    }
    arrays.extend(grid_arrays);
    for (l, &stride) in strides.iter().enumerate() {
        for name in ["inverse diagonal", "b", "x", "r", "d"] {
            arrays.push(DeviceArray {
                name: format!("level {l} {name}"),
                bytes: 4 * lanes * stride as u64,
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

/// The `(c_prev, c_new)` of each of the `max(degree, 1)` steps of one smoothing (as
/// `Chebyshev::smooth` in amg/smoother.rs), the first step from a zero correction.
fn smoothing_coefficients(lambda_max: f64, ratio: f64, degree: usize) -> Vec<[f32; 2]> {
    let lambda_min = lambda_max / ratio;
    let theta = 0.5 * (lambda_max + lambda_min);
    let delta = 0.5 * (lambda_max - lambda_min);
    let sigma = theta / delta;
    let mut out = vec![[0.0, (1.0 / theta) as f32]];
    let mut rho = 1.0 / sigma;
    for _ in 1..degree {
        let rho_next = 1.0 / (2.0 * sigma - rho);
        out.push([(rho_next * rho) as f32, (2.0 * rho_next / delta) as f32]);
        rho = rho_next;
    }
    out
}

fn write_f32_at(ctx: &GpuContext, buffer: &wgpu::Buffer, first: u64, values: &[f64]) {
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
            let a = match finest_grid.filter(|_| l == 0) {
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
            };
            let a_entries = lane_entries(views.iter().map(|v| v.a.values.len()));
            let transfer = match strides.get(l + 1) {
                Some(&next) => {
                    let pr: Vec<(CsrView<'_>, CsrView<'_>)> = views
                        .iter()
                        .map(|v| {
                            v.transfer.ok_or_else(|| {
                                Error::Solver("a level without transfer operators".to_string())
                            })
                        })
                        .collect::<Result<_>>()?;
                    let p = stack_csr(&pr.iter().map(|t| t.0).collect::<Vec<_>>(), stride, next)?;
                    let r = stack_csr(&pr.iter().map(|t| t.1).collect::<Vec<_>>(), next, stride)?;
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
        let coarse = match (&first.coarse, strides.last()) {
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
        };
        let mut pairs = vec![[0f32; 2]; coef_count];
        for (lane, export) in exports.iter().enumerate() {
            for (level, device) in export.levels.iter().zip(&levels) {
                let steps = smoothing_coefficients(level.lambda_max, level.ratio, level.degree);
                for (s, pair) in steps.into_iter().enumerate() {
                    pairs[device.first_coef as usize + s * lanes + lane] = pair;
                }
            }
        }
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

    /// y = A x with the finest level's stacked matrix (every lane's system matrix).
    pub fn finest_product(
        &self,
        ctx: &GpuContext,
        x: &wgpu::Buffer,
        y: &wgpu::Buffer,
    ) -> Result<Dispatch> {
        let level = self
            .levels
            .first()
            .ok_or_else(|| Error::Solver("the GPU hierarchy has no levels".to_string()))?;
        match &level.a {
            LevelMatrix::Csr(a) => ctx.csr_matvec(a, x, y, false),
            LevelMatrix::Grid(grid) => ctx.grid_matvec(grid, x, y),
        }
    }

    /// Whether the finest level is in grid form, and then the entries of its rest.
    pub fn finest_grid_rest(&self) -> Option<usize> {
        match &self.levels.first()?.a {
            LevelMatrix::Grid(grid) => Some(grid.rest_entries()),
            LevelMatrix::Csr(_) => None,
        }
    }

    /// Row blocks of the finest level's A (1 in grid form, whose arrays are bound whole), P and
    /// R (tests check that a low binding limit split them).
    pub fn finest_blocks(&self) -> Option<[usize; 3]> {
        let level = self.levels.first()?;
        let (p, r) = level.transfer.as_ref()?;
        let a = match &level.a {
            LevelMatrix::Csr(a) => a.blocks(),
            LevelMatrix::Grid(_) => 1,
        };
        Some([a, p.blocks(), r.blocks()])
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
        match &level.a {
            LevelMatrix::Csr(a) => {
                out.push(ctx.csr_matvec(a, &level.x, &level.r, false)?);
                out.push(ctx.xpay(
                    level.n,
                    Coef::constant(-1.0),
                    &level.b,
                    &level.r,
                    &self.scalars,
                )?);
            }
            LevelMatrix::Grid(grid) => {
                out.push(ctx.grid_residual(grid, &level.b, &level.x, &level.r)?)
            }
        }
        out.push(ctx.csr_matvec(r, &level.r, &next.b, false)?);
        self.cycle_level(ctx, l + 1, out)?;
        out.push(ctx.csr_matvec(p, &next.x, &level.x, true)?);
        self.smooth(ctx, level, false, out)
    }

    /// Chebyshev smoothing as `Chebyshev::smooth` in amg/smoother.rs, each lane with its own
    /// coefficients.
    fn smooth(
        &self,
        ctx: &GpuContext,
        level: &DeviceLevel,
        zero_start: bool,
        out: &mut Vec<Dispatch>,
    ) -> Result<()> {
        let lanes = self.lanes.len() as u32;
        let step = |s: usize| ChebCoefs {
            buffer: &self.coefs,
            first: level.first_coef + s as u32 * lanes,
            stride: level.stride,
        };
        let buffers = [&level.inv_diag, &level.b, &level.x, &level.d];
        for s in 0..level.degree {
            if s == 0 && zero_start {
                out.push(ctx.cheb_start(level.n, step(0), buffers)?);
                continue;
            }
            out.push(match &level.a {
                LevelMatrix::Csr(a) => ctx.cheb_correction(a, step(s), buffers)?,
                LevelMatrix::Grid(grid) => ctx.grid_cheb_correction(grid, step(s), buffers)?,
            });
            out.push(ctx.axpy(
                level.n,
                Coef::constant(1.0),
                &level.d,
                &level.x,
                &self.scalars,
            )?);
        }
        Ok(())
    }
}
