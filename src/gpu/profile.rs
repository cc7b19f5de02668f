//! Where the device spends a CG round, kernel by kernel: each launch of the round in a compute
//! pass of its own between two timestamp queries. Separate passes add a little time per launch
//! (the device drains between them), so the figures are upper bounds; the split between kernels
//! and levels is what they are for. `SKYSINK_TRACE` prints the first round of a solve this way
//! on a device with timestamp queries (solve/gpu/solver/).

use std::collections::BTreeMap;

use super::context::{Dispatch, GpuContext};
use super::shaders::Kernel;
use crate::error::Result;

/// One launch of a profiled round.
#[derive(Clone, Debug, PartialEq)]
pub struct LaunchTime {
    pub kernel: Kernel,
    pub groups: [u32; 3],
    pub seconds: f64,
}

/// Most launches one profile times (two queries each; wgpu allows 4096 queries per set).
const MAX_LAUNCHES: usize = 2048;

impl GpuContext {
    /// Runs `work` in order, one pass per launch, and returns each launch's GPU time; `None`
    /// when the device has no timestamp queries (then the work still runs), or the round has
    /// more than `MAX_LAUNCHES` launches (then it runs in one pass).
    pub fn run_profiled(&self, work: &[&Dispatch]) -> Result<Option<Vec<LaunchTime>>> {
        let launches: Vec<(usize, usize, Kernel, [u32; 3])> = work
            .iter()
            .enumerate()
            .flat_map(|(d, dispatch)| {
                dispatch
                    .launches()
                    .enumerate()
                    .map(move |(k, (kernel, groups))| (d, k, kernel, groups))
            })
            .collect();
        if !self.has_timestamps() || launches.is_empty() || launches.len() > MAX_LAUNCHES {
            let encode: Vec<&dyn super::context::Encode> = work
                .iter()
                .map(|d| *d as &dyn super::context::Encode)
                .collect();
            self.run(&encode)?;
            return Ok(None);
        }
        let count = 2 * launches.len() as u32;
        let queries = self.device().create_query_set(&wgpu::QuerySetDescriptor {
            label: Some("profile timestamps"),
            ty: wgpu::QueryType::Timestamp,
            count,
        });
        let resolved = self.device().create_buffer(&wgpu::BufferDescriptor {
            label: Some("profile timestamps"),
            size: 8 * u64::from(count),
            usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let mut encoder = self.encoder();
        for (q, &(d, k, _, _)) in launches.iter().enumerate() {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("profile"),
                timestamp_writes: Some(wgpu::ComputePassTimestampWrites {
                    query_set: &queries,
                    beginning_of_pass_write_index: Some(2 * q as u32),
                    end_of_pass_write_index: Some(2 * q as u32 + 1),
                }),
            });
            work[d].encode_launch(k, &mut pass);
        }
        encoder.resolve_query_set(&queries, 0..count, &resolved, 0);
        self.queue().submit([encoder.finish()]);
        self.wait()?;
        let ticks: Vec<u64> = self.read(&resolved, 0, count as usize)?;
        let period_s = f64::from(self.queue().get_timestamp_period()) * 1e-9;
        Ok(Some(
            launches
                .iter()
                .zip(ticks.chunks_exact(2))
                .map(|(&(_, _, kernel, groups), t)| LaunchTime {
                    kernel,
                    groups,
                    seconds: t[1].saturating_sub(t[0]) as f64 * period_s,
                })
                .collect(),
        ))
    }
}

/// The profile as trace lines: the total, then each kernel's launches and time, most first.
pub fn summary(times: &[LaunchTime]) -> Vec<String> {
    let total: f64 = times.iter().map(|t| t.seconds).sum();
    let mut by_kernel: BTreeMap<Kernel, (usize, f64, u64)> = BTreeMap::new();
    for t in times {
        let entry = by_kernel.entry(t.kernel).or_default();
        let groups = t.groups.iter().map(|&g| u64::from(g)).product::<u64>();
        *entry = (entry.0 + 1, entry.1 + t.seconds, entry.2.max(groups));
    }
    let mut kernels: Vec<_> = by_kernel.into_iter().collect();
    kernels.sort_by(|a, b| b.1.1.total_cmp(&a.1.1));
    let mut lines = vec![format!(
        "{} launches, {:.3} ms of GPU time in separate passes",
        times.len(),
        total * 1e3
    )];
    lines.extend(kernels.into_iter().map(|(kernel, (n, seconds, groups))| {
        format!(
            "{:<22} {:>4} launches {:>9.3} ms ({:>4.1} %), largest {} workgroups",
            kernel.entry(),
            n,
            seconds * 1e3,
            100.0 * seconds / total.max(f64::MIN_POSITIVE),
            groups
        )
    }));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gpu::ContextOptions;
    use crate::gpu::kernels::Coef;
    use crate::gpu::testing::context_with;

    #[test]
    fn a_profiled_round_runs_every_launch_and_times_each() -> Result<()> {
        let options = ContextOptions {
            timestamps: true,
            ..ContextOptions::default()
        };
        let Some(ctx) = context_with(options) else {
            return Ok(());
        };
        let n = 5000u64;
        let x: Vec<f32> = (0..n).map(|i| i as f32).collect();
        let xb = ctx.upload("x", &x)?;
        let yb = ctx.zeroed("y", 4 * n)?;
        let scalars = ctx.scalars(1)?;
        let copy = ctx.copy(n, &xb, &yb)?;
        let twice = ctx.axpy(n, Coef::constant(1.0), &xb, &yb, &scalars)?;
        let times = ctx.run_profiled(&[&copy, &twice])?;
        // y = x, then y += x: the work ran, in order.
        let y: Vec<f32> = ctx.read(&yb, 0, n as usize)?;
        assert!(y.iter().zip(&x).all(|(y, x)| *y == 2.0 * x));
        if ctx.has_timestamps() {
            let times = times.expect("timestamps");
            let kernels: Vec<Kernel> = times.iter().map(|t| t.kernel).collect();
            assert_eq!(kernels, [Kernel::VecCopy, Kernel::Axpy]);
            assert!(times.iter().all(|t| t.seconds >= 0.0 && t.groups[0] > 0));
        } else {
            assert!(times.is_none());
        }
        Ok(())
    }

    #[test]
    fn the_summary_ranks_kernels_by_time() {
        let launch = |kernel, seconds| LaunchTime {
            kernel,
            groups: [4, 2, 1],
            seconds,
        };
        let times = [
            launch(Kernel::Axpy, 1e-3),
            launch(Kernel::GridMatvec, 2e-3),
            launch(Kernel::Axpy, 2e-3),
        ];
        let lines = summary(&times);
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("3 launches, 5.000 ms"), "{}", lines[0]);
        assert!(lines[1].starts_with("vec_axpy") && lines[1].contains("3.000 ms (60.0 %)"));
        assert!(lines[2].starts_with("grid_matvec") && lines[2].contains("largest 8 workgroups"));
    }
}
