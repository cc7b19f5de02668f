//! The GPU backend's steady solve. Newton stays on the host in f64 (`cpu::newton`, shared with
//! the CPU backend); each step's system `(K + D) delta = R` is solved here in f32 by conjugate
//! gradients on the device, preconditioned by one V-cycle of the host's multigrid hierarchy
//! (vcycle.rs), which stays on the device until the host refreshes it. Every CG coefficient stays on the device (`Coef::ratio`); only `r . r` comes
//! back every few iterations for the stopping test, and `delta` at the end. Newton's f64
//! residual then makes this a mixed-precision iterative refinement: the answer is as accurate as
//! the CPU's, up to the f32 backend's convergence test (SCENARIO.md section 3).

use rayon::prelude::*;

use super::adapter::{AdapterSummary, Precision, candidates};
use super::context::{ContextOptions, Dispatch, Encode, GpuContext};
use super::kernels::{Coef, partial_count};
use super::vcycle::{DeviceAmg, DeviceArray, array_bytes, to_f32};
use crate::error::{Error, Result};
use crate::model::Model;
use crate::solve::cpu::amg::{Amg, AmgExport};
use crate::solve::cpu::sparse::{self, CsrMatrix};
use crate::solve::cpu::{LinearSolver, LinearStats, MAX_PCG_ITERATIONS, newton};
use crate::solve::{Solution, SolveOptions};

/// Relative residual an f32 CG reliably reaches: tighter requests stop here, and Newton's f64
/// residual refines further.
pub const F32_TOLERANCE_FLOOR: f64 = 1e-5;
/// CG iterations between readbacks of the residual norm (even: two scalar slots alternate).
const CHECK_EVERY: usize = 2;
/// Readbacks without a new smallest residual after which CG has stagnated at the f32 floor.
const STAGNATION_CHECKS: usize = 3;

/// Device scalar slots: `r . z` (two, alternating old/new), `p . A p`, `r . r`.
const RZ_A: u32 = 0;
const PAP: u32 = 1;
const RZ_B: u32 = 2;
const RR: u32 = 3;

/// Solves the steady state of `model` on the adapter `adapter` (f32 linear algebra).
pub fn solve_steady(
    model: &Model,
    options: SolveOptions,
    adapter: &AdapterSummary,
) -> Result<Solution> {
    let start = std::time::Instant::now();
    let ctx = open(adapter)?;
    crate::trace::phase("GPU device", start);
    newton(model, options, &mut GpuPcg::new(ctx))
}

/// Opens a device on the adapter that `choose_backend` picked.
pub fn open(adapter: &AdapterSummary) -> Result<GpuContext> {
    let candidate = candidates()
        .into_iter()
        .find(|c| &c.summary == adapter)
        .ok_or_else(|| {
            Error::Solver(format!(
                "GPU adapter \"{}\" is no longer available",
                adapter.name
            ))
        })?;
    GpuContext::new(&candidate, ContextOptions::default())
}

/// Device vectors and the hierarchy of one system size.
struct DeviceSystem {
    n: usize,
    amg: DeviceAmg,
    /// `Amg::generation` of the hierarchy whose values the device holds.
    generation: u64,
    x: wgpu::Buffer,
    r: wgpu::Buffer,
    z: wgpu::Buffer,
    p: wgpu::Buffer,
    q: wgpu::Buffer,
    partials: wgpu::Buffer,
    scalars: wgpu::Buffer,
}

/// PCG on the device with the V-cycle of the host's hierarchy: the GPU's `LinearSolver`. It is
/// a [`GpuBatch`] of one system, so a point solved alone and a point solved in a batch run the
/// same dispatches on the same numbers.
pub struct GpuPcg {
    batch: GpuBatch,
}

impl GpuPcg {
    pub fn new(ctx: GpuContext) -> GpuPcg {
        GpuPcg {
            batch: GpuBatch::new(ctx),
        }
    }

    pub fn context(&self) -> &GpuContext {
        &self.batch.ctx
    }

