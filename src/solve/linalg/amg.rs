//! Smoothed-aggregation algebraic multigrid (SA-AMG), used as a preconditioner for conjugate
//! gradients on the conduction + radiation matrices of the thermal model.
//!
//! Setup per level: symmetric strength of connection (`|a_ij| >= theta sqrt(a_ii a_jj)`, with
//! `theta` halved on each coarser level), greedy aggregation in index order, a piecewise-constant
//! tentative prolongator smoothed by one damped Jacobi step on the filtered matrix
//! (`omega = 4/3 / rho(D_F^-1 A_F)`, `rho` by its Gershgorin bound), and the Galerkin coarse
//! matrix `P^T A P`. Coarsening stops at a few hundred rows, which a dense Cholesky factor solves.
//! The cycle is a V-cycle with Chebyshev smoothing on `D^-1 A` before and after the coarse
//! correction (degree 1, damped Jacobi, on the finest level; 2 below), which makes the
//! preconditioner symmetric positive definite. The smoothing interval
//! ends at the Gershgorin bound of `lambda_max(D^-1 A)` on the finest level when that is an
//! M-matrix (as the thermal matrices are), and at a boosted Lanczos estimate elsewhere.
//!
//! Requirements on the matrix: symmetric (values as well as pattern) and positive definite, with
//! a positive diagonal. Eliminated Dirichlet nodes must be identity rows *and* columns (move the
//! coupling to the right-hand side), or symmetry is lost. Nothing panics on other input, but the
//! preconditioner is then meaningless.
//!
//! Rows with far more entries than average (heat-pipe vapour nodes) stay alone in their own
//! aggregate on every level; rows without strong connections (identity rows of eliminated
//! Dirichlet nodes, cells dominated by their radiation term) are left to the smoother.
//!
//! [`Amg::refresh`] reuses the aggregates and every sparsity pattern and recomputes only values,
//! for the Newton loop where only the diagonal changes between steps.
//!
//! Everything is deterministic: the same matrix and right-hand side give bit-identical output for
//! any number of rayon threads.

mod aggregate;
mod coarse;
mod smoother;
#[cfg(test)]
pub(crate) mod testing;
mod transfer;

use super::pcg::Preconditioner;
use super::sparse::{CsrMatrix, GridRows};
use crate::trace::Steps;
use aggregate::{aggregate, dense_rows, strength};
use coarse::DenseCholesky;
use smoother::Chebyshev;
use std::fmt;
use std::sync::Mutex;
use transfer::Transfer;

/// Tuning parameters of the multigrid hierarchy. The defaults suit the thermal matrices.
#[derive(Debug, Clone, PartialEq)]
pub struct AmgOptions {
    /// Strength threshold `theta` on the finest level (halved on each coarser level).
    pub strength_threshold: f64,
    /// Stop coarsening at or below this many rows.
    pub max_coarse_rows: usize,
    /// Largest number of levels.
    pub max_levels: usize,
    /// Largest coarsest level solved by a dense Cholesky factor; a larger coarsest level (only
    /// when coarsening stalls) is solved approximately by smoothing sweeps.
    pub max_dense_rows: usize,
    /// Degree of the Chebyshev smoother (matrix-vector products per smoothing step) on the
    /// coarse levels.
    pub smoother_degree: usize,
    /// The same on the finest level. Degree 1 is damped Jacobi with the Chebyshev weight
    /// (`1/theta`, the interval's midpoint), and from a zero start the pre-smoothing step then
    /// needs no product at all. The finest level is a conduction stencil, which Jacobi smooths
    /// well, and does most of a cycle's work: on the 10^6-cell benchmark radiator (VM) degree 1
    /// took 36 CG iterations at 83 ns per cell and iteration, degree 2 took 33 at 104.
    pub finest_smoother_degree: usize,
    /// The smoother targets eigenvalues of `D^-1 A` in `[lambda_max / ratio, lambda_max]`.
    pub smoother_ratio: f64,
    /// Prolongator damping numerator: `omega = weight / rho(D_F^-1 A_F)`.
    pub prolongator_weight: f64,
    /// Lanczos steps for the estimate of `lambda_max(D^-1 A)` used by the smoother (on every
    /// level but an M-matrix finest level, which uses the Gershgorin bound).
    pub eigen_steps: usize,
    /// Safety factor applied to the Lanczos estimate of `lambda_max(D^-1 A)`.
    pub eigen_boost: f64,
    /// A row is dense (kept alone) when its off-diagonal count exceeds both this number ...
    /// The default keeps heat-pipe vapour rows (10^2..10^5 entries) in the ordinary
    /// aggregation: on coarse levels they then join the strip of cells they serve, which
    /// measured 34 instead of 62 CG iterations over a 10^6-cell radiator's Newton solve.
    pub dense_row_min: usize,
    /// ... and this multiple of the level's mean off-diagonal count.
    pub dense_row_factor: f64,
    /// A row without strong connections gets its own aggregate when its off-diagonal magnitude
    /// sum exceeds this fraction of its diagonal; otherwise only the smoother treats it.
    pub isolated_ratio: f64,
}

