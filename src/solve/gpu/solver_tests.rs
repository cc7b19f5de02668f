//! The GPU solver's pieces on the available adapter: the Chebyshev kernels against their twins,
//! the device V-cycle against the CPU's `Preconditioner::apply`, and device PCG against the CPU
//! solution. Without an adapter the tests print a notice and pass, unless SKYSINK_REQUIRE_GPU=1.

use super::solver::{GpuPcg, memory_estimate};
use super::tests::{Rng, abs_scale, assert_close, context, wide};
use super::vcycle::{DeviceAmg, Finest};
use super::*;
use crate::error::Result;
use crate::gpu::*;
use crate::gpu::{kernels, shaders};
use crate::solve::linalg::amg::testing::{panel_with_heat_pipes, rhs};
use crate::solve::linalg::amg::{Amg, AmgOptions, CoarseExport};
use crate::solve::linalg::pcg::{PcgWorkspace, Preconditioner, pcg};
use crate::solve::linalg::sparse::{self, CsrMatrix};
use crate::solve::newton::{LinearSolver, MAX_PCG_ITERATIONS};

fn to_f32(v: &[f64]) -> Vec<f32> {
    v.iter().map(|&x| x as f32).collect()
}

#[test]
fn chebyshev_kernels_match_twins() -> Result<()> {
    let Some(ctx) = context() else { return Ok(()) };
    let n = 3001usize;
    let mut rng = Rng(11);
    let mut row_ptr = vec![0u32];
    let mut col = Vec::new();
    for row in 0..n {
        col.push(row as u32);
        // With the diagonal: 901 entries, and either side of LONG_ROW.
        let len = match row {
            7 => 900,
            8 => shaders::LONG_ROW as usize - 1,
            9 => shaders::LONG_ROW as usize,
            2999 => 300,
            _ => (rng.next() % 6) as usize,
        };
        col.extend((0..len).map(|_| (rng.next() % n as u64) as u32));
        row_ptr.push(col.len() as u32);
    }
    let val = rng.vec(col.len(), -1.0, 1.0);
    let inv_diag = rng.vec(n, 0.1, 1.0);
    let b = rng.vec(n, -1.0, 1.0);
    let x0 = rng.vec(n, -1.0, 1.0);
    let d0 = rng.vec(n, -1.0, 1.0);
    let csr = ctx.upload_csr(n as u32, &row_ptr, &col, &val)?;
    let (ib, bb) = (ctx.upload("inv_diag", &inv_diag)?, ctx.upload("b", &b)?);
    let (xb, db) = (ctx.upload("x", &x0)?, ctx.upload("d", &d0)?);
    // Four lanes of 1000 rows (the last has one), each with its own (c_prev, c_new).
    let stride = 1000usize;
    let pairs = [[0.375f32, 1.25], [0.5, -0.75], [0.0, 2.0], [1.5, 0.125]];
    let coef_buffer = ctx.cheb_coefficients(&pairs)?;
    let coefs = kernels::ChebCoefs {
        buffer: &coef_buffer,
        first: 0,
        stride: stride as u64,
    };
    let wide_pairs: Vec<[f64; 2]> = pairs
        .iter()
        .map(|p| [f64::from(p[0]), f64::from(p[1])])
        .collect();

    ctx.run(&[&ctx.cheb_correction(&csr, coefs, [&ib, &bb, &xb, &db])?])?;
    let gpu: Vec<f32> = ctx.read(&db, 0, n)?;
    let mut cpu = wide(&d0);
    let parts = (&row_ptr[..], &col[..], &wide(&val)[..]);
    let (wi, wb, wx) = (wide(&inv_diag), wide(&b), wide(&x0));
    twins::cheb_correction(parts, (&wide_pairs, stride), &wi, &wb, &wx, &mut cpu);
    // Scale: the same expression with every term made positive.
    let abs_val: Vec<f64> = val.iter().map(|v| f64::from(v.abs())).collect();
    let abs_pairs: Vec<[f64; 2]> = wide_pairs
        .iter()
        .map(|p| [p[0].abs(), -p[1].abs()])
        .collect();
    let mut scale = abs_scale(&wide(&d0));
    twins::cheb_correction(
        (&row_ptr, &col, &abs_val),
        (&abs_pairs, stride),
        &wi,
        &abs_scale(&wb).iter().map(|v| -v).collect::<Vec<_>>(),
        &abs_scale(&wx),
        &mut scale,
    );
    assert_close("cheb_correction", &gpu, &cpu, &scale, 1e-5);

    ctx.run(&[&ctx.cheb_start(n as u64, coefs, [&ib, &bb, &xb, &db])?])?;
    let (gpu_d, gpu_x): (Vec<f32>, Vec<f32>) = (ctx.read(&db, 0, n)?, ctx.read(&xb, 0, n)?);
    let (mut cpu_x, mut cpu_d) = (vec![0.0; n], vec![0.0; n]);
    twins::cheb_start((&wide_pairs, stride), &wi, &wb, &mut cpu_x, &mut cpu_d);
    let scale: Vec<f64> = abs_scale(&cpu_d).iter().map(|s| s.max(1e-30)).collect();
    assert_close("cheb_start d", &gpu_d, &cpu_d, &scale, 1e-6);
    assert_close("cheb_start x", &gpu_x, &cpu_x, &scale, 1e-6);
    Ok(())
}

