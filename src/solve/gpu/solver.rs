//! The GPU backend's steady solve. Newton stays on the host in f64 (`cpu::newton`, shared with
//! the CPU backend); each step's system `(K + D) delta = R` is solved here in f32 by conjugate
//! gradients on the device, preconditioned by one V-cycle of the host's multigrid hierarchy
//! (vcycle.rs), which stays on the device until the host refreshes it. Every CG coefficient stays
//! on the device (`Coef::ratio`); only `r . r` comes back every few iterations for the stopping
//! test, and `delta` at the end. Newton's f64 residual then makes this a mixed-precision
//! iterative refinement: the answer is as accurate as the CPU's, up to the f32 backend's
//! convergence test (SCENARIO.md section 3). A lone solve is a [`GpuBatch`] of one system: one
//! lane of one stack.

use rayon::prelude::*;

use super::grid_split::GridSplit;
use super::vcycle::{
    DeviceAmg, DeviceArray, Finest, StackShape, finest_grid, stack_array_bytes, to_f32,
};
use crate::error::{Error, Result};
use crate::gpu::adapter::{AdapterSummary, candidates};
use crate::gpu::context::{ContextOptions, Dispatch, Encode, GpuContext};
use crate::gpu::kernels::{Coef, Lanes, lane_partial_count};
use crate::gpu::profile;
use crate::gpu::shaders::Kernel;
use crate::model::Model;
use crate::solve::Precision;
use crate::solve::linalg::amg::{Amg, AmgExport};
use crate::solve::linalg::sparse::CsrMatrix;
use crate::solve::newton::{
    LinearSolver, LinearStats, MAX_PCG_ITERATIONS, NewtonSolver, first_guess,
};
use crate::solve::{Solution, SolveOptions};

/// Relative residual an f32 CG reliably reaches: tighter requests stop here, and Newton's f64
/// residual refines further.
pub const F32_TOLERANCE_FLOOR: f64 = 1e-5;
/// CG iterations between readbacks of the residual norm (even: two scalar slots alternate).
const CHECK_EVERY: usize = 2;
/// Readbacks without a new smallest residual after which CG has stagnated at the f32 floor.
const STAGNATION_CHECKS: usize = 3;

/// Device scalars of each lane: `r . z` (two, alternating old/new), `p . A p`, `r . r`, and the
/// lane's gate: 1 while its CG runs, 0 once it stopped or when it has nothing to solve (the
/// gated updates then leave its vectors alone).
const RZ_A: u32 = 0;
const PAP: u32 = 1;
const RZ_B: u32 = 2;
const RR: u32 = 3;
const RUNNING: u32 = 4;
const SLOTS: u32 = 5;

/// Solves the steady state of `model` on the adapter `adapter` (f32 linear algebra).
pub fn solve_steady(
    model: &Model,
    options: SolveOptions,
    adapter: &AdapterSummary,
) -> Result<Solution> {
    let t = first_guess(model);
    // The device opens and the driver compiles the kernels while the host assembles Newton's
    // matrix and builds the hierarchy: on an H100 host, 0.1 to 0.7 s that no longer add up.
    let (ctx, solver) = std::thread::scope(|scope| {
        let opening = scope.spawn(|| {
            let start = std::time::Instant::now();
            let ctx = open(adapter)?;
            ctx.prepare(&Kernel::SOLVE)?;
            crate::trace::phase("GPU device and kernels (beside the host set-up)", start);
            Ok(ctx)
        });
        let solver = NewtonSolver::new(model, &t);
        let ctx = opening.join().unwrap_or_else(|_| {
            Err(Error::Solver(
                "opening the GPU device failed unexpectedly".to_string(),
            ))
        });
        (ctx, solver)
    });
    let mut pcg = GpuPcg::new(ctx?);
    solver?.solve(model, t, options, &mut pcg, None)
}

/// Opens a device on the adapter that `choose_backend` picked.
pub fn open(adapter: &AdapterSummary) -> Result<GpuContext> {
    // Tracing profiles a CG round with timestamp queries (profile.rs).
    let options = ContextOptions {
        timestamps: crate::trace::enabled(),
        ..ContextOptions::default()
    };
    open_with(adapter, options)
}