impl Default for AmgOptions {
    fn default() -> Self {
        AmgOptions {
            strength_threshold: 0.08,
            max_coarse_rows: 400,
            max_levels: 25,
            max_dense_rows: 1200,
            smoother_degree: 2,
            finest_smoother_degree: 1,
            smoother_ratio: 7.0,
            prolongator_weight: 4.0 / 3.0,
            eigen_steps: 10,
            eigen_boost: 1.1,
            dense_row_min: 1_000_000,
            dense_row_factor: 8.0,
            isolated_ratio: 0.1,
        }
    }
}

/// Why [`Amg::refresh`] refused a matrix.
#[derive(Debug, Clone, PartialEq)]
pub enum AmgError {
    /// The matrix does not have the sparsity pattern the hierarchy was built for.
    PatternMismatch {
        /// Rows and stored entries at setup.
        expected: (usize, usize),
        /// Rows and stored entries given.
        found: (usize, usize),
    },
}

impl fmt::Display for AmgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AmgError::PatternMismatch { expected, found } => write!(
                f,
                "multigrid refresh needs the setup sparsity pattern ({} rows, {} entries); got \
                 {} rows, {} entries or different columns",
                expected.0, expected.1, found.0, found.1
            ),
        }
    }
}

impl std::error::Error for AmgError {}

/// Size of one level of the hierarchy.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelStats {
    /// Rows (unknowns).
    pub rows: usize,
    /// Stored entries of the level matrix.
    pub nnz: usize,
    /// Upper end of the smoothing interval, `lambda_max(D^-1 A)` (estimated).
    pub lambda_max: f64,
    /// Prolongator damping `omega` towards the next level (0 on the coarsest level).
    pub omega: f64,
}

/// Shape of the hierarchy.
#[derive(Debug, Clone, PartialEq)]
pub struct AmgStats {
    /// Finest level first.
    pub levels: Vec<LevelStats>,
    /// Sum of stored entries over all levels divided by those of the finest matrix.
    pub operator_complexity: f64,
    /// Sum of rows over all levels divided by the finest rows.
    pub grid_complexity: f64,
    /// Whether the coarsest level is solved exactly (dense Cholesky) or by smoothing sweeps.
    pub coarsest_exact: bool,
    /// Heap memory held by the hierarchy (matrices including the copy of the finest one,
    /// transfer operators, smoother data, work vectors, coarsest factor), in bytes.
    pub memory_bytes: usize,
}

struct Level {
    a: CsrMatrix,
    smoother: Chebyshev,
    /// Operators to the next coarser level; `None` on the coarsest level.
    transfer: Option<Transfer>,
}

enum CoarseSolver {
    Dense(DenseCholesky),
    /// Smoothing sweeps (coarsening stalled above the dense limit).
    Sweeps(usize),
}

/// Work vectors of one level.
struct Scratch {
    /// Residual.
    r: Vec<f64>,
    /// Smoother correction.
    d: Vec<f64>,
}

/// Right-hand side and solution of a coarse level (levels 1 and below).
struct CoarseVectors {
    b: Vec<f64>,
    x: Vec<f64>,
}

struct Workspace {
    scratch: Vec<Scratch>,
    coarse: Vec<CoarseVectors>,
}