    /// Row blocks of the finest A, P and R uploaded by the last solve (see csr.rs).
    pub fn finest_blocks(&self) -> Option<[usize; 3]> {
        self.batch.systems.first()?.as_ref()?.amg.finest_blocks()
    }
}

/// One linear system of a batch: `matrix x = rhs` preconditioned by `amg` (whose finest level is
/// the operator, as for [`GpuPcg`]), to `tolerance` relative to `||rhs||`.
pub struct BatchJob<'a> {
    /// Which device system (vectors and hierarchy) of the batch holds this point.
    pub slot: usize,
    pub matrix: &'a CsrMatrix,
    pub amg: &'a Amg,
    pub rhs: &'a [f64],
    pub x: &'a mut [f64],
    pub tolerance: f64,
}

/// Several independent PCG solves on one device, advanced together: every running system's CG
/// iterations go into one submission, and one readback brings every running residual norm back
/// (`CHECK_EVERY` iterations per round). Each system keeps its own vectors, hierarchy and scalar
/// slots, so its arithmetic does not depend on the others; each stops on its own residual.
pub struct GpuBatch {
    ctx: GpuContext,
    systems: Vec<Option<DeviceSystem>>,
}

/// One CG solve in progress.
struct Cg {
    slot: usize,
    start: Vec<Dispatch>,
    batch: Vec<Dispatch>,
    b_norm: f64,
    target: f64,
    iterations: usize,
    best: f64,
    since_best: usize,
    running: bool,
}

impl Cg {
    /// Takes the residual norm read after a round; returns whether CG goes on.
    fn check(&mut self, rr: f32) {
        self.iterations += CHECK_EVERY;
        let norm = f64::from(rr).max(0.0).sqrt();
        if !norm.is_finite() || norm <= self.target || self.iterations >= MAX_PCG_ITERATIONS {
            self.running = false;
        } else if norm < self.best {
            (self.best, self.since_best) = (norm, 0);
        } else {
            self.since_best += 1;
            if self.since_best >= STAGNATION_CHECKS {
                self.running = false;
            }
        }
    }
}

impl GpuBatch {
    pub fn new(ctx: GpuContext) -> GpuBatch {
        GpuBatch {
            ctx,
            systems: Vec::new(),
        }
    }

    pub fn context(&self) -> &GpuContext {
        &self.ctx
    }

    /// Frees the device systems of slots `n` and above.
    pub fn keep_slots(&mut self, n: usize) {
        self.systems.truncate(n);
    }