/// [`open`] with `options` (e.g. timestamp queries for measurements).
pub fn open_with(adapter: &AdapterSummary, options: ContextOptions) -> Result<GpuContext> {
    let candidate = candidates()
        .into_iter()
        .find(|c| &c.summary == adapter)
        .ok_or_else(|| {
            Error::Solver(format!(
                "GPU adapter \"{}\" is no longer available",
                adapter.name
            ))
        })?;
    GpuContext::new(&candidate, options)
}

/// One lane of a stack: the batch slot (sweep point) it holds, the `Amg::generation` of the
/// hierarchy values it holds and, when its finest operator was written from the hierarchy's own
/// finest matrix, that matrix's `Amg::off_diagonal_generation` (then a new diagonal is all a
/// Newton step has to send).
struct Lane {
    slot: usize,
    generation: u64,
    off_diagonal: Option<u64>,
}

/// Systems of one size and hierarchy shape stacked in lanes (vcycle.rs): their hierarchies,
/// CG vectors and scalars, worked on by one set of dispatches. A lane whose point has left
/// (`None`) stays in the buffers, gated off, until the whole stack is dropped.
struct Stack {
    /// Rows of each lane's system.
    n: usize,
    lanes: Vec<Option<Lane>>,
    amg: DeviceAmg,
    x: wgpu::Buffer,
    r: wgpu::Buffer,
    z: wgpu::Buffer,
    p: wgpu::Buffer,
    q: wgpu::Buffer,
    partials: wgpu::Buffer,
    scalars: wgpu::Buffer,
}

impl Stack {
    fn layout(&self) -> Lanes {
        cg_lanes(self.lanes.len(), self.n)
    }

    /// Whether a refresh of lane `l` for `job` may keep the finest matrix the lane holds: the
    /// job's matrix is its hierarchy's own finest level and the lane holds its current
    /// off-diagonal entries (then only the diagonal changed).
    fn finest_for(&self, l: usize, job: &BatchJob<'_>) -> Finest {
        let owned = std::ptr::eq(job.matrix, job.amg.finest());
        let held = self
            .lanes
            .get(l)
            .and_then(|lane| lane.as_ref()?.off_diagonal);
        if owned && held == Some(job.amg.off_diagonal_generation()) {
            Finest::KeepOffDiagonal
        } else {
            Finest::Rewrite
        }
    }