/// The smoothed-aggregation multigrid hierarchy; use it through [`Preconditioner::apply`]
/// (one V-cycle, from `z = 0`). It keeps its own copy of the finest matrix, so the caller may
/// change its matrix freely and call [`Amg::refresh`] when it wants the hierarchy to follow.
/// `apply` takes an internal lock on its work vectors: concurrent calls are serialized.
pub struct Amg {
    /// Unique to this hierarchy's values: a new one at every `new` and `refresh`, so that a
    /// copy elsewhere (the GPU's) knows whether it is current.
    generation: u64,
    /// Unique to this hierarchy's aggregates and sparsity patterns, which `refresh` keeps.
    pattern: u64,
    /// See [`Amg::off_diagonal_generation`].
    off_diagonal_generation: u64,
    levels: Vec<Level>,
    coarse_solver: CoarseSolver,
    options: AmgOptions,
    work: Mutex<Workspace>,
}

impl Amg {
    /// Builds the hierarchy for the symmetric positive definite matrix `a` with default options.
    pub fn new(a: &CsrMatrix) -> Amg {
        Amg::with_options(a, AmgOptions::default())
    }

    /// Builds the hierarchy with the given options.
    pub fn with_options(a: &CsrMatrix, options: AmgOptions) -> Amg {
        Amg::owning(a.clone(), options)
    }

    /// Builds the hierarchy of `a`, which becomes its finest level ([`Amg::finest`]): no copy
    /// of the largest matrix (0.7 GB at 10^7 cells).
    pub fn owning(a: CsrMatrix, options: AmgOptions) -> Amg {
        let opt = &options;
        let mut levels = Vec::new();
        let mut current = a;
        let mut dense = dense_rows(&current, None, opt.dense_row_min, opt.dense_row_factor);
        let mut theta = opt.strength_threshold;
        loop {
            let mut steps = Steps::default();
            let level_rows = current.n;
            let smoother = new_smoother(&current, opt, levels.is_empty());
            steps.end("smoother");
            if current.n <= opt.max_coarse_rows || levels.len() + 1 >= opt.max_levels {
                levels.push(Level {
                    a: current,
                    smoother,
                    transfer: None,
                });
                break;
            }
            let strong = strength(&current, theta, &dense);
            steps.end("strength");
            let agg = aggregate(&current, &strong, &dense, opt.isolated_ratio);
            steps.end("aggregates");
            if agg.n_coarse == 0 || agg.n_coarse as f64 > 0.9 * current.n as f64 {
                levels.push(Level {
                    a: current,
                    smoother,
                    transfer: None,
                });
                break;
            }
            let (transfer, coarse) = Transfer::build(
                &current,
                agg.aggregate,
                agg.n_coarse,
                strong,
                opt.prolongator_weight,
                &mut steps,
            );
            dense = dense_rows(
                &coarse,
                Some(&agg.coarse_dense),
                opt.dense_row_min,
                opt.dense_row_factor,
            );
            steps.print(&format!(
                "multigrid level {} set-up ({level_rows} rows)",
                levels.len()
            ));
            levels.push(Level {
                a: current,
                smoother,
                transfer: Some(transfer),
            });
            current = coarse;
            theta *= 0.5;
        }
        let coarse_solver = coarse_solver_for(levels.last().map(|l| &l.a), opt);
        let work = Mutex::new(Workspace {
            scratch: levels
                .iter()
                .map(|l| Scratch {
                    r: vec![0.0; l.a.n],
                    d: vec![0.0; l.a.n],
                })
                .collect(),
            coarse: levels
                .iter()
                .skip(1)
                .map(|l| CoarseVectors {
                    b: vec![0.0; l.a.n],
                    x: vec![0.0; l.a.n],
                })
                .collect(),
        });
        let generation = next_generation();
        Amg {
            generation,
            pattern: generation,
            off_diagonal_generation: generation,
            levels,
            coarse_solver,
            options,
            work,
        }
    }