/// One device V-cycle against `Amg::apply`: max error within `rel` of max |z|.
fn check_cycle(
    ctx: &GpuContext,
    (amg, device): (&Amg, &DeviceAmg),
    [input, output]: [&wgpu::Buffer; 2],
    r: &[f64],
    what: &str,
) {
    let n = r.len();
    let mut cpu = vec![0.0; n];
    amg.apply(r, &mut cpu);
    ctx.queue()
        .write_buffer(input, 0, bytemuck::cast_slice(&to_f32(r)));
    let work: Vec<&dyn Encode> = device.cycle().iter().map(|d| d as &dyn Encode).collect();
    ctx.run(&work).expect("cycle runs");
    let gpu: Vec<f32> = ctx.read(output, 0, n).expect("readback");
    let scale = twins::max_abs(&cpu);
    let err = (0..n)
        .map(|i| (f64::from(gpu[i]) - cpu[i]).abs())
        .fold(0.0, f64::max);
    assert!(
        err <= 2e-5 * scale,
        "{what}: V-cycle max error {err:e} against max |z| {scale:e}"
    );
}

#[test]
fn device_v_cycle_matches_the_cpu_preconditioner() -> Result<()> {
    let Some(ctx) = context() else { return Ok(()) };
    // Exact coarsest level (dense inverse) and smoothing sweeps on a stalled coarsest level.
    let small_dense = AmgOptions {
        max_dense_rows: 20,
        max_levels: 2,
        ..AmgOptions::default()
    };
    for (options, expect_dense) in [(AmgOptions::default(), true), (small_dense, false)] {
        let a = panel_with_heat_pipes(70, 50, 1.0, 3);
        let mut amg = Amg::with_options(&a, options);
        let export = amg.export();
        assert_eq!(
            matches!(export.coarse, CoarseExport::DenseInverse(_)),
            expect_dense
        );
        let n = a.n;
        let input = ctx.zeroed("r", 4 * n as u64)?;
        let output = ctx.zeroed("z", 4 * n as u64)?;
        let scalars = ctx.scalars(4)?;
        let mut device = DeviceAmg::new(&ctx, &[&export], &input, &output, &scalars)?;
        drop(export);
        let what = if expect_dense { "dense" } else { "sweeps" };
        assert!(amg.num_levels() >= 2, "{what}: {} levels", amg.num_levels());
        check_cycle(&ctx, (&amg, &device), [&input, &output], &rhs(n, 5), what);

        // A Newton step changes the diagonal: refresh both and compare again.
        let mut b = a.clone();
        let diag: Vec<f64> = b.diagonal().iter().map(|d| 1.7 * d).collect();
        b.set_diagonal(&diag);
        amg.refresh(&b).expect("same pattern");
        let export = amg.export();
        assert!(device.lane_matches(0, &export, Finest::Rewrite));
        device.refresh_lane(&ctx, 0, &export, Finest::Rewrite)?;
        drop(export);
        let what = format!("{what}, refreshed");
        check_cycle(&ctx, (&amg, &device), [&input, &output], &rhs(n, 6), &what);
    }
    Ok(())
}

/// Runs `device`'s V-cycle on `r` (stacked lanes) and returns the stacked output.
fn run_cycle(
    ctx: &GpuContext,
    device: &DeviceAmg,
    [input, output]: [&wgpu::Buffer; 2],
    r: &[f32],
) -> Vec<f32> {
    ctx.queue().write_buffer(input, 0, bytemuck::cast_slice(r));
    let work: Vec<&dyn Encode> = device.cycle().iter().map(|d| d as &dyn Encode).collect();
    ctx.run(&work).expect("cycle runs");
    ctx.read(output, 0, r.len()).expect("readback")
}