    fn lane_of(&self, slot: usize) -> Option<usize> {
        self.lanes
            .iter()
            .position(|l| l.as_ref().is_some_and(|l| l.slot == slot))
    }
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
        self.batch.stacks.first()?.amg.finest_blocks()
    }

    /// When the last solve's finest operator is in grid form (grid.rs), the entries of its rest.
    pub fn finest_grid_rest(&self) -> Option<usize> {
        self.batch.stacks.first()?.amg.finest_grid_rest()
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

/// Several independent PCG solves on one device, advanced together. Systems that share a size
/// and hierarchy shape are stacked in the lanes of one [`Stack`], so every dispatch (product,
/// V-cycle, vector update, reduction) serves all of them at once; every running stack's CG
/// iterations go into one submission, and one readback brings every running residual norm back
/// (`CHECK_EVERY` iterations per round). Each lane keeps its own rows, coefficients and scalars,
/// so its arithmetic does not depend on the others; each stops on its own residual.
pub struct GpuBatch {
    ctx: GpuContext,
    stacks: Vec<Stack>,
    /// Rounds traced so far (see `run_round`).
    rounds_traced: u8,
}

/// One CG solve in progress, in lane `lane` of stack `stack`, for job `job`.
struct Cg {
    job: usize,
    stack: usize,
    lane: usize,
    target: f64,
    iterations: usize,
    best: f64,
    since_best: usize,
    /// The residual norm read last (CG's own recurrence, in f32).
    last: f64,
    running: bool,
}

impl Cg {
    /// Takes the residual norm read after a round; returns whether CG goes on.
    fn check(&mut self, rr: f32) {
        self.iterations += CHECK_EVERY;
        let norm = f64::from(rr).max(0.0).sqrt();
        self.last = norm;
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

/// The dispatches of one stack's solve: the start (first V-cycle, `p = z`, `r . z`) and one
/// round of `CHECK_EVERY` iterations ending with `r . r`.
struct StackWork {
    stack: usize,
    start: Vec<Dispatch>,
    round: Vec<Dispatch>,
}

impl GpuBatch {
    pub fn new(ctx: GpuContext) -> GpuBatch {
        GpuBatch {
            ctx,
            stacks: Vec::new(),
            rounds_traced: 0,
        }
    }

    pub fn context(&self) -> &GpuContext {
        &self.ctx
    }

    /// Frees the lanes of slots `n` and above (a stack goes once none of its lanes is held).
    pub fn keep_slots(&mut self, n: usize) {
        for stack in &mut self.stacks {
            for lane in &mut stack.lanes {
                if lane.as_ref().is_some_and(|l| l.slot >= n) {
                    *lane = None;
                }
            }
        }
        self.stacks.retain(|s| s.lanes.iter().any(Option::is_some));
    }

    /// Stacks the lanes of the last solve, for tests: lanes per stack.
    pub fn stack_sizes(&self) -> Vec<usize> {
        self.stacks.iter().map(|s| s.lanes.len()).collect()
    }

    /// Solves every job; a job's own failure (a system the device cannot hold, a non-finite
    /// right-hand side) is its entry's `Err`, a device failure fails the whole call.
    pub fn solve(&mut self, jobs: &mut [BatchJob<'_>]) -> Result<Vec<Result<LinearStats>>> {
        let mut results: Vec<Option<Result<LinearStats>>> = (0..jobs.len()).map(|_| None).collect();
        let rhs32: Vec<Vec<f32>> = jobs.iter().map(|job| to_f32(job.rhs)).collect();
        let mut wanted = Vec::new();
        for (j, job) in jobs.iter_mut().enumerate() {
            let b_norm = norm_of_f32(&rhs32[j]);
            let n = job.matrix.n;
            if job.rhs.len() != n || job.x.len() != n {
                results[j] = Some(Err(Error::Solver(format!(
                    "a linear system of {n} rows with a right-hand side of {} and a solution of \
                     {} items",
                    job.rhs.len(),
                    job.x.len()
                ))));
            } else if b_norm == 0.0 {
                job.x.fill(0.0);
                results[j] = Some(Ok(LinearStats {
                    iterations: 0,
                    converged: true,
                }));
            } else if !b_norm.is_finite() {
                results[j] = Some(Err(Error::Solver(
                    "the Newton residual is not finite in f32".to_string(),
                )));
            } else {
                wanted.push((j, b_norm));
            }
        }
        let places = self.place(jobs, &wanted);
        let mut cgs: Vec<Cg> = Vec::new();
        for (&(j, b_norm), place) in wanted.iter().zip(places) {
            match place {
                Ok((stack, lane)) => cgs.push(Cg {
                    job: j,
                    stack,
                    lane,
                    target: jobs[j].tolerance.max(F32_TOLERANCE_FLOOR) * b_norm,
                    iterations: 0,
                    best: f64::INFINITY,
                    since_best: 0,
                    last: f64::INFINITY,
                    running: MAX_PCG_ITERATIONS > 0,
                }),
                Err(e) => results[j] = Some(Err(e)),
            }
        }
        let mut work = Vec::new();
        for s in 0..self.stacks.len() {
            let mine: Vec<&Cg> = cgs.iter().filter(|cg| cg.stack == s).collect();
            if !mine.is_empty() {
                work.push(self.begin(s, &mine, &rhs32)?);
            }
        }
        let start: Vec<&dyn Encode> = work
            .iter()
            .flat_map(|w| w.start.iter().map(|d| d as &dyn Encode))
            .collect();
        if !start.is_empty() {
            self.ctx.run(&start)?;
        }
        while cgs.iter().any(|cg| cg.running) {
            let round: Vec<&Dispatch> = work
                .iter()
                .filter(|w| cgs.iter().any(|cg| cg.running && cg.stack == w.stack))
                .flat_map(|w| w.round.iter())
                .collect();
            self.run_round(&round)?;
            let sources: Vec<(&wgpu::Buffer, u64)> = cgs
                .iter()
                .filter(|cg| cg.running)
                .map(|cg| {
                    let at = u64::from(cg.lane as u32 * SLOTS + RR);
                    (&self.stacks[cg.stack].scalars, at)
                })
                .collect();
            let norms: Vec<f32> = self.ctx.read_each(&sources)?;
            let mut norms = norms.into_iter();
            for cg in cgs.iter_mut().filter(|cg| cg.running) {
                cg.check(norms.next().unwrap_or(f32::NAN));
                if !cg.running {
                    let gate = u64::from(cg.lane as u32 * SLOTS + RUNNING);
                    self.ctx.queue().write_buffer(
                        &self.stacks[cg.stack].scalars,
                        4 * gate,
                        bytemuck::bytes_of(&0f32),
                    );
                }
            }
        }
        for w in &work {
            let stack = &self.stacks[w.stack];
            let solution: Vec<f32> = self.ctx.read(&stack.x, 0, stack.lanes.len() * stack.n)?;
            for cg in cgs.iter().filter(|cg| cg.stack == w.stack) {
                let lane = &solution[cg.lane * stack.n..(cg.lane + 1) * stack.n];
                results[cg.job] = Some(finish(&mut jobs[cg.job], lane, cg));
            }
        }
        Ok(results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(Error::Solver("a batched solve was lost".into()))))
            .collect())
    }

    /// Runs one round; when tracing, the batch's first round runs kernel by kernel under
    /// timestamp queries (profile.rs) and the next one is timed from submission to completion.
    fn run_round(&mut self, round: &[&Dispatch]) -> Result<()> {
        if !crate::trace::enabled() || self.rounds_traced >= 2 {
            let encode: Vec<&dyn Encode> = round.iter().map(|d| *d as &dyn Encode).collect();
            return self.ctx.run(&encode);
        }
        self.rounds_traced += 1;
        if self.rounds_traced == 1 {
            if let Some(times) = self.ctx.run_profiled(round)? {
                for line in profile::summary(&times) {
                    eprintln!("trace: GPU round profile ({CHECK_EVERY} CG iterations): {line}");
                }
            }
            return Ok(());
        }
        let start = std::time::Instant::now();
        let encode: Vec<&dyn Encode> = round.iter().map(|d| *d as &dyn Encode).collect();
        self.ctx.run(&encode)?;
        crate::trace::phase(
            &format!("GPU round of {CHECK_EVERY} CG iterations in one pass, submit to done"),
            start,
        );
        Ok(())
    }

    /// Puts each wanted job (index, `||b||`) in a lane whose hierarchy is its own, up to date,
    /// with the job's matrix as the finest level's operator. A lane keeps its point from one
    /// solve to the next (values rewritten in place after a refresh); a point new to the batch,
    /// or whose hierarchy changed shape, goes into a new stack with the others of its shape.
    fn place(
        &mut self,
        jobs: &[BatchJob<'_>],
        wanted: &[(usize, f64)],
    ) -> Vec<Result<(usize, usize)>> {
        // Which jobs need their hierarchy exported: not on the device, or not current there.
        let current: Vec<bool> = wanted
            .iter()
            .map(|&(j, _)| {
                let job = &jobs[j];
                self.find(job.slot).is_some_and(|(s, l)| {
                    self.stacks[s].lanes[l]
                        .as_ref()
                        .is_some_and(|lane| lane.generation == job.amg.generation())
                })
            })
            .collect();
        let exports: Vec<Option<AmgExport<'_>>> = wanted
            .par_iter()
            .zip(&current)
            .map(|(&(j, _), &current)| (!current).then(|| jobs[j].amg.export()))
            .collect();
        // A lane whose hierarchy changed shape is given up.
        for ((&(j, _), export), &current) in wanted.iter().zip(&exports).zip(&current) {
            if let (Some(export), false) = (export, current)
                && let Some((s, l)) = self.find(jobs[j].slot)
                && !self.stacks[s].amg.lane_matches(
                    l,
                    export,
                    self.stacks[s].finest_for(l, &jobs[j]),
                )
            {
                self.stacks[s].lanes[l] = None;
            }
        }
        self.stacks.retain(|s| s.lanes.iter().any(Option::is_some));

        let mut places: Vec<Option<Result<(usize, usize)>>> = wanted.iter().map(|_| None).collect();
        let mut homeless: Vec<usize> = Vec::new();
        for (w, (&(j, _), export)) in wanted.iter().zip(&exports).enumerate() {
            let job = &jobs[j];
            let Some((s, l)) = self.find(job.slot) else {
                homeless.push(w);
                continue;
            };
            places[w] = Some(
                self.refresh_lane(s, l, job, export.as_ref())
                    .map(|()| (s, l)),
            );
        }
        // New stacks, one per shape, in the order the jobs come.
        let mut shapes: Vec<(StackShape, Vec<usize>)> = Vec::new();
        for &w in &homeless {
            let Some(export) = &exports[w] else { continue };
            let shape = StackShape::of(export);
            match shapes.iter_mut().find(|(s, _)| *s == shape) {
                Some((_, members)) => members.push(w),
                None => shapes.push((shape, vec![w])),
            }
        }
        for (_, members) in shapes {
            let group: Vec<(&BatchJob<'_>, &AmgExport<'_>)> = members
                .iter()
                .filter_map(|&w| Some((&jobs[wanted[w].0], exports[w].as_ref()?)))
                .collect();
            match self.new_stack(&group) {
                Ok(s) => {
                    for (lane, &w) in members.iter().enumerate() {
                        places[w] = Some(Ok((s, lane)));
                    }
                }
                // Too large together (or the first to fail): each alone, failing on its own.
                Err(e) if group.len() == 1 => places[members[0]] = Some(Err(e)),
                Err(_) => {
                    for (&w, one) in members.iter().zip(&group) {
                        places[w] = Some(self.new_stack(&[*one]).map(|s| (s, 0)));
                    }
                }
            }
        }
        places
            .into_iter()
            .map(|p| p.unwrap_or_else(|| Err(Error::Solver("a batched solve was lost".into()))))
            .collect()
    }

    fn find(&self, slot: usize) -> Option<(usize, usize)> {
        self.stacks
            .iter()
            .enumerate()
            .find_map(|(s, stack)| Some((s, stack.lane_of(slot)?)))
    }

    /// Brings lane `l` of stack `s` up to date with the job's hierarchy (`export`, when it is not
    /// current) and makes the job's matrix its finest operator. Between refreshes Newton's
    /// matrix differs from the hierarchy's finest level only on the diagonal: the device's finest
    /// level takes the new values and the coarser levels stay as they are, a preconditioner as
    /// good as the host's stale one.
    fn refresh_lane(
        &mut self,
        s: usize,
        l: usize,
        job: &BatchJob<'_>,
        export: Option<&AmgExport<'_>>,
    ) -> Result<()> {
        let stack = &mut self.stacks[s];
        if stack.n != job.matrix.n {
            return Err(Error::Solver(format!(
                "the GPU hierarchy has {} rows, the Newton matrix {}: refresh the multigrid \
                 hierarchy before solving",
                stack.n, job.matrix.n
            )));
        }
        let exported = match export {
            Some(export) => {
                let start = std::time::Instant::now();
                let finest = stack.finest_for(l, job);
                stack.amg.refresh_lane(&self.ctx, l, export, finest)?;
                crate::trace::phase("GPU hierarchy values rewritten", start);
                if let Some(lane) = stack.lanes[l].as_mut() {
                    lane.generation = job.amg.generation();
                }
                finest == Finest::Rewrite
            }
            None => false,
        };
        write_operator(&self.ctx, stack, l, job, exported)
    }

    /// Uploads the hierarchies of `group` (one shape) as a new stack, one lane each in order, and
    /// makes each job's matrix its lane's operator; returns the stack's index.
    fn new_stack(&mut self, group: &[(&BatchJob<'_>, &AmgExport<'_>)]) -> Result<usize> {
        let start = std::time::Instant::now();
        let exports: Vec<&AmgExport<'_>> = group.iter().map(|(_, e)| *e).collect();
        let mut stack = upload(&self.ctx, &exports)?;
        crate::trace::phase("GPU hierarchy uploaded", start);
        for (lane, (job, _)) in group.iter().enumerate() {
            stack.lanes[lane] = Some(Lane {
                slot: job.slot,
                generation: job.amg.generation(),
                off_diagonal: None,
            });
            if stack.n != job.matrix.n {
                return Err(Error::Solver(format!(
                    "the GPU hierarchy has {} rows, the Newton matrix {}",
                    stack.n, job.matrix.n
                )));
            }
            write_operator(&self.ctx, &mut stack, lane, job, true)?;
        }
        self.stacks.push(stack);
        Ok(self.stacks.len() - 1)
    }

    /// Writes the right-hand sides of stack `s`'s running lanes (zero elsewhere), opens their
    /// gates and records the stack's dispatches.
    fn begin(&self, s: usize, cgs: &[&Cg], rhs32: &[Vec<f32>]) -> Result<StackWork> {
        let ctx = &self.ctx;
        let stack = &self.stacks[s];
        let (n, count) = (stack.n, stack.lanes.len());
        let mut scalars = vec![0f32; SLOTS as usize * count];
        // CG starts from x = 0; a lane without a system keeps r = 0. Zeroed on the device.
        let mut clears = vec![(&stack.x, 0..(count * n) as u64)];
        for lane in 0..count {
            let lane_items = (lane * n) as u64..((lane + 1) * n) as u64;
            match cgs.iter().find(|cg| cg.lane == lane) {
                Some(cg) => {
                    scalars[lane * SLOTS as usize + RUNNING as usize] = 1.0;
                    ctx.queue().write_buffer(
                        &stack.r,
                        4 * lane_items.start,
                        bytemuck::cast_slice(&rhs32[cg.job]),
                    );
                }
                None => clears.push((&stack.r, lane_items)),
            }
        }
        ctx.clear_items(&clears);
        ctx.queue()
            .write_buffer(&stack.scalars, 0, bytemuck::cast_slice(&scalars));

        let lanes = stack.layout();
        let sc = &stack.scalars;
        let dot = |u: &wgpu::Buffer, v: &wgpu::Buffer, out: u32| -> Result<Vec<Dispatch>> {
            let reduction = ctx.dot(lanes, u, v, &stack.partials, sc, out)?;
            Ok(vec![reduction.partial, reduction.last])
        };
        let mut start: Vec<Dispatch> = stack.amg.cycle().to_vec();
        start.push(ctx.copy(lanes.items(), &stack.z, &stack.p)?);
        start.extend(dot(&stack.r, &stack.z, RZ_A)?);
        let step = |old: u32, new: u32| -> Result<Vec<Dispatch>> {
            let alpha = |sign: f32| Coef::ratio(sign, old, PAP).gated(RUNNING);
            let mut work = vec![stack.amg.finest_product(ctx, &stack.p, &stack.q)?];
            work.extend(dot(&stack.p, &stack.q, PAP)?);
            work.push(ctx.axpy(lanes, alpha(1.0), &stack.p, &stack.x, sc)?);
            work.push(ctx.axpy(lanes, alpha(-1.0), &stack.q, &stack.r, sc)?);
            work.extend(stack.amg.cycle().iter().cloned());
            work.extend(dot(&stack.r, &stack.z, new)?);
            let beta = Coef::ratio(1.0, new, old).gated(RUNNING);
            work.push(ctx.xpay(lanes, beta, &stack.z, &stack.p, sc)?);
            Ok(work)
        };
        let mut round: Vec<Dispatch> = Vec::new();
        for k in 0..CHECK_EVERY {
            round.extend(if k % 2 == 0 {
                step(RZ_A, RZ_B)?
            } else {
                step(RZ_B, RZ_A)?
            });
        }
        round.extend(dot(&stack.r, &stack.r, RR)?);
        Ok(StackWork {
            stack: s,
            start,
            round,
        })
    }
}

/// Makes the job's matrix lane `l`'s finest operator; `exported`: the job's hierarchy, its finest
/// matrix included, has just been written to the lane. When the job's matrix is its
/// hierarchy's own finest level (as Newton's is, `Amg::owning`), an export has written it
/// already, and a lane holding its
/// off-diagonal entries needs only the new diagonal and the smoother's inverse of it (two
/// fifths of the values of a 5-point stencil); otherwise every value is sent.
fn write_operator(
    ctx: &GpuContext,
    stack: &mut Stack,
    l: usize,
    job: &BatchJob<'_>,
    exported: bool,
) -> Result<()> {
    if stack.lanes.get(l).is_none_or(Option::is_none) {
        return Err(Error::Solver("no such lane on the device".to_string()));
    }
    let owned = std::ptr::eq(job.matrix, job.amg.finest());
    let written = exported && owned;
    let start = std::time::Instant::now();
    if !written && stack.finest_for(l, job) == Finest::KeepOffDiagonal {
        let matrix = job.matrix;
        let diagonal: Vec<f32> = matrix
            .diag_index
            .par_iter()
            .with_min_len(1 << 16)
            .map(|&k| matrix.values[k] as f32)
            .collect();
        let inv_diagonal = to_f32(job.amg.finest_inv_diagonal());
        stack
            .amg
            .write_finest_diagonal(ctx, l, &diagonal, &inv_diagonal)?;
        crate::trace::phase("GPU operator diagonal written", start);
    } else if !written {
        stack.amg.write_finest(ctx, l, job.matrix)?;
        crate::trace::phase("GPU operator values written", start);
    }
    if let Some(lane) = stack.lanes[l].as_mut() {
        lane.off_diagonal = owned.then(|| job.amg.off_diagonal_generation());
    }
    Ok(())
}

/// Takes a finished solve's `x` (its lane of the device solution) and its statistics.
fn finish(job: &mut BatchJob<'_>, solution: &[f32], cg: &Cg) -> Result<LinearStats> {
    job.x
        .par_iter_mut()
        .with_min_len(1 << 16)
        .zip(solution)
        .for_each(|(xi, &v)| *xi = f64::from(v));
    // CG's own residual says whether the request was met: Newton's next f64 residual is the
    // real test, and a true residual here would cost a product with the matrix in f64 on the
    // host every step (0.8 GB of traffic at 10^7 cells).
    Ok(LinearStats {
        iterations: cg.iterations,
        converged: cg.last <= cg.target,
    })
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

/// Uploads the stacked hierarchies of `exports` (one shape) with the CG vectors of as many
/// lanes, every lane empty.
fn upload(ctx: &GpuContext, exports: &[&AmgExport<'_>]) -> Result<Stack> {
    let n = finest_rows(exports);
    let start = std::time::Instant::now();
    let grid = finest_grid(exports, ctx.binding_limit());
    crate::trace::phase("GPU finest level split into stencils", start);
    check_memory(ctx, exports, grid.as_ref())?;
    let lanes = cg_lanes(exports.len(), n);
    let vector = |name: &str| ctx.zeroed(name, 4 * lanes.items());
    let (r, z) = (vector("pcg r")?, vector("pcg z")?);
    let scalars = ctx.scalars(SLOTS * lanes.count)?;
    let amg = DeviceAmg::with_finest(ctx, exports, grid.as_ref(), [&r, &z, &scalars])?;
    Ok(Stack {
        n,
        lanes: exports.iter().map(|_| None).collect(),
        amg,
        x: vector("pcg x")?,
        r,
        z,
        p: vector("pcg p")?,
        q: vector("pcg q")?,
        partials: ctx.lane_partials(lanes)?,
        scalars,
    })
}

/// Rows of the finest level of stacked hierarchies (one shape: the first's).
fn finest_rows(exports: &[&AmgExport<'_>]) -> usize {
    exports
        .first()
        .and_then(|e| e.levels.first())
        .map_or(0, |l| l.a.n_rows)
}

/// The CG vectors and scalars of `count` lanes of `n` rows.
fn cg_lanes(count: usize, n: usize) -> Lanes {
    Lanes {
        count: count as u32,
        stride: n as u64,
        len: n as u64,
        slots: SLOTS,
    }
}

/// Every array the GPU solve allocates for the hierarchy in `export` (its finest level as CSR).
pub fn memory_estimate(export: &AmgExport<'_>) -> Vec<DeviceArray> {
    stack_memory_estimate(&[export], None)
}

/// Every array the GPU solve allocates for the hierarchies of `exports` stacked in lanes, their
/// finest level in the grid form `grid` (`vcycle::finest_grid`) or, with `None`, as CSR.
pub fn stack_memory_estimate(
    exports: &[&AmgExport<'_>],
    grid: Option<&GridSplit>,
) -> Vec<DeviceArray> {
    let lanes = cg_lanes(exports.len(), finest_rows(exports));
    let mut arrays = stack_array_bytes(exports, grid);
    let mut whole = |name: &str, bytes: u64| {
        arrays.push(DeviceArray {
            name: name.to_string(),
            bytes,
            split: false,
        });
    };
    for name in ["pcg x", "pcg p", "pcg q"] {
        whole(name, 4 * lanes.items());
    }
    whole("reduction partials", 4 * lane_partial_count(lanes));
    arrays
}

/// Refuses (exit 3) a system the device cannot hold: a vector larger than one storage binding
/// (vectors are bound whole; CSR matrices are split into row blocks, csr.rs), or a matrix with
/// more entries than u32 indices reach. Running out of device memory while uploading is
/// reported by the buffer's creation (an error scope), also as exit 3.
fn check_memory(
    ctx: &GpuContext,
    exports: &[&AmgExport<'_>],
    grid: Option<&GridSplit>,
) -> Result<()> {
    let arrays = stack_memory_estimate(exports, grid);
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