    /// Recomputes every value of the hierarchy for a matrix with the setup sparsity pattern
    /// (for instance after a Newton step changed the diagonal). Aggregates and patterns are
    /// reused, so this costs a fraction of [`Amg::new`].
    pub fn refresh(&mut self, a: &CsrMatrix) -> Result<(), AmgError> {
        let Some(finest) = self.levels.first_mut() else {
            return Ok(());
        };
        let fine = &mut finest.a;
        if fine.n != a.n
            || fine.nnz() != a.nnz()
            || fine.row_ptr != a.row_ptr
            || fine.col_idx != a.col_idx
        {
            return Err(AmgError::PatternMismatch {
                expected: (fine.n, fine.nnz()),
                found: (a.n, a.nnz()),
            });
        }
        fine.values.copy_from_slice(&a.values);
        self.off_diagonal_generation = next_generation();
        self.refresh_from_finest();
        Ok(())
    }

    /// The finest level's matrix.
    pub fn finest(&self) -> &CsrMatrix {
        // `owning` always makes at least one level.
        &self.levels[0].a
    }

    /// Sets the diagonal of the finest level, row `i` to `value(i)`, and nothing else in the
    /// matrix. The V-cycle smooths the changed matrix at once, its smoother scaled by the new
    /// diagonal; the coarser levels follow at [`Amg::refresh_from_finest`].
    pub fn set_finest_diagonal(&mut self, value: impl Fn(usize) -> f64 + Sync + Send) {
        let Level { a, smoother, .. } = &mut self.levels[0];
        a.set_diagonal_with(value);
        smoother.follow_diagonal(a);
    }

    /// The inverse diagonal the finest level's smoother scales by.
    pub fn finest_inv_diagonal(&self) -> &[f64] {
        self.levels[0].smoother.inv_diag()
    }

    /// Changes whenever an entry of the finest level off its diagonal may have changed (at
    /// set-up and [`Amg::refresh`]), not at [`Amg::set_finest_diagonal`]: a device copy of the
    /// finest level that matched it then needs only the new diagonal.
    pub fn off_diagonal_generation(&self) -> u64 {
        self.off_diagonal_generation
    }

    /// [`Amg::refresh`] from the finest level's own (changed) values.
    pub fn refresh_from_finest(&mut self) {
        let opt = &self.options;
        for l in 0..self.levels.len() {
            let (head, tail) = self.levels.split_at_mut(l + 1);
            let level = &mut head[l];
            level
                .smoother
                .refresh(&level.a, opt.eigen_steps, opt.eigen_boost, l == 0);
            if let (Some(transfer), Some(next)) = (level.transfer.as_mut(), tail.first_mut()) {
                transfer.refresh(&level.a, &mut next.a, opt.prolongator_weight);
            }
        }
        self.coarse_solver = coarse_solver_for(self.levels.last().map(|l| &l.a), opt);
        self.generation = next_generation();
    }

    /// Changes whenever the hierarchy's values do (see the field).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Number of levels, finest included.
    pub fn num_levels(&self) -> usize {
        self.levels.len()
    }

    /// Rows, entries and parameters per level, and the complexities.
    pub fn stats(&self) -> AmgStats {
        let levels: Vec<LevelStats> = self
            .levels
            .iter()
            .map(|l| LevelStats {
                rows: l.a.n,
                nnz: l.a.nnz(),
                lambda_max: l.smoother.lambda_max(),
                omega: l.transfer.as_ref().map_or(0.0, |t| t.omega),
            })
            .collect();
        let ratio = |f: &dyn Fn(&LevelStats) -> usize| {
            let first = levels.first().map_or(0, f).max(1) as f64;
            levels.iter().map(f).sum::<usize>() as f64 / first
        };
        AmgStats {
            operator_complexity: ratio(&|l| l.nnz),
            grid_complexity: ratio(&|l| l.rows),
            coarsest_exact: matches!(self.coarse_solver, CoarseSolver::Dense(_)),
            memory_bytes: self.memory_bytes(),
            levels,
        }
    }

    /// Heap bytes held by the hierarchy (by vector lengths).
    fn memory_bytes(&self) -> usize {
        let levels: usize = self
            .levels
            .iter()
            .map(|l| {
                let a = &l.a;
                let matrix = 16 * a.n + 8 + 12 * a.nnz();
                let work = 32 * a.n;
                let smoother = 8 * a.n;
                matrix + work + smoother + l.transfer.as_ref().map_or(0, Transfer::memory_bytes)
            })
            .sum();
        let coarse = match &self.coarse_solver {
            CoarseSolver::Dense(chol) => chol.memory_bytes(),
            CoarseSolver::Sweeps(_) => 0,
        };
        levels + coarse
    }

