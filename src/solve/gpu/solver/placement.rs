//! Where each job of a batch is solved: the lane that held its point last time, its hierarchy's
//! values rewritten in place when they changed, or a lane of a new stack shared with the other
//! new jobs of its shape.

use rayon::prelude::*;

use super::super::vcycle::{Finest, StackShape};
use super::stack::{upload, write_operator};
use super::{BatchJob, GpuBatch, Lane};
use crate::error::{Error, Result};
use crate::solve::linalg::amg::AmgExport;

impl GpuBatch {
    /// Puts each wanted job (index, `||b||`) in a lane whose hierarchy is its own, up to date,
    /// with the job's matrix as the finest level's operator. A lane keeps its point from one
    /// solve to the next (values rewritten in place after a refresh); a point new to the batch,
    /// or whose hierarchy changed shape, goes into a new stack with the others of its shape.
    pub(super) fn place(
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
}