    /// Solves every job; a job's own failure (a system the device cannot hold, a non-finite
    /// right-hand side) is its entry's `Err`, a device failure fails the whole call.
    pub fn solve(&mut self, jobs: &mut [BatchJob<'_>]) -> Result<Vec<Result<LinearStats>>> {
        let mut results: Vec<Option<Result<LinearStats>>> = Vec::with_capacity(jobs.len());
        let mut running: Vec<(usize, Cg)> = Vec::new();
        for (j, job) in jobs.iter_mut().enumerate() {
            match self.begin(job) {
                Ok(Some(cg)) => {
                    results.push(None);
                    running.push((j, cg));
                }
                Ok(None) => results.push(Some(Ok(LinearStats {
                    iterations: 0,
                    converged: true,
                }))),
                Err(e) => results.push(Some(Err(e))),
            }
        }
        let start: Vec<&dyn Encode> = running
            .iter()
            .flat_map(|(_, cg)| cg.start.iter().map(|d| d as &dyn Encode))
            .collect();
        if !start.is_empty() {
            self.ctx.run(&start)?;
        }
        while running.iter().any(|(_, cg)| cg.running) {
            let active: Vec<&Cg> = running
                .iter()
                .map(|(_, cg)| cg)
                .filter(|cg| cg.running)
                .collect();
            let work: Vec<&dyn Encode> = active
                .iter()
                .flat_map(|cg| cg.batch.iter().map(|d| d as &dyn Encode))
                .collect();
            self.ctx.run(&work)?;
            let mut sources = Vec::with_capacity(active.len());
            for cg in &active {
                let system = self.system(cg.slot)?;
                sources.push((&system.scalars, u64::from(RR)));
            }
            let norms: Vec<f32> = self.ctx.read_each(&sources)?;
            let mut norms = norms.into_iter();
            for (_, cg) in running.iter_mut().filter(|(_, cg)| cg.running) {
                cg.check(norms.next().unwrap_or(f32::NAN));
            }
        }
        for (j, cg) in running {
            let job = &mut jobs[j];
            results[j] = Some(self.finish(job, &cg));
        }
        Ok(results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(Error::Solver("a batched solve was lost".into()))))
            .collect())
    }

    fn system(&self, slot: usize) -> Result<&DeviceSystem> {
        self.systems
            .get(slot)
            .and_then(Option::as_ref)
            .ok_or_else(|| Error::Solver("the GPU system was not uploaded".to_string()))
    }

    /// Brings the device hierarchy of `slot` up to date with `amg` and makes `matrix` its
    /// finest level's matrix, the CG operator. A hierarchy already on the device is left alone;
    /// a refreshed one of the same shape has its values rewritten in place; any other is
    /// uploaded (after the memory estimate). Between refreshes Newton's matrix differs from the
    /// hierarchy's finest level only on the diagonal: the device's finest level takes the new
    /// values and the coarser levels stay as they are, a preconditioner as good as the host's
    /// stale one (the host refreshes when a temperature has moved by 10 %).
    fn prepare(&mut self, slot: usize, amg: &Amg, matrix: &CsrMatrix) -> Result<()> {
        if self.systems.len() <= slot {
            self.systems.resize_with(slot + 1, || None);
        }
        let current = self.systems[slot]
            .as_ref()
            .is_some_and(|s| s.generation == amg.generation());
        let finest_is_matrix = if current {
            false
        } else {
            let export = amg.export();
            self.upload_hierarchy(slot, &export)?;
            export
                .levels
                .first()
                .is_some_and(|l| l.a.values == matrix.values.as_slice())
        };
        let system = self.systems[slot]
            .as_mut()
            .ok_or_else(|| Error::Solver("the GPU system was not uploaded".to_string()))?;
        system.generation = amg.generation();
        if !finest_is_matrix && let Some(finest) = system.amg.finest() {
            if finest.nnz as usize != matrix.nnz() {
                return Err(Error::Solver(format!(
                    "the GPU hierarchy has {} entries on its finest level, the Newton matrix {}",
                    finest.nnz,
                    matrix.nnz()
                )));
            }
            let start = std::time::Instant::now();
            self.ctx.write_csr_values(finest, &to_f32(&matrix.values))?;
            crate::trace::phase("GPU operator values written", start);
        }
        Ok(())
    }

    /// Rewrites the hierarchy of `slot` in place when its shape is unchanged, else uploads it.
    fn upload_hierarchy(&mut self, slot: usize, export: &AmgExport<'_>) -> Result<()> {
        let start = std::time::Instant::now();
        let reusable = self.systems[slot]
            .as_ref()
            .is_some_and(|s| s.amg.matches(export));
        if reusable {
            if let Some(system) = self.systems[slot].as_mut() {
                system.amg.refresh(&self.ctx, export)?;
            }
        } else {
            self.systems[slot] = None;
            self.systems[slot] = Some(upload(&self.ctx, export)?);
        }
        crate::trace::phase(
            if reusable {
                "GPU hierarchy values rewritten"
            } else {
                "GPU hierarchy uploaded"
            },
            start,
        );
        Ok(())
    }

    /// Uploads a job's system and records its dispatches; `None` when there is nothing to solve.
    fn begin(&mut self, job: &mut BatchJob<'_>) -> Result<Option<Cg>> {
        job.x.fill(0.0);
        let rhs32 = to_f32(job.rhs);
        let b_norm = norm_of_f32(&rhs32);
        if b_norm == 0.0 {
            return Ok(None);
        }
        if !b_norm.is_finite() {
            return Err(Error::Solver(
                "the Newton residual is not finite in f32".to_string(),
            ));
        }
        self.prepare(job.slot, job.amg, job.matrix)?;
        let ctx = &self.ctx;
        let system = self.system(job.slot)?;
        let n = system.n;
        let finest = system.amg.finest();
        let matrix = job.matrix;
        if n != matrix.n || finest.is_none_or(|a| a.nnz as usize != matrix.nnz()) {
            return Err(Error::Solver(format!(
                "the GPU hierarchy has {n} rows, the Newton matrix {}: refresh the multigrid \
                 hierarchy before solving",
                matrix.n
            )));
        }
        let Some(a) = finest else {
            return Ok(None);
        };
        ctx.queue()
            .write_buffer(&system.r, 0, bytemuck::cast_slice(&rhs32));
        ctx.queue()
            .write_buffer(&system.x, 0, bytemuck::cast_slice(&vec![0f32; n]));

        let nn = n as u64;
        let s = &system.scalars;
        let dot = |u: &wgpu::Buffer, v: &wgpu::Buffer, out: u32| -> Result<Vec<Dispatch>> {
            let reduction = ctx.dot(nn, u, v, &system.partials, s, out)?;
            Ok(vec![reduction.partial, reduction.last])
        };
        let mut start: Vec<Dispatch> = system.amg.cycle().to_vec();
        start.push(ctx.copy(nn, &system.z, &system.p)?);
        start.extend(dot(&system.r, &system.z, RZ_A)?);
        let step = |old: u32, new: u32| -> Result<Vec<Dispatch>> {
            let mut work = vec![ctx.csr_matvec(a, &system.p, &system.q, false)?];
            work.extend(dot(&system.p, &system.q, PAP)?);
            work.push(ctx.axpy(nn, Coef::ratio(1.0, old, PAP), &system.p, &system.x, s)?);
            work.push(ctx.axpy(nn, Coef::ratio(-1.0, old, PAP), &system.q, &system.r, s)?);
            work.extend(system.amg.cycle().iter().cloned());
            work.extend(dot(&system.r, &system.z, new)?);
            work.push(ctx.xpay(nn, Coef::ratio(1.0, new, old), &system.z, &system.p, s)?);
            Ok(work)
        };
        let mut batch: Vec<Dispatch> = Vec::new();
        for k in 0..CHECK_EVERY {
            batch.extend(if k % 2 == 0 {
                step(RZ_A, RZ_B)?
            } else {
                step(RZ_B, RZ_A)?
            });
        }
        batch.extend(dot(&system.r, &system.r, RR)?);
        Ok(Some(Cg {
            slot: job.slot,
            start,
            batch,
            b_norm,
            target: job.tolerance.max(F32_TOLERANCE_FLOOR) * b_norm,
            iterations: 0,
            best: f64::INFINITY,
            since_best: 0,
            running: MAX_PCG_ITERATIONS > 0,
        }))
    }

    /// Reads a finished solve's `x` back and judges it by its true residual in f64.
    fn finish(&self, job: &mut BatchJob<'_>, cg: &Cg) -> Result<LinearStats> {
        let system = self.system(cg.slot)?;
        let solution: Vec<f32> = self.ctx.read(&system.x, 0, system.n)?;
        job.x
            .par_iter_mut()
            .with_min_len(1 << 16)
            .zip(&solution)
            .for_each(|(xi, &v)| *xi = f64::from(v));
        // The true residual in f64 decides whether the request was met.
        let mut residual = vec![0.0; job.matrix.n];
        job.matrix.residual(job.rhs, job.x, &mut residual);
        let true_norm = sparse::norm2(&residual);
        Ok(LinearStats {
            iterations: cg.iterations,
            converged: true_norm <= job.tolerance.max(F32_TOLERANCE_FLOOR) * cg.b_norm,
        })
    }
}

