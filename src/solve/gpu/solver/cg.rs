//! The batch's conjugate gradients: each stack's dispatches (the start and one round of
//! `CHECK_EVERY` iterations), every running stack's round in one submission, one readback of the
//! running lanes' residual norms after each, and the solutions read back once every lane stopped.

use rayon::prelude::*;

use super::super::vcycle::to_f32;
use super::{
    BatchJob, CHECK_EVERY, F32_TOLERANCE_FLOOR, GpuBatch, PAP, RR, RUNNING, RZ_A, RZ_B, SLOTS,
    STAGNATION_CHECKS,
};
use crate::error::{Error, Result};
use crate::gpu::context::{Dispatch, Encode};
use crate::gpu::kernels::Coef;
use crate::gpu::profile;
use crate::solve::newton::{LinearStats, MAX_PCG_ITERATIONS};

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