    /// One V-cycle for `A z = r` from `z = 0`.
    fn v_cycle(&self, r: &[f64], z: &mut [f64]) {
        let mut work = self
            .work
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let Workspace { scratch, coarse } = &mut *work;
        cycle(&self.levels, &self.coarse_solver, scratch, coarse, r, z);
    }
}

/// A read-only view of one CSR operator of the hierarchy (square or rectangular).
#[derive(Debug, Clone, Copy)]
pub struct CsrView<'a> {
    pub n_rows: usize,
    pub n_cols: usize,
    pub row_ptr: &'a [usize],
    pub col_idx: &'a [u32],
    pub values: &'a [f64],
}

impl<'a> CsrView<'a> {
    /// The whole of the square matrix `a`.
    pub fn of(a: &'a CsrMatrix) -> CsrView<'a> {
        CsrView {
            n_rows: a.n,
            n_cols: a.n,
            row_ptr: &a.row_ptr,
            col_idx: &a.col_idx,
            values: &a.values,
        }
    }
}

/// One level as the V-cycle uses it: the level matrix, its Chebyshev smoother on `D^-1 A`
/// (interval `[lambda_max / ratio, lambda_max]`, `degree` products per smoothing step) and the
/// transfer operators `(P, R = P^T)` to the next coarser level (`None` on the coarsest).
#[derive(Debug, Clone)]
pub struct LevelExport<'a> {
    pub a: CsrView<'a>,
    /// The level matrix's structured grids (`CsrMatrix::grids`: Newton's panels on the finest
    /// level, none on coarser ones).
    pub grids: &'a [GridRows],
    pub inv_diag: Vec<f64>,
    pub lambda_max: f64,
    pub ratio: f64,
    pub degree: usize,
    pub transfer: Option<(CsrView<'a>, CsrView<'a>)>,
}

/// How the coarsest level is solved.
#[derive(Debug, Clone)]
pub enum CoarseExport {
    /// The inverse of the coarsest matrix (row-major, `n x n`), as the dense Cholesky factor
    /// applies it (singular directions map to zero).
    DenseInverse(Vec<f64>),
    /// This many smoothing steps from zero with the coarsest level's smoother.
    Sweeps(usize),
}

/// Everything one V-cycle needs, finest level first: for another backend that mirrors
/// [`Preconditioner::apply`] (see [`Amg::export`]).
#[derive(Debug, Clone)]
pub struct AmgExport<'a> {
    pub levels: Vec<LevelExport<'a>>,
    pub coarse: CoarseExport,
    /// Equal for two exports of one hierarchy, refreshed or not: their patterns are the same.
    pub pattern: u64,
}

impl Amg {
    /// A read-only export of the current hierarchy (after `new` or `refresh`). The dense inverse
    /// of the coarsest level costs `n^3` for its `n` rows (a few hundred).
    pub fn export(&self) -> AmgExport<'_> {
        let view = |n_rows: usize, n_cols: usize, row_ptr, col_idx, values| CsrView {
            n_rows,
            n_cols,
            row_ptr,
            col_idx,
            values,
        };
        let levels = self
            .levels
            .iter()
            .map(|l| LevelExport {
                a: view(l.a.n, l.a.n, &l.a.row_ptr, &l.a.col_idx, &l.a.values),
                grids: &l.a.grids,
                // The smoother's own: the finest level's diagonal may have moved on since.
                inv_diag: l.smoother.inv_diag().to_vec(),
                lambda_max: l.smoother.lambda_max(),
                ratio: self.options.smoother_ratio.max(1.0 + 1e-6),
                degree: l.smoother.degree(),
                transfer: l.transfer.as_ref().map(|t| {
                    let coarse = t.p.ncols;
                    (
                        view(l.a.n, coarse, &t.p.row_ptr, &t.p.col_idx, &t.p.values),
                        view(coarse, t.r.ncols, &t.r.row_ptr, &t.r.col_idx, &t.r.values),
                    )
                }),
            })
            .collect();
        let coarse = match &self.coarse_solver {
            CoarseSolver::Dense(chol) => {
                let n = self.levels.last().map_or(0, |l| l.a.n);
                let mut inverse = vec![0.0; n * n];
                let mut unit = vec![0.0; n];
                let mut column = vec![0.0; n];
                for j in 0..n {
                    unit[j] = 1.0;
                    chol.solve(&unit, &mut column);
                    unit[j] = 0.0;
                    for (i, &v) in column.iter().enumerate() {
                        inverse[i * n + j] = v;
                    }
                }
                CoarseExport::DenseInverse(inverse)
            }
            CoarseSolver::Sweeps(sweeps) => CoarseExport::Sweeps(*sweeps),
        };
        AmgExport {
            levels,
            coarse,
            pattern: self.pattern,
        }
    }
}