/// The 2-norm of `v` in f64, summed in fixed chunks (in parallel) and then in chunk order, so
/// that it does not depend on the thread count.
fn norm_of_f32(v: &[f32]) -> f64 {
    const CHUNK: usize = 1 << 16;
    let partial: Vec<f64> = v
        .par_chunks(CHUNK)
        .map(|chunk| chunk.iter().map(|&x| f64::from(x) * f64::from(x)).sum())
        .collect();
    partial.iter().sum::<f64>().sqrt()
}

fn upload(ctx: &GpuContext, export: &AmgExport<'_>) -> Result<DeviceSystem> {
    let n = export.levels.first().map_or(0, |l| l.a.n_rows);
    check_memory(ctx, export)?;
    let vector = |name: &str| ctx.zeroed(name, 4 * n as u64);
    let (r, z) = (vector("pcg r")?, vector("pcg z")?);
    let scalars = ctx.scalars(4)?;
    let amg = DeviceAmg::new(ctx, export, &r, &z, &scalars)?;
    Ok(DeviceSystem {
        n,
        amg,
        generation: 0,
        x: vector("pcg x")?,
        r,
        z,
        p: vector("pcg p")?,
        q: vector("pcg q")?,
        partials: ctx.partials(n as u64)?,
        scalars,
    })
}