#[test]
fn stacked_v_cycle_lanes_equal_lone_cycles_bit_for_bit() -> Result<()> {
    let Some(ctx) = context() else { return Ok(()) };
    // Three hierarchies of one shape but different coarse sizes and values: lanes padded to
    // the largest coarse level, each smoothed with its own eigenvalue bounds.
    let matrices = [
        panel_with_heat_pipes(70, 50, 1.0, 3),
        panel_with_heat_pipes(70, 50, 4.0, 8),
        panel_with_heat_pipes(70, 50, 0.25, 5),
    ];
    let mut amgs: Vec<Amg> = matrices.iter().map(Amg::new).collect();
    let coarse_rows = |amg: &Amg| {
        amg.stats()
            .levels
            .iter()
            .map(|l| l.rows)
            .collect::<Vec<_>>()
    };
    let sizes: Vec<Vec<usize>> = amgs.iter().map(coarse_rows).collect();
    assert!(
        sizes
            .iter()
            .all(|s| s.len() == sizes[0].len() && s.len() >= 3),
        "{sizes:?}"
    );
    assert!(sizes[0] != sizes[1] || sizes[1] != sizes[2], "{sizes:?}");
    let n = matrices[0].n;
    let lanes = amgs.len();
    let stacked_in = ctx.zeroed("r", 4 * (lanes * n) as u64)?;
    let stacked_out = ctx.zeroed("z", 4 * (lanes * n) as u64)?;
    let scalars = ctx.scalars(4)?;
    let (lone_in, lone_out) = (
        ctx.zeroed("r", 4 * n as u64)?,
        ctx.zeroed("z", 4 * n as u64)?,
    );
    let mut stacked = {
        let exports: Vec<_> = amgs.iter().map(Amg::export).collect();
        let refs: Vec<&_> = exports.iter().collect();
        DeviceAmg::new(&ctx, &refs[..], &stacked_in, &stacked_out, &scalars)?
    };
    for round in 0..2 {
        if round == 1 {
            // Lane 1's hierarchy follows a Newton step (its values change, its patterns not),
            // written in place into the stack.
            let mut b = matrices[1].clone();
            let diag: Vec<f64> = b.diagonal().iter().map(|d| 1.7 * d).collect();
            b.set_diagonal(&diag);
            amgs[1].refresh(&b).expect("same pattern");
            let export = amgs[1].export();
            assert!(stacked.lane_matches(1, &export, Finest::Rewrite));
            assert!(
                !stacked.lane_matches(0, &export, Finest::Rewrite),
                "lane 0 holds another hierarchy"
            );
            stacked.refresh_lane(&ctx, 1, &export, Finest::Rewrite)?;
        }
        let exports: Vec<_> = amgs.iter().map(Amg::export).collect();
        let r: Vec<f32> = (0..lanes)
            .flat_map(|p| to_f32(&rhs(n, 20 + p as u64)))
            .collect();
        let got = run_cycle(&ctx, &stacked, [&stacked_in, &stacked_out], &r);
        for (p, export) in exports.iter().enumerate() {
            let lone = DeviceAmg::new(&ctx, &[export], &lone_in, &lone_out, &scalars)?;
            let alone = run_cycle(&ctx, &lone, [&lone_in, &lone_out], &r[p * n..(p + 1) * n]);
            let lane = &got[p * n..(p + 1) * n];
            let same = lane
                .iter()
                .zip(&alone)
                .all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "round {round}, lane {p} differs from its lone cycle");
        }
    }
    Ok(())
}

#[test]
fn device_pcg_solves_like_the_cpu() -> Result<()> {
    let Some(ctx) = context() else { return Ok(()) };
    let a: CsrMatrix = panel_with_heat_pipes(90, 60, 4.0, 8);
    let amg = Amg::new(&a);
    let b = rhs(a.n, 9);
    let mut cpu = vec![0.0; a.n];
    pcg(
        &mut PcgWorkspace::default(),
        &a,
        &amg,
        &b,
        &mut cpu,
        1e-10,
        MAX_PCG_ITERATIONS,
    );

    let mut solver = GpuPcg::new(ctx);
    let mut gpu = vec![0.0; a.n];
    let stats = solver.solve(&a, &amg, &b, &mut gpu, 1e-6)?;
    let mut residual = vec![0.0; a.n];
    a.residual(&b, &gpu, &mut residual);
    let relative = sparse::norm2(&residual) / sparse::norm2(&b);
    assert!(
        relative < 1e-4,
        "relative residual {relative:e} after {stats:?}"
    );
    assert!(stats.iterations > 0 && stats.iterations < 200, "{stats:?}");
    let scale = twins::max_abs(&cpu);
    let err = (0..a.n)
        .map(|i| (gpu[i] - cpu[i]).abs())
        .fold(0.0, f64::max);
    assert!(err < 1e-3 * scale, "max error {err:e} against {scale:e}");

    // A second solve reuses the device hierarchy.
    let stats2 = solver.solve(&a, &amg, &b, &mut gpu, 1e-6)?;
    assert_eq!(stats.iterations, stats2.iterations);

    // A right-hand side of the wrong length is refused, not written past its lane.
    let err = solver
        .solve(&a, &amg, &b[1..], &mut gpu, 1e-6)
        .expect_err("a short right-hand side")
        .to_string();
    assert!(err.contains("right-hand side of"), "{err}");
    Ok(())
}