impl fmt::Debug for Amg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stats = self.stats();
        f.debug_struct("Amg")
            .field("levels", &stats.levels.len())
            .field(
                "rows",
                &stats.levels.iter().map(|l| l.rows).collect::<Vec<_>>(),
            )
            .field("operator_complexity", &stats.operator_complexity)
            .field("options", &self.options)
            .finish()
    }
}

impl Preconditioner for Amg {
    /// `z = M^-1 r` by one V-cycle.
    ///
    /// # Panics
    /// If `r` or `z` does not have the matrix dimension.
    fn apply(&self, r: &[f64], z: &mut [f64]) {
        let n = self.levels.first().map_or(0, |l| l.a.n);
        assert!(r.len() == n && z.len() == n, "Amg::apply: length mismatch");
        self.v_cycle(r, z);
    }
}

fn next_generation() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// The smoother of a level. On the finest level it has `finest_smoother_degree`, and an
/// M-matrix takes the Gershgorin bound of `lambda_max(D^-1 A)` without a Lanczos estimate (see
/// [`Chebyshev::refresh`]).
fn new_smoother(a: &CsrMatrix, opt: &AmgOptions, finest: bool) -> Chebyshev {
    let degree = if finest {
        opt.finest_smoother_degree
    } else {
        opt.smoother_degree
    };
    Chebyshev::new(
        a,
        degree,
        opt.smoother_ratio,
        (opt.eigen_steps, opt.eigen_boost, finest),
    )
}

fn coarse_solver_for(a: Option<&CsrMatrix>, opt: &AmgOptions) -> CoarseSolver {
    match a {
        Some(a) if a.n > opt.max_dense_rows => CoarseSolver::Sweeps(4),
        Some(a) => CoarseSolver::Dense(DenseCholesky::new(a)),
        None => CoarseSolver::Sweeps(0),
    }
}

/// V-cycle on `levels[0]` for `A x = b`, `x` overwritten.
fn cycle(
    levels: &[Level],
    coarse_solver: &CoarseSolver,
    scratch: &mut [Scratch],
    coarse: &mut [CoarseVectors],
    b: &[f64],
    x: &mut [f64],
) {
    let (Some((level, coarser)), Some((here, scratch_below))) =
        (levels.split_first(), scratch.split_first_mut())
    else {
        return;
    };
    let (Some(transfer), Some((next, coarse_below))) =
        (level.transfer.as_ref(), coarse.split_first_mut())
    else {
        match coarse_solver {
            CoarseSolver::Dense(chol) => chol.solve(b, x),
            CoarseSolver::Sweeps(sweeps) => {
                level
                    .smoother
                    .solve_approx(&level.a, b, x, *sweeps, &mut here.d)
            }
        }
        return;
    };
    level
        .smoother
        .smooth_from_zero_with_residual(&level.a, b, x, &mut here.d, &mut here.r);
    transfer.r.matvec(&here.r, &mut next.b);
    cycle(
        coarser,
        coarse_solver,
        scratch_below,
        coarse_below,
        &next.b,
        &mut next.x,
    );
    transfer.p.matvec_add(&next.x, x);
    level.smoother.smooth(&level.a, b, x, false, &mut here.d);
}

#[cfg(test)]
mod tests;