/// Every array the GPU solve allocates for the hierarchy in `export`.
pub fn memory_estimate(export: &AmgExport<'_>) -> Vec<DeviceArray> {
    let n = export.levels.first().map_or(0, |l| l.a.n_rows) as u64;
    let mut arrays = array_bytes(export);
    let mut whole = |name: &str, bytes: u64| {
        arrays.push(DeviceArray {
            name: name.to_string(),
            bytes,
            split: false,
        });
    };
    for name in ["pcg x", "pcg p", "pcg q"] {
        whole(name, 4 * n);
    }
    whole("reduction partials", 4 * partial_count(n));
    arrays
}

/// Refuses (exit 3) a system the device cannot hold: a vector larger than one storage binding
/// (vectors are bound whole; CSR matrices are split into row blocks, csr.rs), or a matrix with
/// more entries than u32 indices reach. Running out of device memory while uploading is
/// reported by the buffer's creation (an error scope), also as exit 3.
fn check_memory(ctx: &GpuContext, export: &AmgExport<'_>) -> Result<()> {
    let arrays = memory_estimate(export);
    let total: u64 = arrays.iter().map(|a| a.bytes).sum();
    let limits = ctx.limits();
    let max = ctx.binding_limit();
    let needs = format!(
        "device memory estimate exceeded: the GPU solve needs {total} bytes ({:.1} MiB)",
        total as f64 / (1024.0 * 1024.0)
    );
    let largest_whole = arrays.iter().filter(|a| !a.split).max_by_key(|a| a.bytes);
    if let Some(a) = largest_whole.filter(|a| a.bytes > max) {
        return Err(Error::Solver(format!(
            "{needs}; its largest vector, the {}, takes {} bytes, over the {max} bytes that \
             adapter \"{}\" allows in one storage binding (max_buffer_size {}, \
             max_storage_buffer_binding_size {}); vectors are not split over several bindings: \
             use --backend cpu",
            a.name,
            a.bytes,
            ctx.summary().name,
            limits.max_buffer_size,
            limits.max_storage_buffer_binding_size,
        )));
    }
    let entries_max = 4 * u64::from(u32::MAX);
    if let Some(a) = arrays.iter().find(|a| a.split && a.bytes > entries_max) {
        return Err(Error::Solver(format!(
            "{needs}; the {} take {} bytes, more entries than u32 indexing reaches: use \
             --backend cpu",
            a.name, a.bytes
        )));
    }
    Ok(())
}

impl LinearSolver for GpuPcg {
    fn precision(&self) -> Precision {
        Precision::F32
    }

    fn solve(
        &mut self,
        matrix: &CsrMatrix,
        amg: &Amg,
        rhs: &[f64],
        x: &mut [f64],
        tolerance: f64,
    ) -> Result<LinearStats> {
        let mut jobs = [BatchJob {
            slot: 0,
            matrix,
            amg,
            rhs,
            x,
            tolerance,
        }];
        let mut results = self.batch.solve(&mut jobs)?;
        results
            .pop()
            .unwrap_or_else(|| Err(Error::Solver("a batched solve was lost".into())))
    }
}