#[test]
fn a_new_finest_diagonal_alone_reaches_the_device() -> Result<()> {
    let (Some(ctx), Some(fresh_ctx)) = (context(), context()) else {
        return Ok(());
    };
    let a = panel_with_heat_pipes(90, 60, 4.0, 8);
    let b = rhs(a.n, 9);
    let mut amg = Amg::owning(a, AmgOptions::default());
    let mut solver = GpuPcg::new(ctx);
    let mut first = vec![0.0; b.len()];
    solver.solve(amg.finest(), &amg, &b, &mut first, 1e-6)?;

    // What a Newton step changes: the diagonal, the rest of the hierarchy left as it is.
    let old = amg.finest().diagonal();
    let (generation, entries) = (amg.generation(), amg.off_diagonal_generation());
    amg.set_finest_diagonal(|i| 1.5 * old[i] + 1e-3);
    assert_eq!(
        (amg.generation(), amg.off_diagonal_generation()),
        (generation, entries)
    );
    let mut kept = vec![0.0; b.len()];
    let stats = solver.solve(amg.finest(), &amg, &b, &mut kept, 1e-6)?;
    assert!(stats.converged, "{stats:?}");
    // A device that receives everything: the same operator and hierarchy, the same bits.
    let mut fresh = vec![0.0; b.len()];
    GpuPcg::new(fresh_ctx).solve(amg.finest(), &amg, &b, &mut fresh, 1e-6)?;
    assert_eq!(kept, fresh, "the kept lane lacks the new diagonal");
    assert_ne!(kept, first);
    // The matrix names its panel: the finest operator is in grid form.
    assert!(solver.finest_grid_rest().is_some());

    // A Newton step's refresh: a new diagonal, every coarser level recomputed, the off-diagonal
    // entries kept (the lane keeps its finest operator and takes the new diagonal).
    amg.set_finest_diagonal(|i| 0.8 * old[i] + 2e-3);
    amg.refresh_from_finest();
    assert_eq!(amg.off_diagonal_generation(), entries);
    solver.solve(amg.finest(), &amg, &b, &mut kept, 1e-6)?;
    let Some(fresh_ctx) = context() else {
        return Ok(());
    };
    GpuPcg::new(fresh_ctx).solve(amg.finest(), &amg, &b, &mut fresh, 1e-6)?;
    assert_eq!(kept, fresh, "the kept lane lacks the refreshed hierarchy");

    // A refresh rewrites every value and the device follows it.
    let mut refreshed = amg.finest().clone();
    refreshed.values.iter_mut().for_each(|v| *v *= 2.0);
    amg.refresh(&refreshed).expect("same pattern");
    assert_ne!(amg.off_diagonal_generation(), entries);
    solver.solve(amg.finest(), &amg, &b, &mut kept, 1e-6)?;
    let Some(fresh_ctx) = context() else {
        return Ok(());
    };
    GpuPcg::new(fresh_ctx).solve(amg.finest(), &amg, &b, &mut fresh, 1e-6)?;
    assert_eq!(kept, fresh, "the kept lane lacks the refreshed values");
    Ok(())
}

#[test]
fn memory_estimate_counts_every_level() {
    let a = panel_with_heat_pipes(40, 30, 1.0, 1);
    let amg = Amg::new(&a);
    let export = amg.export();
    let arrays = memory_estimate(&export);
    let total: u64 = arrays.iter().map(|a| a.bytes).sum();
    let finest = 4 * (2 * a.nnz() as u64 + a.n as u64 + 1);
    assert!(total > finest, "{total} <= {finest}");
    let values = arrays.iter().find(|a| a.name == "level 0 matrix values");
    assert_eq!(
        values.map(|v| (v.bytes, v.split)),
        Some((4 * a.nnz() as u64, true))
    );
    let x = arrays.iter().find(|a| a.name == "pcg x");
    assert_eq!(x.map(|v| (v.bytes, v.split)), Some((4 * a.n as u64, false)));
}
